// RoleBinding or ClusterRoleBinding created, changed or deleted (catalog C72): an info-level
// trail of every change to who holds which role, with the role and subjects as evidence.
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

class RbacBindingChanged final : public Detector {
 public:
  RbacBindingChanged() {
    info_.id = "rbac_binding_changed";
    info_.title = "Role binding changed";
    info_.description =
        "A RoleBinding or ClusterRoleBinding was created, changed or deleted: who holds which "
        "role changed.";
    info_.severity = Severity::kInfo;
    info_.mitre = {"T1098.006"};
    info_.catalog_ids = {"C72"};
    info_.interest.verbs = Interest::Verbs(
        {Verb::kCreate, Verb::kUpdate, Verb::kPatch, Verb::kDelete, Verb::kDeleteCollection});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"clusterrolebindings", "rolebindings"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded()) return;
    Alert a = MakeAlert(info_, e);
    std::string detail;
    if (e.verb != Verb::kDelete && e.verb != Verb::kDeleteCollection) {
      if (const RoleBindingView* b = WrittenBinding(e)) {
        if (!b->role_ref_name.empty()) {
          detail = absl::StrCat(" (", ToAbsl(b->role_ref_kind), " ", ToAbsl(b->role_ref_name));
          if (!b->subjects.empty()) absl::StrAppend(&detail, " to ", SubjectsText(b->subjects));
          detail += ")";
          a.AddField("role_ref",
                     absl::StrCat(ToAbsl(b->role_ref_kind), " ", ToAbsl(b->role_ref_name)));
        }
        if (!b->subjects.empty()) a.AddField("subjects", SubjectsText(b->subjects));
      }
    }
    a.message =
        absl::StrCat(ActorLabel(e), " ", ToAbsl(PastTense(e.verb)), " ", RoleLabel(e), detail);
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewRbacBindingChanged(DetectorParams&) {
  return std::make_unique<RbacBindingChanged>();
}

}  // namespace kaudit
