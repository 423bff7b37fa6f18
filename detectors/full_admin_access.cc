// Activity by a full-admin account (catalog C07; Falco's Full K8s Administrative Access,
// which Falco ships disabled): any request (judged once) by one of the configured all-powerful
// user names, or by a member of an admin group (system:masters). Off by default: on clusters
// where shared admin credentials should never be used day to day, enable it and allow-list
// break-glass users.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "detectors/common/matcher.h"
#include "detectors/common/rbac.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class FullAdminAccess final : public Detector {
 public:
  FullAdminAccess(std::unique_ptr<PatternSet> users, std::vector<std::string> groups)
      : users_(std::move(users)), groups_(std::move(groups)) {
    info_.id = "full_admin_access";
    info_.title = "Request by a full-admin account";
    info_.description =
        "A shared all-powerful account (kubernetes-admin, admin, a system:masters member) "
        "made a request: such credentials bypass RBAC and should not be in daily use.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1078.004"};
    info_.catalog_ids = {"C07"};
    info_.interest.stages = Interest::OutcomeStages();
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome) return;
    std::string_view user = e.Actor();
    if (user.empty() || StartsWith(user, "system:")) return;
    std::string why;
    if (users_ && users_->Matches(user)) {
      why = "a full-admin user";
    } else {
      for (const auto& g : groups_) {
        if (e.HasGroup(g)) {
          why = absl::StrCat("a member of ", g);
          break;
        }
      }
    }
    if (why.empty()) return;
    Alert a = MakeAlert(info_, e);
    std::string target = e.has_object_ref
                             ? absl::StrCat(ToAbsl(e.object.resource), " ", ObjectLabel(e))
                             : std::string(e.request_uri);
    a.message = absl::StrCat(ActorLabel(e), " (", why, ") ", ToAbsl(e.verb_text), " ", target,
                             ": full administrative credentials in use");
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
  std::unique_ptr<PatternSet> users_;
  std::vector<std::string> groups_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewFullAdminAccess(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(auto list,
                          p.List("admin_users", {"admin", "kubernetes-admin", "kubernetes-admin@.*",
                                                 "cluster-admin", "minikube-user"}));
  KAUDIT_ASSIGN_OR_RETURN(auto groups, p.List("admin_groups", {"system:masters"}));
  std::unique_ptr<PatternSet> set;
  if (!list.empty()) {
    KAUDIT_ASSIGN_OR_RETURN(set, PatternSet::Create(list, p.KeyPath("admin_users")));
  }
  return std::make_unique<FullAdminAccess>(std::move(set), std::move(groups));
}

}  // namespace kaudit
