// Forbidden request (catalog C10, C09): a create the authorizer refused (decision forbid, or
// 403 at ResponseComplete): someone trying to run, bind or mint something they may not, an
// escalation attempt or a stolen token probing its limits. Medium. With `all_denials: true`,
// also every other 401/403 (catalog C09) at low: noisy, meant as a hunting stream.
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
  explicit ForbiddenRequest(bool all) : all_(all) {
    info_.id = "forbidden_request";
    info_.title = "Forbidden request";
    info_.description =
        "The authorizer refused a create: an identity tried to create something it may not "
        "(an escalation attempt or a stolen token probing its limits).";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1613", "T1078"};
    info_.catalog_ids = {"C10", "C09"};
    if (!all_) info_.interest.verbs = Interest::Verbs({Verb::kCreate});
    info_.interest.stages = Interest::OutcomeStages();
    info_.default_allow_users = {"system:node:[^:]+"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome) return;
    const bool forbidden = e.decision == "forbid" || e.response_code == 403;
    if (!forbidden && e.response_code != 401) return;
    const bool create = forbidden && e.verb == Verb::kCreate;
    if (!create && !all_) return;
    Alert a = MakeAlert(info_, e);
    if (!create) a.severity = Severity::kLow;
    std::string target = e.has_object_ref
                             ? absl::StrCat(ToAbsl(e.object.resource),
                                            e.object.subresource.empty()
                                                ? ""
                                                : absl::StrCat("/", ToAbsl(e.object.subresource)),
                                            " ", ObjectLabel(e))
                             : std::string(e.request_uri);
    a.message = absl::StrCat(
        ActorLabel(e), forbidden ? " was refused (forbidden) " : " failed to authenticate for ",
        ToAbsl(e.verb_text), " ", target,
        create ? ": an attempt to create something the identity may not" : ": a denied request");
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
  bool all_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewForbiddenRequest(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(bool all, p.Bool("all_denials", false));
  return std::make_unique<ForbiddenRequest>(all);
}

}  // namespace kaudit
