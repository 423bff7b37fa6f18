// Repeated refused secret reads (catalog C27): `threshold` (20) gets of secrets refused (401,
// 403 or a forbid decision; a 404 is not a refusal) for one identity in one namespace within
// `window` (15m): guessing secret names with a token that may not read them. Stateful:
// per (identity, namespace), the refused reads (by auditID) in a sliding event-time window,
// exact while the bounds hold (`max_keys` keys, LRU; 2x threshold per key), evictions
// counted. One alert per key per window. Medium.
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

class SecretDeniedBurst final : public WindowedBurstDetector {
 public:
  SecretDeniedBurst(size_t threshold, DistinctWindowCounter::Options o, BurstBaseline::Options b)
      : WindowedBurstDetector(threshold, o, b) {
    info_.id = "secret_denied_burst";
    info_.title = "Repeated refused secret reads";
    info_.description =
        "One identity was refused many secret reads in one namespace within minutes: guessing "
        "secret names with a token that may not read them.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1552.007", "T1613"};
    info_.catalog_ids = {"C27", "S8"};  // S8: DETECTIONS.md stateful #8 (per-key baselines)
    info_.interest.verbs = Interest::Verbs({Verb::kGet});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"secrets"};
    info_.stateful = true;
    info_.default_allow_users = {"system:node:[^:]+"};
  }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.object.subresource.empty()) return;
    if (e.response_code != 401 && e.response_code != 403 && e.decision != "forbid") return;
    key_.clear();
    absl::StrAppend(&key_, ToAbsl(e.Actor()), "\x1f", ToAbsl(e.object.namespace_));
    Burst b = Count(key_, e.audit_id, e.stage_timestamp, e.audit_id);
    if (b.state == nullptr) return;
    Alert a = BurstAlert(e, b);
    a.namespace_ = std::string(e.object.namespace_);
    a.AddField("refused", absl::StrCat(b.count));
    a.message =
        absl::StrCat(ActorLabel(e), " was refused ", b.count, " secret reads in namespace ",
                     ToAbsl(e.object.namespace_), " within ", absl::FormatDuration(window()),
                     ": guessing secrets with a token that may not read them");
    out.Emit(std::move(a));
    Alerted(key_, b, e.stage_timestamp);
  }

 private:
  std::string key_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewSecretDeniedBurst(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(int64_t threshold, p.Int("threshold", 20, 2, 100000));
  KAUDIT_ASSIGN_OR_RETURN(BurstBaseline::Options b, BaselineParams(p));
  KAUDIT_ASSIGN_OR_RETURN(DistinctWindowCounter::Options o,
                          WindowParams(p, absl::Minutes(15), absl::Hours(24),
                                       BurstValuesPerKey(static_cast<size_t>(threshold), b)));
  return std::make_unique<SecretDeniedBurst>(static_cast<size_t>(threshold), o, b);
}

}  // namespace kaudit
