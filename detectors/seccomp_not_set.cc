// Seccomp not set (catalog C59; Pod Security Standards restricted "Seccomp"): a Linux
// container whose effective seccompProfile.type (its own, else the pod's) is not
// RuntimeDefault or Localhost. One alert per container; low.
#include <memory>

#include "absl/strings/str_cat.h"
#include "detectors/common/pod_security.h"
#include "src/common/strings.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class SeccompNotSet final : public PodSpecDetector {
 public:
  SeccompNotSet() {
    info_.id = "seccomp_not_set";
    info_.title = "No seccomp profile";
    info_.description =
        "A container was written without a RuntimeDefault or Localhost seccomp profile (on it "
        "or the pod): the kernel's whole system call surface is open to it.";
    info_.severity = Severity::kLow;
    info_.mitre = {"T1611"};
    info_.catalog_ids = {"C59"};
    why_ = "no seccomp filter narrows its system calls (restricted profile gap)";
    needs_whole_object_ = true;
  }

 protected:
  void Check(const AuditEvent&, const PodSpecView& s, std::vector<PodFinding>& out) override {
    if (IsWindowsPod(s)) return;
    for (const ContainerView& c : s.containers) {
      std::string_view t = EffectiveSeccomp(s, c);
      if (t == "RuntimeDefault" || t == "Localhost") continue;
      PodFinding& f = out.emplace_back();
      f.container = &c;
      f.control = "seccompProfile";
      f.severity = info_.severity;
      f.detail =
          t.empty() ? std::string("no seccompProfile") : absl::StrCat("seccompProfile ", ToAbsl(t));
    }
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewSeccompNotSet(DetectorParams&) {
  return std::make_unique<SeccompNotSet>();
}

}  // namespace kaudit
