// Service-account token minted through the TokenRequest API (catalog C34): a create on
// serviceaccounts/token returns a bearer token for that service account; outside the kubelet
// and the controllers, this is someone taking a service account's identity (and its roles)
// away to use elsewhere. Medium.
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

class ServiceAccountTokenRequest final : public Detector {
 public:
  ServiceAccountTokenRequest() {
    info_.id = "serviceaccount_token_request";
    info_.title = "Service-account token minted";
    info_.description =
        "A token for a service account was minted through the TokenRequest API by an identity "
        "that is not the kubelet or a controller: the service account's permissions can now "
        "be used from anywhere.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1528", "T1552.007", "T1098"};
    info_.catalog_ids = {"C34"};
    info_.interest.verbs = Interest::Verbs({Verb::kCreate});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"serviceaccounts"};
    // Kubelets mint the projected tokens of their pods; the controllers and scheduler their own.
    info_.default_allow_users = {"system:node:[^:]+",
                                 "system:kube-controller-manager",
                                 "system:kube-scheduler",
                                 "system:serviceaccount:kube-system:.*",
                                 "eks:.*",
                                 "aksService"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || e.object.subresource != "token" || !e.Succeeded()) return;
    Alert a = MakeAlert(info_, e);
    a.message = absl::StrCat(ActorLabel(e), " minted a token for service account ", ObjectLabel(e),
                             ": the account's permissions can now be used outside the cluster");
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewServiceAccountTokenRequest(DetectorParams&) {
  return std::make_unique<ServiceAccountTokenRequest>();
}

}  // namespace kaudit
