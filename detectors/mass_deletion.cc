// Mass deletion (catalog C56): one identity deletes `threshold` (10) distinct workloads, pods,
// namespaces, volumes or other `resources` within `window` (10m), or deletes a whole
// collection of them at once (deletecollection): data destruction or denial of service.
// Stateful: per identity, the distinct objects deleted in a sliding event-time window (exact;
// `max_keys` identities, LRU; 2x threshold objects per identity), evictions counted. One alert
// per identity per window. High. The controllers that delete as their job (garbage collector,
// namespace controller, nodes evicting their pods) are allow-listed by default.
// The threshold is a floor: after a learning period each key's own usual level can raise it
// (BurstBaseline in detectors/common/burst.h, persisted in engine.state_dir).
#include <memory>
#include <string>
#include <vector>

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

class MassDeletion final : public WindowedBurstDetector {
 public:
  MassDeletion(std::vector<std::string> resources, size_t threshold,
               DistinctWindowCounter::Options o, BurstBaseline::Options b)
      : WindowedBurstDetector(threshold, o, b) {
    info_.id = "mass_deletion";
    info_.title = "Mass deletion";
    info_.description =
        "One identity deleted many workloads, pods, namespaces or volumes within minutes (or a "
        "whole collection at once): data destruction or denial of service.";
    info_.severity = Severity::kHigh;
    info_.mitre = {"T1485", "T1489", "T1498"};
    info_.catalog_ids = {"C56", "S8"};  // S8: DETECTIONS.md stateful #8 (per-key baselines)
    info_.interest.verbs = Interest::Verbs({Verb::kDelete, Verb::kDeleteCollection});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = std::move(resources);
    info_.stateful = true;
    info_.default_allow_users = {"system:node:[^:]+", "system:kube-controller-manager",
                                 "system:kube-scheduler", "system:apiserver",
                                 "system:serviceaccount:kube-system:.*"};
  }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded() || !e.object.subresource.empty()) return;
    if (e.verb == Verb::kDeleteCollection) {
      Alert a = MakeAlert(info_, e);
      a.message = absl::StrCat(ActorLabel(e), " deleted every ", ToAbsl(e.object.resource),
                               e.object.namespace_.empty()
                                   ? std::string(" of the cluster")
                                   : absl::StrCat(" in namespace ", ToAbsl(e.object.namespace_)),
                               " at once: data destruction or denial of service");
      out.Emit(std::move(a));
      return;
    }
    value_.clear();
    absl::StrAppend(&value_, ToAbsl(e.object.resource), " ", ObjectLabel(e));
    Burst b = Count(e.Actor(), value_, e.stage_timestamp, e.audit_id);
    if (b.state == nullptr) return;
    Alert a = BurstAlert(e, b);
    a.AddField("deleted", absl::StrCat(b.count));
    a.message = absl::StrCat(ActorLabel(e), " deleted ", b.count, " objects (the last: ", value_,
                             ") within ", absl::FormatDuration(window()),
                             ": data destruction or denial of service");
    out.Emit(std::move(a));
    Alerted(e.Actor(), b, e.stage_timestamp);
  }

 private:
  std::string value_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewMassDeletion(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(
      auto resources,
      p.List("resources", {"pods", "deployments", "statefulsets", "daemonsets", "replicasets",
                           "jobs", "cronjobs", "namespaces", "services", "persistentvolumeclaims",
                           "persistentvolumes", "configmaps", "secrets"}));
  KAUDIT_ASSIGN_OR_RETURN(int64_t threshold, p.Int("threshold", 10, 2, 100000));
  KAUDIT_ASSIGN_OR_RETURN(BurstBaseline::Options b, BaselineParams(p));
  KAUDIT_ASSIGN_OR_RETURN(DistinctWindowCounter::Options o,
                          WindowParams(p, absl::Minutes(10), absl::Hours(24),
                                       BurstValuesPerKey(static_cast<size_t>(threshold), b)));
  return std::make_unique<MassDeletion>(std::move(resources), static_cast<size_t>(threshold), o, b);
}

}  // namespace kaudit
