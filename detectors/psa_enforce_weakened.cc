// Pod Security admission turned off for a namespace (DETECTIONS.md's hardening table, H11:
// "admission controllers enforce policy"): a namespace created, updated or patched with its
// `pod-security.kubernetes.io/enforce` label set to `privileged` (no restriction), or a merge
// patch that removes the label (null; the cluster default then applies, usually privileged).
// The usual step before running a privileged pod where the policy forbade it. Judged on the
// request body; a JSON patch or a write without a body is counted as not judged. A change from
// restricted to baseline is not seen (it needs the previous level). Namespaces in
// `ignore_namespaces` (kube-system) are skipped. Medium.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

constexpr std::string_view kEnforce = "pod-security.kubernetes.io/enforce";

class PsaEnforceWeakened final : public Detector {
 public:
  explicit PsaEnforceWeakened(std::vector<std::string> ignore) : ignore_(std::move(ignore)) {
    info_.id = "psa_enforce_weakened";
    info_.title = "Pod Security enforcement turned off for a namespace";
    info_.description =
        "A namespace's pod-security.kubernetes.io/enforce label was set to privileged or "
        "removed: Pod Security admission no longer stops privileged pods there.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1562.001", "T1610"};
    info_.catalog_ids = {"H11"};
    info_.interest.verbs = Interest::Verbs({Verb::kCreate, Verb::kUpdate, Verb::kPatch});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"namespaces"};
  }

  const DetectorInfo& info() const override { return info_; }
  uint64_t events_not_judged() const override { return not_judged_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded() || !e.object.subresource.empty()) return;
    if (std::find(ignore_.begin(), ignore_.end(), e.object.name) != ignore_.end()) return;
    const ObjectMetaView* meta = e.RequestObjectMeta();
    if (meta == nullptr) {
      if (e.request_object.empty() || e.request_object.front() == '[') ++not_judged_;
      return;
    }
    for (const auto& [key, value] : meta->labels) {
      if (key != kEnforce) continue;
      std::string what;
      if (value == "privileged") {
        what = absl::StrCat("set ", ToAbsl(kEnforce), "=privileged on");
      } else if (value.empty() && e.verb == Verb::kPatch) {
        what = absl::StrCat("removed ", ToAbsl(kEnforce), " from");
      } else {
        return;
      }
      Alert a = MakeAlert(info_, e);
      a.AddField("enforce", value.empty() ? "(removed)" : std::string(value));
      a.message = absl::StrCat(ActorLabel(e), " ", what, " namespace ", ToAbsl(e.object.name), " (",
                               ToAbsl(PastTense(e.verb)),
                               "): Pod Security admission no longer stops privileged pods there");
      out.Emit(std::move(a));
      return;
    }
  }

 private:
  DetectorInfo info_;
  std::vector<std::string> ignore_;
  uint64_t not_judged_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewPsaEnforceWeakened(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(std::vector<std::string> ignore,
                          p.List("ignore_namespaces", {"kube-system"}));
  return std::make_unique<PsaEnforceWeakened>(std::move(ignore));
}

}  // namespace kaudit
