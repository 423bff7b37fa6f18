// Admission control created, modified or deleted (catalog C86): a mutating webhook (or
// mutating admission policy) sees and can rewrite every matching object, secrets included;
// changing or deleting a validating webhook, a ValidatingAdmissionPolicy or its binding changes
// or turns off a policy control. High for a create or delete; medium for an update or patch.
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
    info_.title = "Admission webhook or policy changed";
    info_.description =
        "An admission webhook, admission policy or policy binding was created, changed or "
        "deleted: it can intercept and rewrite API objects, or a policy control was changed or "
        "removed.";
    info_.severity = Severity::kHigh;
    info_.mitre = {"T1546", "T1562.001"};
    info_.catalog_ids = {"C86"};
    info_.interest.verbs =
        Interest::Verbs({Verb::kCreate, Verb::kUpdate, Verb::kPatch, Verb::kDelete});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {
        "mutatingwebhookconfigurations", "validatingwebhookconfigurations",
        "validatingadmissionpolicies",   "validatingadmissionpolicybindings",
        "mutatingadmissionpolicies",     "mutatingadmissionpolicybindings"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded()) return;
    const std::string_view r = e.object.resource;
    const bool mutating = r.substr(0, 8) == "mutating";
    const bool binding = r.ends_with("bindings");
    const std::string_view what =
        r.ends_with("webhookconfigurations")
            ? " webhook configuration "
            : (binding ? " admission policy binding " : " admission policy ");
    std::string_view effect;
    if (mutating) {
      effect = ": it can see and rewrite the objects it matches";
    } else if (e.verb == Verb::kDelete) {
      effect = binding ? ": its policy no longer applies where it bound it"
                       : ": an admission policy control was removed";
    } else {
      effect = ": admission policy for matching objects changed";
    }
    Alert a = MakeAlert(info_, e);
    // Operators rewrite their webhooks' CA bundles all day (cert-manager's cainjector,
    // Gatekeeper, admission patch jobs): updates and patches are medium, a new or removed
    // webhook or policy high.
    if (e.verb == Verb::kUpdate || e.verb == Verb::kPatch) a.severity = Severity::kMedium;
    a.message = absl::StrCat(ActorLabel(e), " ", ToAbsl(PastTense(e.verb)),
                             mutating ? " mutating" : " validating", ToAbsl(what), ObjectLabel(e),
                             ToAbsl(effect));
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
