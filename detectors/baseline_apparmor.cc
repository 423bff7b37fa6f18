// AppArmor (Pod Security Standards baseline "AppArmor"): appArmorProfile.type Unconfined (or
// anything but RuntimeDefault/Localhost) at pod or container level, or a
// container.apparmor.security.beta.kubernetes.io/<container> annotation other than
// runtime/default or localhost/*. One alert per offending field.
#include <memory>

#include "absl/strings/str_cat.h"
#include "detectors/common/pod_security.h"
#include "src/common/strings.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class BaselineApparmor final : public PodSpecDetector {
 public:
  BaselineApparmor() {
    info_.id = "baseline_apparmor";
    info_.title = "AppArmor disabled";
    info_.description =
        "A pod or container was written with an AppArmor profile other than the runtime "
        "default or a localhost profile: it runs without AppArmor confinement.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1611", "T1562.001"};
    info_.catalog_ids = {"C58"};
    why_ = "it runs without AppArmor confinement";
  }

 protected:
  void Check(const AuditEvent&, const PodSpecView& s, std::vector<PodFinding>& out) override {
    auto check = [&](const SecurityContextView& sc, const ContainerView* c) {
      std::string_view t = sc.apparmor_type;
      if (t.empty() || t == "RuntimeDefault" || t == "Localhost") return;
      PodFinding& f = out.emplace_back();
      f.container = c;
      f.control = "appArmorProfile";
      f.severity = info_.severity;
      f.detail = absl::StrCat(c ? "" : "pod-level ", "appArmorProfile ", ToAbsl(t));
      f.fields = {{"apparmor_profile", std::string(t)}};
    };
    check(s.pod_security_context, nullptr);
    for (const ContainerView& c : s.containers) check(c.security_context, &c);
    for (const auto& [name, value] : s.apparmor_annotations) {
      if (value.empty() || value == "runtime/default" || StartsWith(value, "localhost/")) continue;
      const ContainerView* match = nullptr;
      for (const ContainerView& c : s.containers) {
        if (c.name == name) match = &c;
      }
      PodFinding& f = out.emplace_back();
      f.container = match;
      f.control = "apparmor_annotation";
      f.severity = info_.severity;
      f.detail =
          absl::StrCat("AppArmor annotation for container ", ToAbsl(name), " = ", ToAbsl(value));
      f.fields = {{"apparmor_profile", std::string(value)}};
    }
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewBaselineApparmor(DetectorParams&) {
  return std::make_unique<BaselineApparmor>();
}

}  // namespace kaudit
