// Binding to cluster-admin or another privileged role (catalog C70, C71): a RoleBinding or
// ClusterRoleBinding created, updated or patched whose roleRef is a privileged role
// (cluster-admin, admin by default) or whose subjects include the system:masters group.
// Critical when the actor is not itself a cluster admin (system:masters) or when the subject
// is a namespace's default service account (every pod of the namespace becomes admin).
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

class ClusterAdminBinding final : public Detector {
 public:
  ClusterAdminBinding(std::vector<std::string> roles, std::vector<std::string> admin_groups)
      : roles_(std::move(roles)), admin_groups_(std::move(admin_groups)) {
    info_.id = "cluster_admin_binding";
    info_.title = "Binding to cluster-admin or a privileged role";
    info_.description =
        "A (Cluster)RoleBinding grants cluster-admin, admin or system:masters: full control of "
        "the cluster (or namespace) for its subjects.";
    info_.severity = Severity::kHigh;
    info_.mitre = {"T1098.006", "T1078.004"};
    info_.catalog_ids = {"C70", "C71"};
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
    // A merge patch of the subjects carries no roleRef (it is immutable): take it from the
    // object as stored.
    std::string_view ref_kind = b->role_ref_kind, ref_name = b->role_ref_name;
    if (ref_name.empty()) {
      if (const RoleBindingView* stored = e.ResponseRoleBinding()) {
        ref_kind = stored->role_ref_kind;
        ref_name = stored->role_ref_name;
      }
    }
    bool privileged_role = ContainsString(roles_, ref_name);
    std::string masters;
    bool default_sa = false;
    for (const auto& s : b->subjects) {
      if (s.kind == "Group" && s.name == "system:masters") masters = "system:masters";
      if (s.kind == "ServiceAccount" && s.name == "default") default_sa = true;
    }
    if (!privileged_role && masters.empty()) return;
    bool actor_admin = false;
    for (const auto& g : admin_groups_) actor_admin |= e.HasGroup(g);
    Alert a = MakeAlert(info_, e);
    std::string granted = privileged_role ? absl::StrCat(ToAbsl(ref_kind), " ", ToAbsl(ref_name))
                                          : std::string("group system:masters");
    if (!actor_admin || (default_sa && privileged_role)) a.severity = Severity::kCritical;
    a.message = absl::StrCat(
        ActorLabel(e), " ", ToAbsl(PastTense(e.verb)), " ", RoleLabel(e), " granting ", granted,
        " to ", b->subjects.empty() ? std::string("(no subjects)") : SubjectsText(b->subjects),
        default_sa ? ": every pod using the default service account gets admin rights"
                   : ": full administrative control for its subjects",
        actor_admin ? "" : " (granted by an identity that is not a cluster admin)");
    a.AddField("role_ref", granted);
    a.AddField("subjects", SubjectsText(b->subjects));
    out.Emit(std::move(a));
  }

  uint64_t events_not_judged() const override { return not_judged_; }

 private:
  DetectorInfo info_;
  std::vector<std::string> roles_, admin_groups_;
  uint64_t not_judged_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewClusterAdminBinding(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(auto roles, p.List("privileged_roles", {"cluster-admin", "admin"}));
  KAUDIT_ASSIGN_OR_RETURN(auto groups, p.List("admin_groups", {"system:masters"}));
  return std::make_unique<ClusterAdminBinding>(std::move(roles), std::move(groups));
}

}  // namespace kaudit
