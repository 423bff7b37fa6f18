// NetworkPolicy deleted (catalog C90): delete or deletecollection of NetworkPolicies removes
// network isolation between workloads. The namespace controller (deleting the policies of a
// deleted namespace) is allow-listed by default.
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

class NetworkPolicyDeleted final : public Detector {
 public:
  NetworkPolicyDeleted() {
    info_.id = "networkpolicy_deleted";
    info_.title = "NetworkPolicy deleted";
    info_.description =
        "A NetworkPolicy was deleted: the network isolation it enforced between workloads is "
        "gone.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1562.007"};
    info_.catalog_ids = {"C90"};
    info_.interest.verbs = Interest::Verbs({Verb::kDelete, Verb::kDeleteCollection});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"networkpolicies"};
    info_.default_allow_users = {"system:serviceaccount:kube-system:namespace-controller"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded()) return;
    Alert a = MakeAlert(info_, e);
    a.message = absl::StrCat(ActorLabel(e), " deleted ",
                             DeletedObjectsLabel(e, "NetworkPolicy", "NetworkPolicies"),
                             ": the network isolation it enforced is gone");
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewNetworkPolicyDeleted(DetectorParams&) {
  return std::make_unique<NetworkPolicyDeleted>();
}

}  // namespace kaudit
