// Forbidden request (catalog C10, C09): a create the authorizer refused (decision forbid, or
// 403 at ResponseComplete): someone trying to run, bind or mint something they may not, an
// escalation attempt or a stolen token probing its limits. Medium. Any other refusal of a
// service account (catalog C15: pods' tokens rarely hit RBAC walls unless misused) is low
// (`service_account_denials`, on by default). With `all_denials: true`, also every other
// 401/403 (catalog C09) at low: noisy, meant as a hunting stream.
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

class ForbiddenRequest final : public Detector {
 public:
  ForbiddenRequest(bool all, bool service_accounts) : all_(all), sa_(service_accounts) {
    info_.id = "forbidden_request";
    info_.title = "Forbidden request";
    info_.description =
        "The authorizer refused a create: an identity tried to create something it may not "
        "(an escalation attempt or a stolen token probing its limits).";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1613", "T1078"};
    info_.catalog_ids = {"C10", "C15", "C09"};
    if (!all_ && !sa_) info_.interest.verbs = Interest::Verbs({Verb::kCreate});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.traits = EventTrait::kRefused;
    info_.default_allow_users = {"system:node:[^:]+"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome) return;
    const bool forbidden = e.decision == "forbid" || e.response_code == 403;
    if (!forbidden && e.response_code != 401) return;
    const bool create = forbidden && e.verb == Verb::kCreate;
    const bool sa = forbidden && StartsWith(e.Actor(), "system:serviceaccount:");
    if (!create && !all_ && !(sa_ && sa)) return;
    Alert a = MakeAlert(info_, e);
    if (!create) a.severity = Severity::kLow;
    std::string target = TargetLabel(e);
    a.message = absl::StrCat(
        ActorLabel(e),
        forbidden ? " was refused: " : " failed to authenticate: ", ToAbsl(e.verb_text), " ",
        target, " (", e.response_code, ")",
        create ? ": an attempt to create something the identity may not" : ": a denied request");
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
  bool all_, sa_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewForbiddenRequest(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(bool all, p.Bool("all_denials", false));
  KAUDIT_ASSIGN_OR_RETURN(bool sa, p.Bool("service_account_denials", true));
  return std::make_unique<ForbiddenRequest>(all, sa);
}

}  // namespace kaudit
