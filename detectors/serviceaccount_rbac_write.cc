// Service account writes RBAC objects (catalog C80): a request by a service account
// (system:serviceaccount:*) that created, changed or deleted a Role, ClusterRole, RoleBinding
// or ClusterRoleBinding. Stolen workload tokens are used this way to entrench; operators that
// manage RBAC should be allow-listed. The clusterrole-aggregation controller, the garbage
// collector and the namespace controller are allow-listed by default.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "detectors/common/rbac.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class ServiceAccountRbacWrite final : public Detector {
 public:
  ServiceAccountRbacWrite() {
    info_.id = "serviceaccount_rbac_write";
    info_.title = "Service account changed RBAC";
    info_.description =
        "A service account created, changed or deleted RBAC objects: workload credentials "
        "are being used to change who may do what.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1098.006", "T1078.004"};
    info_.catalog_ids = {"C80"};
    info_.interest.verbs = Interest::Verbs(
        {Verb::kCreate, Verb::kUpdate, Verb::kPatch, Verb::kDelete, Verb::kDeleteCollection});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"clusterroles", "roles", "clusterrolebindings", "rolebindings"};
    info_.default_allow_users = {
        "system:serviceaccount:kube-system:clusterrole-aggregation-controller",
        "system:serviceaccount:kube-system:generic-garbage-collector",
        "system:serviceaccount:kube-system:namespace-controller"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded()) return;
    if (!StartsWith(e.Actor(), "system:serviceaccount:")) return;
    Alert a = MakeAlert(info_, e);
    a.message = absl::StrCat("service account ", ActorLabel(e), " ", ToAbsl(PastTense(e.verb)), " ",
                             RoleLabel(e), ": workload credentials are changing who may do what");
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewServiceAccountRbacWrite(DetectorParams&) {
  return std::make_unique<ServiceAccountRbacWrite>();
}

}  // namespace kaudit
