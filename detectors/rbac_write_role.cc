// Role/ClusterRole with write verbs created (catalog C77): a new role granting create,
// update, patch, delete or deletecollection. High when the writes reach secrets, RBAC,
// service accounts, pods, nodes or workloads; medium otherwise. Wildcard verbs are left to
// rbac_wildcard_role.
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

class RbacWriteRole final : public Detector {
 public:
  explicit RbacWriteRole(std::vector<std::string> sensitive) : sensitive_(std::move(sensitive)) {
    info_.id = "rbac_write_role";
    info_.title = "Role with write privileges created";
    info_.description =
        "A Role or ClusterRole granting write verbs was created: a new way to change the "
        "cluster (high when it can write secrets, RBAC, pods, nodes or workloads).";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1098.006"};
    info_.catalog_ids = {"C77"};
    info_.interest.verbs = Interest::Verbs({Verb::kCreate});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"clusterroles", "roles"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded()) return;
    const RoleView* role = WrittenRole(e);
    if (role == nullptr) {
      ++not_judged_;
      return;
    }
    const PolicyRuleView* first = nullptr;
    const PolicyRuleView* sensitive = nullptr;
    for (const auto& rule : role->rules) {
      if (ContainsView(rule.verbs, "*")) continue;
      if (!ContainsAny(rule.verbs, {"create", "update", "patch", "delete", "deletecollection"})) {
        continue;
      }
      if (first == nullptr) first = &rule;
      for (auto r : rule.resources) {
        std::string_view base = r.substr(0, r.find('/'));
        if (sensitive == nullptr && ContainsString(sensitive_, base)) sensitive = &rule;
      }
    }
    if (first == nullptr) return;
    const PolicyRuleView& rule = sensitive ? *sensitive : *first;
    Alert a = MakeAlert(info_, e);
    if (sensitive) a.severity = Severity::kHigh;
    a.message = absl::StrCat(ActorLabel(e), " created ", RoleLabel(e), " with write privileges (",
                             RuleText(rule), ")",
                             sensitive ? ": it can change security-sensitive objects"
                                       : ": a new way to change the cluster");
    a.AddField("rule", RuleText(rule));
    out.Emit(std::move(a));
  }

  uint64_t events_not_judged() const override { return not_judged_; }

 private:
  DetectorInfo info_;
  std::vector<std::string> sensitive_;
  uint64_t not_judged_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewRbacWriteRole(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(
      auto sensitive,
      p.List("sensitive_resources",
             {"secrets", "roles", "clusterroles", "rolebindings", "clusterrolebindings",
              "serviceaccounts", "pods", "nodes", "daemonsets", "deployments", "statefulsets",
              "cronjobs", "jobs", "mutatingwebhookconfigurations",
              "validatingwebhookconfigurations", "persistentvolumes"}));
  return std::make_unique<RbacWriteRole>(std::move(sensitive));
}

}  // namespace kaudit
