// Binding that grants a role to a service account (catalog C73): a RoleBinding or
// ClusterRoleBinding created with a ServiceAccount subject. Service account tokens are
// mounted into pods, so the role becomes reachable from inside workloads. Medium; bindings
// by controllers (system:* users) are not reported.
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

class ServiceAccountBinding final : public Detector {
 public:
  ServiceAccountBinding() {
    info_.id = "serviceaccount_binding";
    info_.title = "Role bound to a service account";
    info_.description =
        "A (Cluster)RoleBinding grants a role to a service account: the permissions become "
        "usable by any pod running with that account's token.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1098.006"};
    info_.catalog_ids = {"C73"};
    info_.interest.verbs = Interest::Verbs({Verb::kCreate});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"clusterrolebindings", "rolebindings"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded() || StartsWith(e.username, "system:")) return;
    const RoleBindingView* b = WrittenBinding(e);
    if (b == nullptr) {
      ++not_judged_;
      return;
    }
    std::vector<SubjectView> sas;
    for (const auto& s : b->subjects) {
      if (s.kind == "ServiceAccount") sas.push_back(s);
    }
    if (sas.empty()) return;
    Alert a = MakeAlert(info_, e);
    a.message =
        absl::StrCat(ActorLabel(e), " created ", RoleLabel(e), " granting ",
                     ToAbsl(b->role_ref_kind), " ", ToAbsl(b->role_ref_name), " to ",
                     SubjectsText(sas), ": usable from any pod running as that service account");
    a.AddField("role_ref", absl::StrCat(ToAbsl(b->role_ref_kind), " ", ToAbsl(b->role_ref_name)));
    a.AddField("subjects", SubjectsText(sas));
    out.Emit(std::move(a));
  }

  uint64_t events_not_judged() const override { return not_judged_; }

 private:
  DetectorInfo info_;
  uint64_t not_judged_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewServiceAccountBinding(DetectorParams&) {
  return std::make_unique<ServiceAccountBinding>();
}

}  // namespace kaudit
