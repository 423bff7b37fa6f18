// Untrusted node joined or tried to join (catalog C08). A Node object is trusted when it is
// registered by its own kubelet (user system:node:<name> in group system:nodes) and, if
// `allowed_nodes` (RE2) is set, its name matches one of them (Falco's allowed_k8s_nodes; Falco
// ships allow_all_k8s_nodes, which `allow_all_nodes: true` reproduces). Any other node create
// is reported: high when it succeeded (a rogue kubelet would be scheduled pods and handed their
// secrets), medium when it was refused (401/403).
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "detectors/common/matcher.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class UntrustedNodeJoin final : public Detector {
 public:
  UntrustedNodeJoin(bool allow_all, std::unique_ptr<PatternSet> allowed)
      : allow_all_(allow_all), allowed_(std::move(allowed)) {
    info_.id = "untrusted_node_join";
    info_.title = "Untrusted node joined the cluster";
    info_.description =
        "A node that is not on the trusted node list registered (or tried to): a rogue "
        "kubelet would be scheduled pods and handed their secrets.";
    info_.severity = Severity::kHigh;
    info_.mitre = {"T1078.004", "T1610"};
    info_.catalog_ids = {"C08"};
    info_.interest.verbs = Interest::Verbs({Verb::kCreate});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"nodes"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || allow_all_ || !e.object.subresource.empty()) return;
    const bool ok = e.Succeeded();
    if (!ok && e.response_code != 401 && e.response_code != 403) return;
    std::string_view name = e.object.name;
    const bool self_registered = e.HasGroup("system:nodes") &&
                                 StartsWith(e.username, "system:node:") &&
                                 e.username.substr(12) == name;
    const bool listed = !allowed_ || allowed_->Matches(name);
    if (self_registered && listed) return;
    Alert a = MakeAlert(info_, e);
    if (!ok) a.severity = Severity::kMedium;
    a.AddField("reason", !listed ? "not on allowed_nodes" : "not registered by its own kubelet");
    a.message = absl::StrCat(ok ? "untrusted node " : "untrusted node ",
                             name.empty() ? std::string("(unnamed)") : std::string(name),
                             ok ? " joined the cluster as " : " tried to join the cluster as ",
                             ActorLabel(e),
                             ok ? ": it will be scheduled pods and handed their secrets"
                                : absl::StrCat(" and was refused (", e.response_code, ")"));
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
  bool allow_all_;
  std::unique_ptr<PatternSet> allowed_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewUntrustedNodeJoin(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(bool allow_all, p.Bool("allow_all_nodes", false));
  KAUDIT_ASSIGN_OR_RETURN(auto list, p.List("allowed_nodes", {}));
  std::unique_ptr<PatternSet> set;
  if (!list.empty()) {
    KAUDIT_ASSIGN_OR_RETURN(set, PatternSet::Create(list, p.KeyPath("allowed_nodes")));
  }
  return std::make_unique<UntrustedNodeJoin>(allow_all, std::move(set));
}

}  // namespace kaudit
