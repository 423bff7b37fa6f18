// Privilege escalation allowed (catalog C59; Pod Security Standards restricted "Privilege
// Escalation"): a Linux container whose allowPrivilegeEscalation is not set to false (unset
// means allowed). One alert per container; low: a restricted-profile gap.
#include <memory>

#include "detectors/common/pod_security.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class AllowPrivilegeEscalation final : public PodSpecDetector {
 public:
  AllowPrivilegeEscalation() {
    info_.id = "allow_privilege_escalation";
    info_.title = "Privilege escalation not disabled";
    info_.description =
        "A container was written without allowPrivilegeEscalation: false (restricted profile): "
        "setuid binaries and file capabilities can raise its privileges.";
    info_.severity = Severity::kLow;
    info_.mitre = {"T1548", "T1611"};
    info_.catalog_ids = {"C59"};
    why_ = "setuid binaries inside it can gain privileges (restricted profile gap)";
    needs_whole_object_ = true;
  }

 protected:
  void Check(const AuditEvent&, const PodSpecView& s, std::vector<PodFinding>& out) override {
    if (IsWindowsPod(s)) return;
    for (const ContainerView& c : s.containers) {
      const auto& ape = c.security_context.allow_privilege_escalation;
      if (ape.has_value() && !*ape) continue;
      PodFinding& f = out.emplace_back();
      f.container = &c;
      f.control = "allowPrivilegeEscalation";
      f.severity = info_.severity;
      f.detail = ape.has_value() ? "allowPrivilegeEscalation: true"
                                 : "allowPrivilegeEscalation unset (allowed)";
    }
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewAllowPrivilegeEscalation(DetectorParams&) {
  return std::make_unique<AllowPrivilegeEscalation>();
}

}  // namespace kaudit
