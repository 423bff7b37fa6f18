// runAsNonRoot not required (catalog C59; Pod Security Standards restricted "Running as
// Non-root"): a container whose effective runAsNonRoot (its own, else the pod's) is not true.
// One alert per container; low: a restricted-profile gap.
#include <memory>

#include "detectors/common/pod_security.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class RunAsNonRoot final : public PodSpecDetector {
 public:
  RunAsNonRoot() {
    info_.id = "run_as_non_root";
    info_.title = "runAsNonRoot not required";
    info_.description =
        "A container was written without runAsNonRoot: true (on it or the pod): it may run as "
        "root, which any container escape turns into root on the node.";
    info_.severity = Severity::kLow;
    info_.mitre = {"T1611", "T1548"};
    info_.catalog_ids = {"C59"};
    why_ = "it may run as root (restricted profile gap)";
    needs_whole_object_ = true;
  }

 protected:
  void Check(const AuditEvent&, const PodSpecView& s, std::vector<PodFinding>& out) override {
    for (const ContainerView& c : s.containers) {
      std::optional<bool> v = EffectiveRunAsNonRoot(s, c);
      if (v.value_or(false)) continue;
      PodFinding& f = out.emplace_back();
      f.container = &c;
      f.control = "runAsNonRoot";
      f.severity = info_.severity;
      f.detail = v.has_value() ? "runAsNonRoot: false" : "runAsNonRoot unset";
    }
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewRunAsNonRoot(DetectorParams&) {
  return std::make_unique<RunAsNonRoot>();
}

}  // namespace kaudit
