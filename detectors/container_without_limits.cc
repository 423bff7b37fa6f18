// Container without resource limits (hardening guides: resource limits and quotas): a
// container (not an ephemeral one, which cannot have resources) with no resources.limits.
// One alert per container; low.
#include <memory>

#include "detectors/common/pod_security.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class ContainerWithoutLimits final : public PodSpecDetector {
 public:
  ContainerWithoutLimits() {
    info_.id = "container_without_limits";
    info_.title = "Container without resource limits";
    info_.description =
        "A container was written without resources.limits: it can starve its node (denial of "
        "service, cryptomining at the cluster's cost).";
    info_.severity = Severity::kLow;
    info_.mitre = {"T1496", "T1499"};
    info_.catalog_ids = {"C59"};
    why_ = "it can use all of its node's CPU and memory (hardening gap)";
    needs_whole_object_ = true;
  }

 protected:
  void Check(const AuditEvent&, const PodSpecView& s, std::vector<PodFinding>& out) override {
    for (const ContainerView& c : s.containers) {
      if (c.has_limits || c.kind == ContainerKind::kEphemeral) continue;
      PodFinding& f = out.emplace_back();
      f.container = &c;
      f.control = "resources.limits";
      f.severity = info_.severity;
      f.detail = "no resource limits";
    }
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewContainerWithoutLimits(DetectorParams&) {
  return std::make_unique<ContainerWithoutLimits>();
}

}  // namespace kaudit
