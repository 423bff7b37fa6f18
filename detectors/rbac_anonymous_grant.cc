// RBAC grant to anonymous or all-authenticated identities (catalog C04): a RoleBinding or
// ClusterRoleBinding written with subject system:anonymous, system:unauthenticated or
// system:authenticated. Critical: it opens the granted permissions to anyone who can reach
// the API server (system:authenticated: anyone with any credential). The built-in discovery
// bindings (system:basic-user, system:discovery, system:public-info-viewer) are ignored.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "detectors/common/rbac.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class RbacAnonymousGrant final : public Detector {
 public:
  explicit RbacAnonymousGrant(std::vector<std::string> ignore_roles)
      : ignore_roles_(std::move(ignore_roles)) {
    info_.id = "rbac_anonymous_grant";
    info_.title = "RBAC grant to anonymous users";
    info_.description =
        "A (Cluster)RoleBinding grants a role to system:anonymous, system:unauthenticated or "
        "system:authenticated: anyone who can reach the API (or holds any credential) gets it.";
    info_.severity = Severity::kCritical;
    info_.mitre = {"T1098.006", "T1190"};
    info_.catalog_ids = {"C04"};
    info_.interest.verbs = Interest::WriteVerbs();
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"clusterrolebindings", "rolebindings"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded()) return;
    const RoleBindingView* b = WrittenBinding(e);
    if (b == nullptr) {
      ++not_judged_;
      return;
    }
    if (ContainsString(ignore_roles_, b->role_ref_name)) return;
    for (const auto& s : b->subjects) {
      const bool anonymous =
          (s.kind == "User" && s.name == "system:anonymous") ||
          (s.kind == "Group" && (s.name == "system:unauthenticated" ||
                                 s.name == "system:authenticated" || s.name == "system:anonymous"));
      if (!anonymous) continue;
      Alert a = MakeAlert(info_, e);
      a.message = absl::StrCat(ActorLabel(e), " ", ToAbsl(PastTense(e.verb)), " ", RoleLabel(e),
                               " granting ", ToAbsl(b->role_ref_kind), " ",
                               ToAbsl(b->role_ref_name), " to ", SubjectText(s),
                               ": anyone who can reach the API server gets these permissions");
      a.AddField("role_ref", absl::StrCat(ToAbsl(b->role_ref_kind), " ", ToAbsl(b->role_ref_name)));
      a.AddField("subject", SubjectText(s));
      out.Emit(std::move(a));
      return;
    }
  }

  uint64_t events_not_judged() const override { return not_judged_; }

 private:
  DetectorInfo info_;
  std::vector<std::string> ignore_roles_;
  uint64_t not_judged_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewRbacAnonymousGrant(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(
      auto ignore, p.List("ignore_roles",
                          {"system:basic-user", "system:discovery", "system:public-info-viewer"}));
  return std::make_unique<RbacAnonymousGrant>(std::move(ignore));
}

}  // namespace kaudit
