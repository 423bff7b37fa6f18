// Request impersonating a privileged identity (catalog C83): kubectl --as / --as-group (the
// Impersonate-User and Impersonate-Group headers) naming an administrator, a control-plane
// component, a node, a kube-system service account or an admin group. Whoever may impersonate
// them holds their power; an allowed request is the power in use. High.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "detectors/common/matcher.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class PrivilegedImpersonation final : public Detector {
 public:
  PrivilegedImpersonation(std::unique_ptr<PatternSet> users, std::unique_ptr<PatternSet> groups)
      : users_(std::move(users)), groups_(std::move(groups)) {
    info_.id = "privileged_impersonation";
    info_.title = "Privileged identity impersonated";
    info_.description =
        "A request impersonated an administrator, a control-plane component, a node or an "
        "admin group: whoever may impersonate them holds their privileges.";
    info_.severity = Severity::kHigh;
    info_.mitre = {"T1134", "T1078.004"};
    info_.catalog_ids = {"C83"};
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.traits = EventTrait::kImpersonating;
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome) return;
    if (e.impersonated_user.empty() && e.impersonated_groups.empty()) return;
    if (!(e.decision == "allow" || (e.decision.empty() && e.Succeeded()))) return;
    std::string_view who;
    if (users_ && !e.impersonated_user.empty() && users_->Matches(e.impersonated_user)) {
      who = e.impersonated_user;
    }
    std::string_view group;
    if (groups_) {
      for (std::string_view g : e.impersonated_groups) {
        if (groups_->Matches(g)) {
          group = g;
          break;
        }
      }
    }
    if (who.empty() && group.empty()) return;
    Alert a = MakeAlert(info_, e);
    if (!group.empty()) a.AddField("impersonated_group", std::string(group));
    std::string target =
        who.empty() ? absl::StrCat("group ", ToAbsl(group))
                    : (group.empty() ? std::string(who)
                                     : absl::StrCat(ToAbsl(who), " in group ", ToAbsl(group)));
    a.message = absl::StrCat(
        ToAbsl(e.username.empty() ? std::string_view("<unauthenticated>") : e.username),
        " impersonated privileged ", target, " to ", ToAbsl(e.verb_text), " ", TargetLabel(e),
        ": acting with the privileges of an administrator or system component");
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
  std::unique_ptr<PatternSet> users_, groups_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewPrivilegedImpersonation(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(
      auto users, PatternsParam(p, "privileged_users",
                                {"admin", "cluster-admin", "kubernetes-admin", "system:admin",
                                 "system:anonymous", "system:apiserver", "system:kube-.*",
                                 "system:volume-scheduler", "system:node:.*",
                                 "system:serviceaccount:kube-system:.*"}));
  KAUDIT_ASSIGN_OR_RETURN(auto groups, PatternsParam(p, "privileged_groups",
                                                     {"system:masters", "cluster-admin",
                                                      "system:cluster-admins", "system:nodes"}));
  return std::make_unique<PrivilegedImpersonation>(std::move(users), std::move(groups));
}

}  // namespace kaudit
