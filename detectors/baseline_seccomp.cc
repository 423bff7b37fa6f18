// Seccomp Unconfined (Pod Security Standards baseline "Seccomp"): seccompProfile.type
// Unconfined at pod or container level. One alert per offending securityContext.
#include <memory>

#include "detectors/common/pod_security.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class BaselineSeccomp final : public PodSpecDetector {
 public:
  BaselineSeccomp() {
    info_.id = "baseline_seccomp";
    info_.title = "Seccomp disabled (Unconfined)";
    info_.description =
        "A pod or container was written with seccompProfile Unconfined: every system call is "
        "open to it, including those used in kernel exploits.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1611", "T1562.001"};
    info_.catalog_ids = {"C58"};
    why_ = "every system call is allowed, including those kernel exploits use";
  }

 protected:
  void Check(const AuditEvent&, const PodSpecView& s, std::vector<PodFinding>& out) override {
    auto check = [&](const SecurityContextView& sc, const ContainerView* c) {
      if (sc.seccomp_type != "Unconfined") return;
      PodFinding& f = out.emplace_back();
      f.container = c;
      f.control = "seccompProfile";
      f.severity = info_.severity;
      f.detail = c ? "seccompProfile Unconfined" : "pod-level seccompProfile Unconfined";
    };
    check(s.pod_security_context, nullptr);
    for (const ContainerView& c : s.containers) check(c.security_context, &c);
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewBaselineSeccomp(DetectorParams&) {
  return std::make_unique<BaselineSeccomp>();
}

}  // namespace kaudit
