// Anonymous probing (catalog C02, C21): any request without credentials (system:anonymous,
// system:unauthenticated, or a 401 without a user), allowed or not, except health and version
// endpoints: the fingerprint of a scanner finding the API server. Low; medium for a listing of
// all pods (/api/v1/pods, the pod scan). Allowed anonymous requests are also judged by
// anonymous_request_allowed. One alert per (source IP, user agent, pod scan or not) per
// `repeat_window` (default 1h), at most `max_keys` remembered (LRU, counted).
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

class AnonymousProbe final : public Detector {
 public:
  AnonymousProbe(RepeatGate repeat) : repeat_(std::move(repeat)) {
    info_.id = "anonymous_probe";
    info_.title = "Anonymous API probing";
    info_.description =
        "A client without credentials called the API (allowed or refused): a scanner or an "
        "attacker fingerprinting the API server; a listing of all pods is a pod scan.";
    info_.severity = Severity::kLow;
    info_.mitre = {"T1526", "T1190", "T1613"};
    info_.catalog_ids = {"C02", "C21"};
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.traits = EventTrait::kAnonymous;
    info_.stateful = repeat_.enabled();
  }

  const DetectorInfo& info() const override { return info_; }
  size_t state_entries() const override { return repeat_.size(); }
  uint64_t state_evictions() const override { return repeat_.evictions(); }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.IsAnonymous() || IsHealthOrVersionPath(e.request_uri)) return;
    std::string_view path = e.request_uri.substr(0, e.request_uri.find('?'));
    const bool pod_scan =
        path == "/api/v1/pods" || (e.object.resource == "pods" && e.object.namespace_.empty() &&
                                   e.object.name.empty() && e.verb == Verb::kList);
    if (!repeat_.Pass(absl::StrCat(ToAbsl(e.SourceIp()), "\x1f", ToAbsl(e.user_agent),
                                   pod_scan ? "\x1fp" : ""),
                      e.stage_timestamp)) {
      return;
    }
    Alert a = MakeAlert(info_, e);
    if (pod_scan) a.severity = Severity::kMedium;
    a.message =
        absl::StrCat("an anonymous client from ",
                     e.SourceIp().empty() ? "<no address>" : std::string(e.SourceIp()), " ",
                     ToAbsl(e.verb_text), " ", ToAbsl(e.request_uri), " (", e.response_code, ")",
                     pod_scan ? ": a scan for every pod of the cluster"
                              : ": unauthenticated probing of the API server");
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
  RepeatGate repeat_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewAnonymousProbe(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(RepeatGate repeat, RepeatGateParams(p));
  return std::make_unique<AnonymousProbe>(std::move(repeat));
}

}  // namespace kaudit
