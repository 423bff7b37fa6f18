// CSR self-approval (catalog C39): the identity that created a CertificateSigningRequest also
// approved it within a window of event time: one person both asking for and granting a
// credential, the separation the CSR flow exists for. Stateful and bounded: CSRs created in
// the last `window`, keyed by name, at most `max_csrs` (least recently created evicted and
// counted). One alert per CSR. High.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
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
  std::string actor;
  std::string audit_id;
  absl::Time created = absl::InfinitePast();
};

class CsrSelfApproval final : public Detector {
 public:
  CsrSelfApproval(absl::Duration window, size_t max_csrs) : window_(window), csrs_(max_csrs) {
    info_.id = "csr_self_approval";
    info_.title = "Certificate request approved by its requester";
    info_.description =
        "The identity that created a certificate signing request approved it itself: one "
        "identity both asked for and granted a cluster credential.";
    info_.severity = Severity::kHigh;
    info_.mitre = {"T1649", "T1098.006"};
    info_.catalog_ids = {"C39"};
    info_.interest.verbs = Interest::WriteVerbs();
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"certificatesigningrequests"};
    info_.stateful = true;
  }

  const DetectorInfo& info() const override { return info_; }
  size_t state_entries() const override { return csrs_.size(); }
  uint64_t state_evictions() const override { return csrs_.evictions(); }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded()) return;
    std::string_view name = e.object.name;
    if (e.object.subresource.empty() && e.verb == Verb::kCreate) {
      if (name.empty()) {
        const CertificateSigningRequestView* csr = e.ResponseCsr();
        if (csr == nullptr) csr = e.RequestCsr();
        if (csr != nullptr) name = csr->meta.name;
      }
      if (name.empty()) return;
      CreatedCsr& c = csrs_.Touch(name);
      c.actor = std::string(e.Actor());
      c.audit_id = std::string(e.audit_id);
      c.created = e.stage_timestamp;
      return;
    }
    if (e.object.subresource != "approval" || name.empty()) return;
    // An approval writes an Approved condition; a denial (Denied) is not a grant.
    const CertificateSigningRequestView* csr = e.RequestCsr();
    if (csr != nullptr && !csr->condition_types.empty() &&
        !ContainsView(csr->condition_types, "Approved")) {
      return;
    }
    CreatedCsr* c = csrs_.Find(name);
    if (c == nullptr || c->actor != e.Actor()) return;
    absl::Duration after = e.stage_timestamp - c->created;
    if (after < absl::ZeroDuration() || after > window_) return;
    Alert a = MakeSequenceAlert(info_, e, c->audit_id, c->created);
    a.AddField("seconds_after_create", absl::StrCat(absl::ToInt64Seconds(after)));
    a.message = absl::StrCat(ActorLabel(e), " created certificate signing request ", ToAbsl(name),
                             " and approved it ", absl::FormatDuration(after),
                             " later: the requester granted its own credential");
    out.Emit(std::move(a));
    csrs_.Erase(name);
  }

  void OnWatermark(absl::Time watermark, AlertEmitter& out) override {
    csrs_.EraseOldestWhile([&](const CreatedCsr& c) { return c.created + window_ < watermark; });
  }

 private:
  DetectorInfo info_;
  absl::Duration window_;
  BoundedLruMap<CreatedCsr> csrs_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewCsrSelfApproval(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(absl::Duration window, p.Duration("window", absl::Hours(1),
                                                            absl::Seconds(1), absl::Hours(24 * 7)));
  KAUDIT_ASSIGN_OR_RETURN(int64_t max_csrs, p.Int("max_csrs", 100000, 1, 100000000));
  return std::make_unique<CsrSelfApproval>(window, static_cast<size_t>(max_csrs));
}

}  // namespace kaudit
