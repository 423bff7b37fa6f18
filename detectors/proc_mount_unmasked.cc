// /proc mount type (Pod Security Standards baseline "/proc Mount Type"): a container with
// securityContext.procMount other than Default. Low by default: an unmasked /proc exposes
// kernel interfaces but is not an escape on its own (and is the normal setting of nested
// container builds in user namespaces); raise `severity` to treat it as the baseline does.
#include <memory>

#include "absl/strings/str_cat.h"
#include "detectors/common/pod_security.h"
#include "src/common/strings.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class ProcMountUnmasked final : public PodSpecDetector {
 public:
  ProcMountUnmasked() {
    info_.id = "proc_mount_unmasked";
    info_.title = "Unmasked /proc mount";
    info_.description =
        "A container was written with procMount other than Default: the runtime's masks over "
        "sensitive /proc paths are removed.";
    info_.severity = Severity::kLow;
    info_.mitre = {"T1611"};
    info_.catalog_ids = {"C58"};
    why_ = "the masks over sensitive kernel interfaces in /proc are removed";
  }

 protected:
  void Check(const AuditEvent&, const PodSpecView& s, std::vector<PodFinding>& out) override {
    for (const ContainerView& c : s.containers) {
      std::string_view pm = c.security_context.proc_mount;
      if (pm.empty() || pm == "Default") continue;
      PodFinding& f = out.emplace_back();
      f.container = &c;
      f.control = "procMount";
      f.severity = info_.severity;
      f.detail = absl::StrCat("procMount ", ToAbsl(pm));
      f.fields = {{"proc_mount", std::string(pm)}};
    }
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewProcMountUnmasked(DetectorParams&) {
  return std::make_unique<ProcMountUnmasked>();
}

}  // namespace kaudit
