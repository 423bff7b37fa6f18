// NetworkPolicy loosened to allow all (catalog C90, DETECTIONS.md's hardening table): a
// NetworkPolicy created, updated or patched with an ingress rule that admits every source, or an
// egress rule that reaches every destination, on every port: no `from`/`to` (or an empty list),
// or an ipBlock of 0.0.0.0/0 or ::/0. NetworkPolicies are additive, so such a rule undoes the
// isolation every other policy gives the pods it selects (the usual way to open a
// default-deny namespace back up). Rules limited to ports (allowing DNS egress, say) are not
// reported. The policy is judged on the responseObject (the whole object after the write), else
// on the request body; a JSON patch without a response is counted as not judged. Medium.
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

// How the first rule that opens everything does it ("" when none does).
std::string OpenedBy(const std::vector<NetworkPolicyRuleView>& rules, std::string_view everyone) {
  for (const NetworkPolicyRuleView& r : rules) {
    if (r.ports != 0) continue;
    if (r.any_peer) return std::string(everyone);
    if (!r.open_cidr.empty()) return absl::StrCat("ipBlock ", ToAbsl(r.open_cidr));
  }
  return "";
}

class NetworkPolicyAllowAll final : public Detector {
 public:
  NetworkPolicyAllowAll() {
    info_.id = "networkpolicy_allow_all";
    info_.title = "NetworkPolicy allows all traffic";
    info_.description =
        "A NetworkPolicy was written with a rule that admits every source or reaches every "
        "destination on every port: the isolation other policies give the selected pods is "
        "undone.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1562.007"};
    info_.catalog_ids = {"C90"};
    info_.interest.verbs = Interest::Verbs({Verb::kCreate, Verb::kUpdate, Verb::kPatch});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"networkpolicies"};
  }

  const DetectorInfo& info() const override { return info_; }
  uint64_t events_not_judged() const override { return not_judged_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded() || !e.object.subresource.empty()) return;
    const NetworkPolicyView* np = e.ResponseNetworkPolicy();
    if (np == nullptr) np = e.RequestNetworkPolicy();
    if (np == nullptr) {
      // No body (Metadata level), or a JSON patch without the object it produced.
      if (e.response_object.empty()) ++not_judged_;
      return;
    }
    const std::string ingress = OpenedBy(np->ingress, "any source");
    const std::string egress = OpenedBy(np->egress, "any destination");
    if (ingress.empty() && egress.empty()) return;
    Alert a = MakeAlert(info_, e);
    std::string how;
    if (!ingress.empty()) {
      how = absl::StrCat("ingress from ", ingress);
      a.AddField("ingress_from", ingress);
    }
    if (!egress.empty()) {
      absl::StrAppend(&how, how.empty() ? "" : " and ", "egress to ", egress);
      a.AddField("egress_to", egress);
    }
    a.message = absl::StrCat(ActorLabel(e), " ", ToAbsl(PastTense(e.verb)), " NetworkPolicy ",
                             ObjectLabel(e), " allowing ", how,
                             " on every port: the isolation of the pods it selects is undone");
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
  uint64_t not_judged_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewNetworkPolicyAllowAll(DetectorParams&) {
  return std::make_unique<NetworkPolicyAllowAll>();
}

}  // namespace kaudit
