// SELinux (Pod Security Standards baseline "SELinux"): seLinuxOptions.type other than
// container_t, container_init_t, container_kvm_t, container_engine_t, or any user or role, at
// pod or container level. One alert per offending securityContext.
#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "detectors/common/pod_security.h"
#include "src/common/strings.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

constexpr std::string_view kAllowedTypes[] = {"", "container_t", "container_init_t",
                                              "container_kvm_t", "container_engine_t"};

class BaselineSelinux final : public PodSpecDetector {
 public:
  BaselineSelinux() {
    info_.id = "baseline_selinux";
    info_.title = "Custom SELinux type, user or role";
    info_.description =
        "A pod or container was written with an SELinux type outside the container types, or "
        "with an SELinux user or role: it can run outside the container SELinux confinement.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1611", "T1562.001"};
    info_.catalog_ids = {"C58"};
    why_ = "it may escape the SELinux confinement of containers";
  }

 protected:
  void Check(const AuditEvent&, const PodSpecView& s, std::vector<PodFinding>& out) override {
    auto check = [&](const SecurityContextView& sc, const ContainerView* c) {
      if (!sc.has_se_linux_options) return;
      bool bad_type = std::find(std::begin(kAllowedTypes), std::end(kAllowedTypes),
                                sc.se_linux_type) == std::end(kAllowedTypes);
      if (!bad_type && sc.se_linux_user.empty() && sc.se_linux_role.empty()) return;
      PodFinding& f = out.emplace_back();
      f.container = c;
      f.control = "seLinuxOptions";
      f.severity = info_.severity;
      f.detail = absl::StrCat("seLinuxOptions type='", ToAbsl(sc.se_linux_type), "' user='",
                              ToAbsl(sc.se_linux_user), "' role='", ToAbsl(sc.se_linux_role), "'");
      f.fields = {{"selinux_type", std::string(sc.se_linux_type)},
                  {"selinux_user", std::string(sc.se_linux_user)},
                  {"selinux_role", std::string(sc.se_linux_role)}};
    };
    check(s.pod_security_context, nullptr);
    for (const ContainerView& c : s.containers) check(c.security_context, &c);
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewBaselineSelinux(DetectorParams&) {
  return std::make_unique<BaselineSelinux>();
}

}  // namespace kaudit
