// Admission webhook created, modified or deleted (catalog C86): a mutating webhook sees (and
// can rewrite) every matching object, secrets included; deleting a validating webhook turns
// off a policy control. Medium.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class AdmissionWebhookChanged final : public Detector {
 public:
  AdmissionWebhookChanged() {
    info_.id = "admission_webhook_changed";
    info_.title = "Admission webhook changed";
    info_.description =
        "A mutating or validating admission webhook was created, changed or deleted: it can "
        "intercept and rewrite API objects, or a policy control was removed.";
    info_.severity = Severity::kHigh;
    info_.mitre = {"T1546", "T1562.001"};
    info_.catalog_ids = {"C86"};
    info_.interest.verbs =
        Interest::Verbs({Verb::kCreate, Verb::kUpdate, Verb::kPatch, Verb::kDelete});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"mutatingwebhookconfigurations", "validatingwebhookconfigurations"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded()) return;
    const bool mutating = e.object.resource == "mutatingwebhookconfigurations";
    Alert a = MakeAlert(info_, e);
    a.message = absl::StrCat(
        ActorLabel(e), " ", ToAbsl(PastTense(e.verb)), mutating ? " mutating" : " validating",
        " webhook configuration ", ObjectLabel(e),
        mutating ? ": a webhook can see and rewrite the objects it matches"
                 : (e.verb == Verb::kDelete ? ": an admission policy control was removed"
                                            : ": admission policy for matching objects changed"));
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewAdmissionWebhookChanged(DetectorParams&) {
  return std::make_unique<AdmissionWebhookChanged>();
}

}  // namespace kaudit
