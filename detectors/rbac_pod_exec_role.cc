// Role/ClusterRole granting pods/exec or pods/attach (catalog C75): created, updated or
// patched. Exec into pods reads every secret and token mounted there.
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

class RbacPodExecRole final : public Detector {
 public:
  RbacPodExecRole() {
    info_.id = "rbac_pod_exec_role";
    info_.title = "Role granting pod exec";
    info_.description =
        "A Role or ClusterRole granting pods/exec or pods/attach was created or changed: its "
        "holders can run commands in containers and take their credentials.";
    info_.severity = Severity::kHigh;
    info_.mitre = {"T1098.006", "T1609"};
    info_.catalog_ids = {"C75"};
    info_.interest.verbs = Interest::WriteVerbs();
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"clusterroles", "roles"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    JudgeWrittenRole(info_, e, out, &not_judged_, [](const PolicyRuleView& rule) -> std::string {
      if (!ContainsAny(rule.resources, {"pods/exec", "pods/attach", "pods/*"})) return "";
      return absl::StrCat(" granting exec into pods (", RuleText(rule),
                          "): its holders can run commands in any matching container");
    });
  }

  uint64_t events_not_judged() const override { return not_judged_; }

 private:
  DetectorInfo info_;
  uint64_t not_judged_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewRbacPodExecRole(DetectorParams&) {
  return std::make_unique<RbacPodExecRole>();
}

}  // namespace kaudit
