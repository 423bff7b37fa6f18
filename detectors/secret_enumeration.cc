// Secret enumeration (catalog C26): one identity reads many distinct secrets within a sliding
// event-time window. Stateful and bounded: per identity, the distinct secrets (namespace/name)
// read successfully in the window, exact until max_keys identities or max_secrets_per_key
// secrets per identity are exceeded (evictions are counted). One alert per identity per window.
// The threshold is a floor: after a learning period each key's own usual level can raise it
// (BurstBaseline in detectors/common/burst.h, persisted in engine.state_dir).
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "detectors/common/burst.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/keyed_state.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class SecretEnumeration final : public WindowedBurstDetector {
 public:
  SecretEnumeration(size_t threshold, DistinctWindowCounter::Options opts, BurstBaseline::Options b)
      : WindowedBurstDetector(threshold, opts, b) {
    info_.id = "secret_enumeration";
    info_.title = "Secret enumeration";
    info_.description =
        "One identity read many distinct secrets within a short window: credential harvesting "
        "with a stolen or over-privileged token.";
    info_.severity = Severity::kHigh;
    info_.mitre = {"T1552.007", "T1613"};
    info_.catalog_ids = {"C26", "S8"};  // S8: DETECTIONS.md stateful #8 (per-key baselines)
    info_.interest.verbs = Interest::Verbs({Verb::kGet});
    info_.interest.stages = Interest::Stages({Stage::kResponseComplete, Stage::kPanic});
    info_.interest.resources = {"secrets"};
    info_.stateful = true;
    // Kubelets read the secrets of the pods on their node and the controller manager reads
    // service account secrets: judged by other detectors (node secret reads), not here.
    info_.default_allow_users = {"system:node:[^:]+", "system:kube-controller-manager"};
  }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || e.object.name.empty() || !e.object.subresource.empty()) return;
    if (e.response_code >= 400 || (e.response_code == 0 && e.decision != "allow")) return;
    const std::string key = ActorLabel(e);
    std::string secret = absl::StrCat(ToAbsl(e.object.namespace_), "/", ToAbsl(e.object.name));
    Burst b = Count(key, secret, e.stage_timestamp, e.audit_id);
    if (b.state == nullptr) return;

    Alert a = BurstAlert(e, b);
    std::vector<std::string> names;
    for (const auto& [name, t] : b.state->values) names.push_back(name);
    std::sort(names.begin(), names.end());
    if (names.size() > 20) names.resize(20);
    absl::Time first = a.window_start;
    a.AddField("distinct_secrets", absl::StrCat(b.count));
    a.AddField("secrets", absl::StrJoin(names, ","));
    a.message = absl::StrCat(key, " read ", b.count, " distinct secrets in ",
                             absl::FormatDuration(e.stage_timestamp - first), " (threshold ",
                             b.threshold, b.learned ? ", learned" : "", " in ",
                             absl::FormatDuration(window()), "): credential harvesting");
    out.Emit(std::move(a));
    Alerted(key, b, e.stage_timestamp);
  }

 private:
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewSecretEnumeration(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(int64_t threshold, p.Int("threshold", 10, 2, 100000));
  KAUDIT_ASSIGN_OR_RETURN(BurstBaseline::Options b, BaselineParams(p));
  KAUDIT_ASSIGN_OR_RETURN(DistinctWindowCounter::Options o,
                          WindowParams(p, absl::Minutes(10), absl::Hours(24 * 7),
                                       BurstValuesPerKey(static_cast<size_t>(threshold), b)));
  return std::make_unique<SecretEnumeration>(static_cast<size_t>(threshold), o, b);
}

}  // namespace kaudit
