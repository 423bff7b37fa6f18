// CSR created, approved, then used (DETECTIONS.md stateful #5): a CertificateSigningRequest for
// a client certificate is created, approved (an Approved condition written through the
// approval subresource), and within `window` of the approval the identity the certificate
// asserts (the CN of the PKCS#10 request, decoded with detectors/common/csr.h) makes its first
// request. One alert naming the creator, the approver and that first request: a new
// credential issued and put to use. High; critical when the approver is the creator or the
// certificate names a privileged user (CN) or group (O). Approvals by `ignore_approvers` (the
// controller manager's automatic approval of kubelet certificates) are not followed, and
// certificates that cannot authenticate clients (no client signer, no "client auth" usage)
// are skipped. Needs Request level on CSR writes to read the subject (counted as not judged
// otherwise). Stateful and bounded: created CSRs by name (`max_csrs`) and approved identities
// by user name (`max_identities`), both LRU with evictions counted and forgotten after
// `window`.
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
#include "src/engine/keyed_state.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

struct CreatedCsr {
  std::string creator, audit_id, common_name;
  std::vector<std::string> organizations;
  absl::Time at = absl::InfinitePast();
};

struct ApprovedIdentity {
  std::string csr, creator, approver, create_audit_id, approve_audit_id, subject, privileged;
  absl::Time created = absl::InfinitePast();
  absl::Time approved = absl::InfinitePast();
};

class CsrApprovedThenUsed final : public Detector {
 public:
  CsrApprovedThenUsed(absl::Duration window, size_t max_csrs, size_t max_identities,
                      std::unique_ptr<PatternSet> users, std::unique_ptr<PatternSet> groups,
                      std::unique_ptr<PatternSet> ignore_approvers)
      : window_(window),
        csrs_(max_csrs),
        identities_(max_identities),
        users_(std::move(users)),
        groups_(std::move(groups)),
        ignore_approvers_(std::move(ignore_approvers)) {
    info_.id = "csr_approved_then_used";
    info_.title = "Certificate request approved, then its identity used";
    info_.description =
        "A client certificate signing request was created and approved, and the identity it "
        "names then made requests: a new, unrevocable cluster credential put to use (worst "
        "when its requester approved it or it names a privileged user or group).";
    info_.severity = Severity::kHigh;
    info_.mitre = {"T1649", "T1098.006", "T1078.004"};
    info_.catalog_ids = {"S5"};  // DETECTIONS.md stateful #5
    info_.interest.stages = Interest::OutcomeStages();
    info_.stateful = true;
  }

