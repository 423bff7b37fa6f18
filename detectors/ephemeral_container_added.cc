// Ephemeral container added (catalog C48; Falco "EphemeralContainers Created"): a successful
// write of a pod's ephemeralcontainers subresource (kubectl debug). One alert per ephemeral
// container in the written spec (an update carries the earlier ones too: they cannot be
// removed); at audit level Metadata one alert without the container.
#include <memory>

#include "absl/strings/str_cat.h"
#include "detectors/common/pod_security.h"
#include "detectors/common/util.h"
#include "detectors/common/workloads.h"
#include "src/common/strings.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class EphemeralContainerAdded final : public Detector {
 public:
  EphemeralContainerAdded() {
    info_.id = "ephemeral_container_added";
    info_.title = "Ephemeral container added to a pod";
    info_.description =
        "An ephemeral container was added to a running pod (kubectl debug): a new process with "
        "its own image inside the pod's namespaces, reading its volumes and service account.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1609", "T1610", "T1611"};
    info_.catalog_ids = {"C48"};
    info_.interest.verbs = Interest::WriteVerbs();
    info_.interest.stages = Interest::Stages({Stage::kResponseComplete, Stage::kPanic});
    info_.interest.resources = {"pods"};
    info_.judges_images = true;
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || e.object.subresource != "ephemeralcontainers" || !IsPodSpecWrite(e))
      return;
    bool not_visible = false;
    const PodSpecView* spec = WrittenPodSpec(e, &not_visible);
    const std::string pod = WorkloadLabel(e, spec);
    bool any = false;
    if (spec != nullptr) {
      for (const ContainerView& c : spec->containers) {
        if (c.kind != ContainerKind::kEphemeral) continue;
        any = true;
        Alert a = MakeAlert(info_, e);
        a.AddField("container", std::string(c.name));
        a.AddField("container_type", std::string(ContainerKindName(c.kind)));
        a.AddField("image", std::string(c.image));
        a.message = absl::StrCat(ActorLabel(e), " added ephemeral container ", ToAbsl(c.name),
                                 " (image ", ToAbsl(c.image), ") to ", pod,
                                 ": a new process inside the pod with access to its volumes "
                                 "and service account token");
        out.Emit(std::move(a));
      }
    }
    if (any) return;
    Alert a = MakeAlert(info_, e);
    a.AddField("container", "<not visible>");
    a.message = absl::StrCat(ActorLabel(e), " added an ephemeral container to ", pod,
                             ": a new process inside the pod with access to its volumes and "
                             "service account token");
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewEphemeralContainerAdded(DetectorParams&) {
  return std::make_unique<EphemeralContainerAdded>();
}

}  // namespace kaudit
