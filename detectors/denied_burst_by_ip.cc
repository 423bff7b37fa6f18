// Burst of refused requests from one address (catalog C11): `threshold` (10) requests refused
// with 401 or 403 from one source IP within `window` (10m): a scanner or a credential-stuffing
// client. Stateful: per source IP, the refused requests (by auditID) in a sliding event-time
// window, exact while the bounds hold (`max_keys` addresses, LRU; 2x threshold per address),
// evictions counted. Loopback addresses (the API server's own clients) are skipped unless
// `include_loopback`. One alert per address per window. Medium.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "detectors/common/burst.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/keyed_state.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class DeniedBurstByIp final : public Detector {
 public:
  DeniedBurstByIp(size_t threshold, bool loopback, DistinctWindowCounter::Options o)
      : threshold_(threshold), loopback_(loopback), counter_(o) {
    info_.id = "denied_burst_by_ip";
    info_.title = "Burst of refused requests from one address";
    info_.description =
        "Many requests from one address were refused (401/403) within minutes: a scanner, "
        "credential stuffing, or a stolen token probing its limits.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1613", "T1046", "T1110"};
    info_.catalog_ids = {"C11"};
    info_.interest.stages = Interest::OutcomeStages();
    info_.stateful = true;
  }

  const DetectorInfo& info() const override { return info_; }
  size_t state_entries() const override { return counter_.size(); }
  uint64_t state_evictions() const override { return counter_.evictions(); }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || (e.response_code != 401 && e.response_code != 403)) return;
    std::string_view ip = e.SourceIp();
    if (ip.empty() || (!loopback_ && IsLoopbackIp(ip))) return;
    auto& st = counter_.Add(ip, e.audit_id, e.stage_timestamp, e.audit_id);
    if (st.values.size() < threshold_ || e.stage_timestamp < st.quiet_until) return;
    Alert a = MakeBurstAlert(info_, e, st, st.values.size());
    a.AddField("refused", absl::StrCat(st.values.size()));
    a.message = absl::StrCat(st.values.size(), " requests from ", ToAbsl(ip), " were refused (",
                             "401/403) within ", absl::FormatDuration(counter_.options().window),
                             ", the last by ", ActorLabel(e),
                             ": a scanner or a stolen credential probing the API");
    out.Emit(std::move(a));
    QuietAfterAlert(counter_, st, e.stage_timestamp);
  }

  void OnWatermark(absl::Time watermark, AlertEmitter& out) override { counter_.Expire(watermark); }

 private:
  DetectorInfo info_;
  size_t threshold_;
  bool loopback_;
  DistinctWindowCounter counter_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewDeniedBurstByIp(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(int64_t threshold, p.Int("threshold", 10, 2, 100000));
  KAUDIT_ASSIGN_OR_RETURN(bool loopback, p.Bool("include_loopback", false));
  KAUDIT_ASSIGN_OR_RETURN(
      DistinctWindowCounter::Options o,
      WindowParams(p, absl::Minutes(10), absl::Hours(24), static_cast<size_t>(threshold) * 2));
  return std::make_unique<DeniedBurstByIp>(static_cast<size_t>(threshold), loopback, o);
}

}  // namespace kaudit