  const DetectorInfo& info() const override { return info_; }
  size_t state_entries() const override { return csrs_.size() + identities_.size(); }
  uint64_t state_evictions() const override { return csrs_.evictions() + identities_.evictions(); }
  uint64_t events_not_judged() const override { return not_judged_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome) return;
    if (e.object.resource == "certificatesigningrequests") {
      if (e.Succeeded()) OnCsr(e);
      return;
    }
    if (identities_.size() == 0 || e.username.empty() || e.response_code == 401) return;
    ApprovedIdentity* id = identities_.Find(e.username);
    if (id == nullptr) return;
    absl::Duration after = e.stage_timestamp - id->approved;
    if (after < absl::ZeroDuration()) return;
    if (after <= window_) Report(e, *id, after, out);
    identities_.Erase(e.username);
  }

  void OnWatermark(absl::Time watermark, AlertEmitter& out) override {
    csrs_.EraseOldestWhile([&](const CreatedCsr& c) { return c.at + window_ < watermark; });
    identities_.EraseOldestWhile(
        [&](const ApprovedIdentity& i) { return i.approved + window_ < watermark; });
  }

 private:
  void OnCsr(const AuditEvent& e) {
    const bool create = e.object.subresource.empty() && e.verb == Verb::kCreate;
    const bool approval = e.object.subresource == "approval";
    if (!create && !approval) return;
    const CertificateSigningRequestView* csr = e.RequestCsr();
    if (csr == nullptr || csr->request.empty()) csr = e.ResponseCsr();
    std::string name(e.object.name);
    if (name.empty() && csr != nullptr) name = std::string(csr->meta.name);
    if (name.empty()) return;
    if (csr != nullptr && !csr->request.empty() && !CanAuthenticateClients(*csr)) return;
    CsrSubject subject;
    if (csr != nullptr && !csr->request.empty()) subject = DecodeCsrSubject(csr->request);
    if (create) {
      CreatedCsr& c = csrs_.Touch(name);
      c.creator = std::string(e.Actor());
      c.audit_id = std::string(e.audit_id);
      c.at = e.stage_timestamp;
      if (subject.ok) {
        c.common_name = subject.common_name;
        c.organizations = subject.organizations;
      }
      return;
    }
    // Approval: an Approved condition (a denial grants nothing).
    if (csr != nullptr && !csr->condition_types.empty() &&
        !ContainsView(csr->condition_types, "Approved")) {
      return;
    }
    if (ignore_approvers_ && ignore_approvers_->Matches(e.Actor())) return;
    CreatedCsr* c = csrs_.Find(name);
    ApprovedIdentity id;
    id.csr = name;
    id.approver = std::string(e.Actor());
    id.approve_audit_id = std::string(e.audit_id);
    id.approved = e.stage_timestamp;
    std::string cn;
    std::vector<std::string> orgs;
    if (subject.ok) {
      cn = subject.common_name;
      orgs = subject.organizations;
    } else if (c != nullptr) {
      cn = c->common_name;
      orgs = c->organizations;
    }
    if (c != nullptr) {
      id.creator = c->creator;
      id.create_audit_id = c->audit_id;
      id.created = c->at;
    } else if (csr != nullptr && !csr->username.empty()) {
      id.creator = std::string(csr->username);  // spec.username: the requester
    }
    if (cn.empty()) {
      ++not_judged_;  // Metadata level: the subject is not visible
      return;
    }
    id.subject = absl::StrCat("CN=", cn);
    for (const auto& o : orgs) absl::StrAppend(&id.subject, ", O=", o);
    if (users_ && users_->Matches(cn)) id.privileged = "CN=" + cn;
    for (const auto& o : orgs) {
      if (id.privileged.empty() && groups_ && groups_->Matches(o)) id.privileged = "O=" + o;
    }
    identities_.Touch(cn) = std::move(id);
    csrs_.Erase(name);
  }

  void Report(const AuditEvent& e, const ApprovedIdentity& id, absl::Duration after,
              AlertEmitter& out) {
    Alert a = id.create_audit_id.empty()
                  ? MakeSequenceAlert(info_, e, id.approve_audit_id, id.approved)
                  : MakeSequenceAlert(info_, e, id.create_audit_id, id.created);
    if (!id.create_audit_id.empty()) a.AddAuditId(id.approve_audit_id);
    const bool self = !id.creator.empty() && id.creator == id.approver;
    if (self || !id.privileged.empty()) a.severity = Severity::kCritical;
    a.AddField("csr", id.csr);
    a.AddField("subject", id.subject);
    if (!id.creator.empty()) a.AddField("created_by", id.creator);
    a.AddField("approved_by", id.approver);
    if (!id.privileged.empty()) a.AddField("privileged_subject", id.privileged);
    if (self) a.AddField("self_approved", "true");
    a.AddField("seconds_after_approval", absl::StrCat(absl::ToInt64Seconds(after)));
    a.message = absl::StrCat(
        "certificate signing request ", id.csr, " (", id.subject, ") created by ",
        id.creator.empty() ? "an unseen requester" : id.creator, " and approved by ", id.approver,
        self ? " (its own requester)" : "", "; ", absl::FormatDuration(after), " later ",
        ToAbsl(e.username), " ", ToAbsl(e.verb_text), " ", TargetLabel(e), " from ",
        ToAbsl(e.SourceIp()),
        id.privileged.empty()
            ? ": a new client certificate is in use"
            : absl::StrCat(": a certificate for privileged ", id.privileged, " is in use"));
    out.Emit(std::move(a));
  }

  DetectorInfo info_;
  absl::Duration window_;
  BoundedLruMap<CreatedCsr> csrs_;
  BoundedLruMap<ApprovedIdentity> identities_;
  std::unique_ptr<PatternSet> users_, groups_, ignore_approvers_;
  uint64_t not_judged_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewCsrApprovedThenUsed(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(
      absl::Duration window,
      p.Duration("window", absl::Hours(24), absl::Seconds(1), absl::Hours(24 * 30)));
  KAUDIT_ASSIGN_OR_RETURN(int64_t max_csrs, p.Int("max_csrs", 100000, 1, 100000000));
  KAUDIT_ASSIGN_OR_RETURN(int64_t max_ids, p.Int("max_identities", 100000, 1, 100000000));
  KAUDIT_ASSIGN_OR_RETURN(
      auto users, PatternsParam(p, "privileged_users",
                                {"admin", "cluster-admin", "kubernetes-admin", "system:admin",
                                 "system:apiserver", "system:kube-.*", "system:volume-scheduler",
                                 "system:serviceaccount:kube-system:.*"}));
  KAUDIT_ASSIGN_OR_RETURN(
      auto groups, PatternsParam(p, "privileged_groups",
                                 {"system:masters", "cluster-admin", "system:cluster-admins"}));
  KAUDIT_ASSIGN_OR_RETURN(
      auto ignore, PatternsParam(p, "ignore_approvers",
                                 {"system:kube-controller-manager",
                                  "system:serviceaccount:kube-system:certificate-controller"}));
  return std::make_unique<CsrApprovedThenUsed>(window, static_cast<size_t>(max_csrs),
                                               static_cast<size_t>(max_ids), std::move(users),
                                               std::move(groups), std::move(ignore));
}

}  // namespace kaudit
