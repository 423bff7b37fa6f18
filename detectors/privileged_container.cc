// Privileged container (catalog C58, Pod Security Standards baseline "Privileged Containers"):
// a pod or pod template written with securityContext.privileged: true in any container list
// (containers, initContainers, ephemeralContainers), or a Windows HostProcess container. One
// alert per offending container. Pod specs are parsed lazily from requestObject/responseObject;
// at audit level Metadata no spec is visible and the event is counted as not judged.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "detectors/common/util.h"
#include "detectors/common/workloads.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class PrivilegedContainer final : public Detector {
 public:
  PrivilegedContainer() {
    info_.id = "privileged_container";
    info_.title = "Privileged container";
    info_.description =
        "A pod or workload was written with a privileged (or Windows HostProcess) container: "
        "it has full access to the node's devices and kernel and can escape to the host.";
    info_.severity = Severity::kHigh;
    info_.mitre = {"T1610", "T1611"};
    info_.catalog_ids = {"C58"};
    info_.interest.verbs = Interest::WriteVerbs();
    info_.interest.stages = Interest::Stages({Stage::kResponseComplete, Stage::kPanic});
    info_.interest.resources = PodSpecResources();
    info_.judges_images = true;
  }

  const DetectorInfo& info() const override { return info_; }
  uint64_t events_not_judged() const override { return not_judged_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !IsPodSpecWrite(e)) return;
    bool not_visible = false;
    const PodSpecView* spec = WrittenPodSpec(e, &not_visible);
    if (spec == nullptr) {
      if (not_visible) ++not_judged_;
      return;
    }
    const bool pod_host_process = spec->pod_security_context.windows_host_process.value_or(false);
    for (const ContainerView& c : spec->containers) {
      const bool privileged = c.security_context.privileged.value_or(false);
      const bool host_process = c.security_context.windows_host_process.value_or(pod_host_process);
      if (!privileged && !host_process) continue;
      Alert a = MakeAlert(info_, e);
      a.AddField("container", std::string(c.name));
      a.AddField("container_type", std::string(ContainerKindName(c.kind)));
      a.AddField("image", std::string(c.image));
      a.AddField("control", privileged ? "privileged" : "windows_host_process");
      a.message =
          absl::StrCat(ActorLabel(e), " ", ToAbsl(PastTense(e.verb)), " ", WorkloadLabel(e, spec),
                       " with ", privileged ? "privileged " : "Windows HostProcess ",
                       ToAbsl(ContainerKindName(c.kind)), " ", ToAbsl(c.name), " (image ",
                       ToAbsl(c.image), "): it can take over the node it runs on");
      out.Emit(std::move(a));
    }
  }

 private:
  DetectorInfo info_;
  uint64_t not_judged_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewPrivilegedContainer(DetectorParams& p) {
  return std::make_unique<PrivilegedContainer>();
}

}  // namespace kaudit
