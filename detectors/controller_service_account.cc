// Controller service account assigned to a pod (catalog C66): a pod or workload template in
// kube-system (`namespaces`) written with a serviceAccountName ending in "controller" (the
// service accounts kube-controller-manager's controllers run as, which hold broad RBAC):
// whoever runs code under them inherits those rights. Medium.
#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "detectors/common/pod_security.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class ControllerServiceAccount final : public PodSpecDetector {
 public:
  ControllerServiceAccount(std::vector<std::string> namespaces, std::vector<std::string> ignore)
      : namespaces_(std::move(namespaces)), ignore_(std::move(ignore)) {
    info_.id = "controller_service_account";
    info_.title = "Controller service account assigned to a pod";
    info_.description =
        "A pod or workload in kube-system was written to run as a controller's service account "
        "(*controller): its code gets the controller's cluster-wide permissions.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1078.001", "T1098"};
    info_.catalog_ids = {"C66"};
    why_ = "the pod's code runs with a controller's cluster-wide permissions";
  }

 protected:
  void Check(const AuditEvent& e, const PodSpecView& s, std::vector<PodFinding>& out) override {
    std::string_view sa = s.service_account_name;
    if (!EndsWith(sa, "controller")) return;
    if (std::find(namespaces_.begin(), namespaces_.end(), e.object.namespace_) == namespaces_.end())
      return;
    if (std::find(ignore_.begin(), ignore_.end(), sa) != ignore_.end()) return;
    PodFinding& f = out.emplace_back();
    f.control = "serviceAccountName";
    f.severity = info_.severity;
    f.detail = absl::StrCat("serviceAccountName ", ToAbsl(sa));
    f.fields = {{"service_account", std::string(sa)}};
  }

 private:
  std::vector<std::string> namespaces_, ignore_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewControllerServiceAccount(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(std::vector<std::string> namespaces,
                          p.List("namespaces", {"kube-system"}));
  KAUDIT_ASSIGN_OR_RETURN(std::vector<std::string> ignore, p.List("ignore_service_accounts", {}));
  return std::make_unique<ControllerServiceAccount>(std::move(namespaces), std::move(ignore));
}

}  // namespace kaudit
