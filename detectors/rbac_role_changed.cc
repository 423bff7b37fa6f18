// Role or ClusterRole created, changed or deleted (catalog C93): an info-level trail of every
// change to what a role grants, with the number of rules written as evidence (the risky
// contents are judged by rbac_wildcard_role, rbac_sensitive_role, role_diff and others).
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

class RbacRoleChanged final : public Detector {
 public:
  RbacRoleChanged() {
    info_.id = "rbac_role_changed";
    info_.title = "Role changed";
    info_.description =
        "A Role or ClusterRole was created, changed or deleted: what some identities may do "
        "changed.";
    info_.severity = Severity::kInfo;
    info_.mitre = {"T1098.006"};
    info_.catalog_ids = {"C93"};
    info_.interest.verbs = Interest::Verbs(
        {Verb::kCreate, Verb::kUpdate, Verb::kPatch, Verb::kDelete, Verb::kDeleteCollection});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"clusterroles", "roles"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded()) return;
    Alert a = MakeAlert(info_, e);
    std::string detail;
    if (IsWrite(e.verb)) {
      if (const RoleView* r = WrittenRole(e)) {
        a.AddField("rules", absl::StrCat(r->rules.size()));
        detail = absl::StrCat(" (", r->rules.size(), r->rules.size() == 1 ? " rule" : " rules",
                              r->has_aggregation_rule ? ", aggregated" : "", ")");
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

absl::StatusOr<std::unique_ptr<Detector>> NewRbacRoleChanged(DetectorParams&) {
  return std::make_unique<RbacRoleChanged>();
}

}  // namespace kaudit
