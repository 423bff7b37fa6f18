// Self-subject review (catalog C19): `kubectl auth can-i` / `can-i --list` made through
// selfsubjectaccessreviews or selfsubjectrulesreviews. Humans do it while working; a service
// account or node identity enumerating its own permissions is what a stolen token does first.
// Low for users, medium for service accounts and nodes (the identities Elastic limits it to).
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

class SelfSubjectReview final : public Detector {
 public:
  SelfSubjectReview() {
    info_.id = "self_subject_review";
    info_.title = "Permission enumeration (self-subject review)";
    info_.description =
        "An identity asked the API server what it is allowed to do (kubectl auth can-i): the "
        "first step of a stolen service-account token.";
    info_.severity = Severity::kLow;
    info_.mitre = {"T1069.003", "T1087.004", "T1613"};
    info_.catalog_ids = {"C19"};
    info_.interest.verbs = Interest::Verbs({Verb::kCreate});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"selfsubjectaccessreviews", "selfsubjectrulesreviews"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome) return;
    if (!e.Succeeded() && !(e.response_code == 0 && e.decision == "allow")) return;
    std::string_view who = e.Actor();
    Alert a = MakeAlert(info_, e);
    const bool workload =
        StartsWith(who, "system:serviceaccount:") || StartsWith(who, "system:node:");
    if (workload) a.severity = Severity::kMedium;
    const bool rules = e.object.resource == "selfsubjectrulesreviews";
    a.message =
        absl::StrCat(ActorLabel(e),
                     rules ? " listed its own permissions" : " checked one of its own permissions",
                     " (", ToAbsl(e.object.resource), ")",
                     workload ? ": a workload identity enumerating what its token can do"
                              : ": permission discovery");
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewSelfSubjectReview(DetectorParams& p) {
  return std::make_unique<SelfSubjectReview>();
}

}  // namespace kaudit
