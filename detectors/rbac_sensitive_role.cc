// Role granting RBAC escalation or node access (catalog C76, C78): a Role or ClusterRole
// created, updated or patched with the escalate, bind or impersonate verbs, with
// nodes/proxy (kubelet API: exec in any pod of the node), or with serviceaccounts/token
// create (mint tokens for any service account). These bypass RBAC's own escalation checks.
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

class RbacSensitiveRole final : public Detector {
 public:
  RbacSensitiveRole() {
    info_.id = "rbac_sensitive_role";
    info_.title = "Role granting escalation or node access";
    info_.description =
        "A Role or ClusterRole grants escalate, bind or impersonate, nodes/proxy or "
        "serviceaccounts/token: permissions that bypass RBAC's escalation checks.";
    info_.severity = Severity::kHigh;
    info_.mitre = {"T1098.006", "T1078.004"};
    info_.catalog_ids = {"C76", "C78"};
    info_.interest.verbs = Interest::WriteVerbs();
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"clusterroles", "roles"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    JudgeWrittenRole(info_, e, out, &not_judged_, [](const PolicyRuleView& rule) -> std::string {
      std::string_view why;
      if (ContainsAny(rule.verbs, {"escalate", "bind", "impersonate"})) {
        why = "can escalate, bind or impersonate past its own permissions";
      } else if (ContainsAny(rule.resources, {"nodes/proxy", "nodes/*"})) {
        why = "reaches the kubelet API (nodes/proxy): commands in any pod of a node";
      } else if (ContainsView(rule.resources, "serviceaccounts/token") &&
                 ContainsAny(rule.verbs, {"create", "*"})) {
        why = "can mint tokens for service accounts";
      }
      if (why.empty()) return "";
      return absl::StrCat(" with rule ", RuleText(rule), ": its holders ", ToAbsl(why));
    });
  }

  uint64_t events_not_judged() const override { return not_judged_; }

 private:
  DetectorInfo info_;
  uint64_t not_judged_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewRbacSensitiveRole(DetectorParams&) {
  return std::make_unique<RbacSensitiveRole>();
}

}  // namespace kaudit
