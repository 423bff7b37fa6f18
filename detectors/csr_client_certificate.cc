// Client certificate requested or approved (catalog C38, C40): a CertificateSigningRequest for
// a client certificate (signers kubernetes.io/kube-apiserver-client and
// kube-apiserver-client-kubelet, or usage "client auth") created or approved by an identity
// that is not a node, the bootstrap flow or a controller. A client certificate is a credential
// that cannot be revoked short of rotating the cluster CA. The PKCS#10 request (spec.request)
// is decoded with OpenSSL: a subject naming a privileged identity (CN system:admin, O
// system:masters, ...) is the request for a cluster-admin credential. Medium for a create, high
// for an approval or a privileged subject, critical for an approved privileged subject.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "detectors/common/csr.h"
#include "detectors/common/matcher.h"
#include "detectors/common/rbac.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class CsrClientCertificate final : public Detector {
 public:
  CsrClientCertificate(std::unique_ptr<PatternSet> users, std::unique_ptr<PatternSet> groups)
      : users_(std::move(users)), groups_(std::move(groups)) {
    info_.id = "csr_client_certificate";
    info_.title = "Client certificate requested or approved";
    info_.description =
        "A certificate signing request for a cluster client certificate was created or "
        "approved outside the node bootstrap flow: a long-lived credential that cannot be "
        "revoked (worse when it names a privileged user or group).";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1649", "T1098.006"};
    info_.catalog_ids = {"C38", "C40"};
    info_.interest.verbs = Interest::WriteVerbs();
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"certificatesigningrequests"};
    info_.default_allow_users = {"system:node:[^:]+", "system:bootstrap:[^:]+",
                                 "system:kube-controller-manager",
                                 "system:serviceaccount:kube-system:.*"};
  }

  const DetectorInfo& info() const override { return info_; }
  uint64_t events_not_judged() const override { return not_judged_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded()) return;
    const bool approval = e.object.subresource == "approval";
    if (!approval && !(e.object.subresource.empty() && e.verb == Verb::kCreate)) return;
    const CertificateSigningRequestView* csr = e.RequestCsr();
    if (csr == nullptr || csr->request.empty()) csr = e.ResponseCsr();
    if (csr == nullptr) {
      ++not_judged_;  // Metadata level: neither signer nor subject visible
      return;
    }
    if (approval && !ContainsView(csr->condition_types, "Approved")) return;
    if (!CanAuthenticateClients(*csr)) return;
    CsrSubject subject = DecodeCsrSubject(csr->request);
    std::string privileged;
    if (subject.ok) {
      if (users_ && users_->Matches(subject.common_name)) privileged = "CN=" + subject.common_name;
      for (const auto& o : subject.organizations) {
        if (privileged.empty() && groups_ && groups_->Matches(o)) privileged = "O=" + o;
      }
    }
    Alert a = MakeAlert(info_, e);
    a.severity = approval ? Severity::kHigh : Severity::kMedium;
    if (!privileged.empty()) a.severity = approval ? Severity::kCritical : Severity::kHigh;
    a.AddField("signer", std::string(csr->signer_name));
    if (!csr->username.empty()) a.AddField("requester", std::string(csr->username));
    std::string subj;
    if (subject.ok) {
      subj = absl::StrCat("CN=", subject.common_name);
      for (const auto& o : subject.organizations) absl::StrAppend(&subj, ", O=", o);
      a.AddField("subject", subj);
    }
    if (!privileged.empty()) a.AddField("privileged_subject", privileged);
    a.message = absl::StrCat(
        ActorLabel(e), approval ? " approved" : " requested", " client certificate ",
        ToAbsl(e.object.name), subj.empty() ? "" : absl::StrCat(" (", subj, ")"),
        privileged.empty()
            ? ": a long-lived cluster credential that cannot be revoked"
            : absl::StrCat(" for privileged ", privileged,
                           approval ? ": a cluster-admin-class credential was issued"
                                    : ": a request for a cluster-admin-class credential"));
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
  std::unique_ptr<PatternSet> users_, groups_;
  uint64_t not_judged_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewCsrClientCertificate(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(
      auto users, PatternsParam(p, "privileged_users",
                                {"admin", "cluster-admin", "kubernetes-admin", "system:admin",
                                 "system:apiserver", "system:kube-.*", "system:volume-scheduler",
                                 "system:serviceaccount:kube-system:.*"}));
  KAUDIT_ASSIGN_OR_RETURN(
      auto groups, PatternsParam(p, "privileged_groups",
                                 {"system:masters", "cluster-admin", "system:cluster-admins"}));
  return std::make_unique<CsrClientCertificate>(std::move(users), std::move(groups));
}

}  // namespace kaudit
