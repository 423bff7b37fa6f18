// Burst of refused requests from one address (catalog C11): `threshold` (10) requests refused
// with 401 or 403 from one source IP within `window` (10m): a scanner or a credential-stuffing
// client. Stateful: per source IP, the refused requests (by auditID) in a sliding event-time
// window, exact while the bounds hold (`max_keys` addresses, LRU; 2x threshold per address),
// evictions counted. Loopback addresses (the API server's own clients) are skipped unless
// `include_loopback`. One alert per address per window. Medium.
// The threshold is a floor: after a learning period each key's own usual level can raise it
// (BurstBaseline in detectors/common/burst.h, persisted in engine.state_dir).
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

class DeniedBurstByIp final : public WindowedBurstDetector {
 public:
  DeniedBurstByIp(size_t threshold, bool loopback, DistinctWindowCounter::Options o,
                  BurstBaseline::Options b)
      : WindowedBurstDetector(threshold, o, b), loopback_(loopback) {
    info_.id = "denied_burst_by_ip";
    info_.title = "Burst of refused requests from one address";
    info_.description =
        "Many requests from one address were refused (401/403) within minutes: a scanner, "
        "credential stuffing, or a stolen token probing its limits.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1613", "T1046", "T1110"};
    info_.catalog_ids = {"C11", "S8"};  // S8: DETECTIONS.md stateful #8 (per-key baselines)
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.traits = EventTrait::kRefused;
    info_.stateful = true;
  }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || (e.response_code != 401 && e.response_code != 403)) return;
    std::string_view ip = e.SourceIp();
    if (ip.empty() || (!loopback_ && IsLoopbackIp(ip))) return;
    Burst b = Count(ip, e.audit_id, e.stage_timestamp, e.audit_id);
    if (b.state == nullptr) return;
    Alert a = BurstAlert(e, b);
    a.AddField("refused", absl::StrCat(b.count));
    a.message = absl::StrCat(b.count, " requests from ", ToAbsl(ip), " were refused (",
                             "401/403) within ", absl::FormatDuration(window()), ", the last by ",
                             ActorLabel(e), ": a scanner or a stolen credential probing the API");
    out.Emit(std::move(a));
    Alerted(ip, b, e.stage_timestamp);
  }

 private:
  bool loopback_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewDeniedBurstByIp(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(int64_t threshold, p.Int("threshold", 10, 2, 100000));
  KAUDIT_ASSIGN_OR_RETURN(bool loopback, p.Bool("include_loopback", false));
  KAUDIT_ASSIGN_OR_RETURN(BurstBaseline::Options b, BaselineParams(p));
  KAUDIT_ASSIGN_OR_RETURN(DistinctWindowCounter::Options o,
                          WindowParams(p, absl::Minutes(10), absl::Hours(24),
                                       BurstValuesPerKey(static_cast<size_t>(threshold), b)));
  return std::make_unique<DeniedBurstByIp>(static_cast<size_t>(threshold), loopback, o, b);
}

}  // namespace kaudit
