// Role/ClusterRole with wildcard verbs or resources (catalog C74): created, or an existing
// role updated or patched (merge or JSON patch) to hold a rule with "*" verbs or resources.
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

class RbacWildcardRole final : public Detector {
 public:
  RbacWildcardRole() {
    info_.id = "rbac_wildcard_role";
    info_.title = "Role with wildcard permissions";
    info_.description =
        "A Role or ClusterRole was created or changed to grant '*' verbs or resources: "
        "everything, including resources added later, is allowed to its holders.";
    info_.severity = Severity::kHigh;
    info_.mitre = {"T1098.006", "T1078.004"};
    info_.catalog_ids = {"C74"};
    info_.interest.verbs = Interest::WriteVerbs();
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"clusterroles", "roles"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    JudgeWrittenRole(info_, e, out, &not_judged_, [](const PolicyRuleView& rule) -> std::string {
      const bool verbs = ContainsView(rule.verbs, "*");
      const bool resources = ContainsView(rule.resources, "*");
      if (!verbs && !resources) return "";
      const char* what = verbs && resources ? "all verbs on all resources"
                         : verbs            ? "all verbs"
                                            : "all resources";
      return absl::StrCat(" with a wildcard rule (", RuleText(rule), "): grants ", what,
                          " to whoever is bound to it");
    });
  }

  uint64_t events_not_judged() const override { return not_judged_; }

 private:
  DetectorInfo info_;
  uint64_t not_judged_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewRbacWildcardRole(DetectorParams&) {
  return std::make_unique<RbacWildcardRole>();
}

}  // namespace kaudit
