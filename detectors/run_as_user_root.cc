// runAsUser 0 (catalog C59; Pod Security Standards restricted "Running as Non-root user"):
// the pod or a container sets runAsUser: 0. One alert per field; low.
#include <memory>

#include "detectors/common/pod_security.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class RunAsUserRoot final : public PodSpecDetector {
 public:
  RunAsUserRoot() {
    info_.id = "run_as_user_root";
    info_.title = "Runs as user 0 (root)";
    info_.description =
        "A pod or container was written with runAsUser: 0: it runs as root, which any "
        "container escape turns into root on the node.";
    info_.severity = Severity::kLow;
    info_.mitre = {"T1611", "T1548"};
    info_.catalog_ids = {"C59"};
    why_ = "it runs as root (restricted profile gap)";
  }

 protected:
  void Check(const AuditEvent&, const PodSpecView& s, std::vector<PodFinding>& out) override {
    auto check = [&](const SecurityContextView& sc, const ContainerView* c) {
      if (!sc.run_as_user.has_value() || *sc.run_as_user != 0) return;
      PodFinding& f = out.emplace_back();
      f.container = c;
      f.control = "runAsUser";
      f.severity = info_.severity;
      f.detail = c ? "runAsUser: 0" : "pod-level runAsUser: 0";
    };
    check(s.pod_security_context, nullptr);
    for (const ContainerView& c : s.containers) check(c.security_context, &c);
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewRunAsUserRoot(DetectorParams&) {
  return std::make_unique<RunAsUserRoot>();
}

}  // namespace kaudit
