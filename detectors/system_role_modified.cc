// Built-in system role modified or deleted (catalog C79): create, update, patch or delete of
// a Role or ClusterRole named system:* (or eks:*), except roles that legitimately change
// (system:coredns, system:managed-certificate-controller by default). Tampering with the
// bootstrap roles quietly changes what every component is allowed to do. As in Falco, a
// create counts (re-creating a deleted system role with other rules); the API server's own
// bootstrap reconciliation (user system:apiserver) is allow-listed by default.
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

class SystemRoleModified final : public Detector {
 public:
  SystemRoleModified(std::vector<std::string> prefixes, std::vector<std::string> ignore)
      : prefixes_(std::move(prefixes)), ignore_(std::move(ignore)) {
    info_.id = "system_role_modified";
    info_.title = "System role modified or deleted";
    info_.description =
        "A built-in system:* Role or ClusterRole was changed or deleted: the permissions of "
        "cluster components were altered outside of the API server's bootstrap.";
    info_.severity = Severity::kHigh;
    info_.mitre = {"T1098.006", "T1562"};
    info_.catalog_ids = {"C79"};
    info_.interest.verbs =
        Interest::Verbs({Verb::kCreate, Verb::kUpdate, Verb::kPatch, Verb::kDelete});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"clusterroles", "roles"};
    info_.default_allow_users = {"system:apiserver"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded()) return;
    std::string_view name = e.object.name;
    bool system = false;
    for (const auto& p : prefixes_) system |= StartsWith(name, p);
    if (!system || ContainsString(ignore_, name)) return;
    Alert a = MakeAlert(info_, e);
    std::string rules;
    if (e.verb != Verb::kDelete) {
      if (const RoleView* r = WrittenRole(e)) {
        for (const auto& rule : r->rules) {
          if (!rules.empty()) rules += "; ";
          rules += RuleText(rule);
        }
      }
    }
    a.message =
        absl::StrCat(ActorLabel(e), " ", ToAbsl(PastTense(e.verb)), " built-in ", RoleLabel(e),
                     ": the permissions of a cluster component were changed by hand");
    if (!rules.empty()) a.AddField("rules", rules);
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
  std::vector<std::string> prefixes_, ignore_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewSystemRoleModified(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(auto prefixes, p.List("name_prefixes", {"system:", "eks:"}));
  KAUDIT_ASSIGN_OR_RETURN(
      auto ignore,
      p.List("ignore_names", {"system:coredns", "system:managed-certificate-controller"}));
  return std::make_unique<SystemRoleModified>(std::move(prefixes), std::move(ignore));
}

}  // namespace kaudit
