// Namespace created outside the allow-list (catalog C82): Falco's Create Disallowed
// Namespace. The allowed names are RE2 patterns (default: default, kube-system, kube-public,
// kube-node-lease); any other new namespace is reported (low: usually change control, at
// times an attacker carving out a place to hide).
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

class DisallowedNamespace final : public Detector {
 public:
  explicit DisallowedNamespace(std::unique_ptr<PatternSet> allowed) : allowed_(std::move(allowed)) {
    info_.id = "disallowed_namespace";
    info_.title = "Namespace created outside the allow-list";
    info_.description =
        "A namespace whose name is not on the allow-list was created: unreviewed places to "
        "run workloads, sometimes used to hide them.";
    info_.severity = Severity::kLow;
    info_.mitre = {"T1036", "T1578"};
    info_.catalog_ids = {"C82"};
    info_.interest.verbs = Interest::Verbs({Verb::kCreate});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"namespaces"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded() || !e.object.subresource.empty()) return;
    std::string_view name = e.object.name;
    if (allowed_ && allowed_->Matches(name)) return;
    Alert a = MakeAlert(info_, e);
    a.message = absl::StrCat(ActorLabel(e), " created namespace ", ToAbsl(name),
                             ", which is not on the allowed namespace list");
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
  std::unique_ptr<PatternSet> allowed_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewDisallowedNamespace(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(
      auto list,
      p.List("allowed_namespaces", {"default", "kube-system", "kube-public", "kube-node-lease"}));
  std::unique_ptr<PatternSet> set;
  if (!list.empty()) {
    KAUDIT_ASSIGN_OR_RETURN(set, PatternSet::Create(list, p.KeyPath("allowed_namespaces")));
  }
  return std::make_unique<DisallowedNamespace>(std::move(set));
}

}  // namespace kaudit
