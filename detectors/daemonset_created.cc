// DaemonSet created (catalog C53): a DaemonSet runs its pod on every node, the classic way to
// put a backdoor or miner on the whole fleet at once. Low (installs of agents are routine);
// the pod template itself is judged by the workload-security detectors.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class DaemonSetCreated final : public Detector {
 public:
  DaemonSetCreated() {
    info_.id = "daemonset_created";
    info_.title = "DaemonSet created";
    info_.description =
        "A DaemonSet was created: its pod will run on every node of the cluster (agents, or a "
        "backdoor on the whole fleet).";
    info_.severity = Severity::kLow;
    info_.mitre = {"T1610", "T1543"};
    info_.catalog_ids = {"C53"};
    info_.interest.verbs = Interest::Verbs({Verb::kCreate});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"daemonsets"};
    info_.judges_images = true;
    info_.default_allow_users = {"system:serviceaccount:kube-system:.*", "eks:.*", "aksService"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded() || !e.object.subresource.empty()) return;
    Alert a = MakeAlert(info_, e);
    std::string name = ObjectLabel(e);
    std::vector<std::string> images;
    if (const PodSpecView* spec = e.RequestPodSpec()) {
      if (e.object.name.empty() && !spec->object_name.empty()) {
        name = absl::StrCat(ToAbsl(e.object.namespace_), "/", ToAbsl(spec->object_name));
      }
      for (const auto& c : spec->containers) images.emplace_back(c.image);
    }
    if (!images.empty()) a.AddField("images", absl::StrJoin(images, ","));
    a.message =
        absl::StrCat(ActorLabel(e), " created DaemonSet ", name,
                     images.empty() ? "" : absl::StrCat(" (", absl::StrJoin(images, ", "), ")"),
                     ": its pod will run on every node");
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewDaemonSetCreated(DetectorParams&) {
  return std::make_unique<DaemonSetCreated>();
}

}  // namespace kaudit
