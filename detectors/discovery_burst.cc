// Rapid multi-resource discovery (catalog C20): one identity, from one address and client,
// reads (get/list) `threshold` (4) distinct kinds of `resources` (namespaces, nodes, pods,
// roles, rolebindings, clusterroles, clusterrolebindings, configmaps, serviceaccounts) within
// `window` (1m): the first minutes of an intruder looking around. Stateful: per (identity,
// source IP, user agent), the kinds read in a sliding event-time window (exact; at most
// `max_keys` keys, LRU, evictions counted). Loopback clients are skipped. One alert per key
// per window. Medium.
// The threshold is a floor: after a learning period each key's own usual level can raise it
// (BurstBaseline in detectors/common/burst.h, persisted in engine.state_dir).
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

class DiscoveryBurst final : public WindowedBurstDetector {
 public:
  DiscoveryBurst(std::vector<std::string> resources, size_t threshold,
                 DistinctWindowCounter::Options o, BurstBaseline::Options b)
      : WindowedBurstDetector(threshold, o, b) {
    info_.id = "discovery_burst";
    info_.title = "Rapid discovery across resource kinds";
    info_.description =
        "One identity read many kinds of cluster objects (nodes, namespaces, pods, roles, "
        "bindings, service accounts) within a minute: an intruder looking around.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1613", "T1087.004"};
    info_.catalog_ids = {"C20", "S8"};  // S8: DETECTIONS.md stateful #8 (per-key baselines)
    info_.interest.verbs = Interest::Verbs({Verb::kGet, Verb::kList});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = std::move(resources);
    info_.stateful = true;
    info_.default_allow_users = {"system:node:[^:]+", "system:kube-.*", "system:apiserver",
                                 "system:serviceaccount:kube-system:.*", "eks:.*"};
  }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded() || !e.object.subresource.empty()) return;
    if (IsLoopbackIp(e.SourceIp())) return;
    key_.clear();
    absl::StrAppend(&key_, ToAbsl(e.Actor()), "\x1f", ToAbsl(e.SourceIp()), "\x1f",
                    ToAbsl(e.user_agent));
    Burst b = Count(key_, e.object.resource, e.stage_timestamp, e.audit_id);
    if (b.state == nullptr) return;
    Alert a = BurstAlert(e, b);
    std::vector<std::string> kinds;
    for (const auto& [kind, t] : b.state->values) kinds.push_back(kind);
    std::sort(kinds.begin(), kinds.end());
    a.AddField("resources", absl::StrJoin(kinds, ","));
    a.message =
        absl::StrCat(ActorLabel(e), " read ", kinds.size(), " kinds of objects (",
                     absl::StrJoin(kinds, ", "), ") within ", absl::FormatDuration(window()),
                     " from ", ToAbsl(e.SourceIp()), ": discovery of the cluster's layout");
    out.Emit(std::move(a));
    Alerted(key_, b, e.stage_timestamp);
  }

 private:
  std::string key_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewDiscoveryBurst(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(
      auto resources,
      p.List("resources", {"namespaces", "nodes", "pods", "roles", "rolebindings", "clusterroles",
                           "clusterrolebindings", "configmaps", "serviceaccounts"}));
  KAUDIT_ASSIGN_OR_RETURN(int64_t threshold, p.Int("threshold", 4, 2, 100));
  KAUDIT_ASSIGN_OR_RETURN(BurstBaseline::Options b, BaselineParams(p));
  KAUDIT_ASSIGN_OR_RETURN(DistinctWindowCounter::Options o,
                          WindowParams(p, absl::Minutes(1), absl::Hours(1), resources.size() + 1));
  return std::make_unique<DiscoveryBurst>(std::move(resources), static_cast<size_t>(threshold), o,
                                          b);
}

}  // namespace kaudit
