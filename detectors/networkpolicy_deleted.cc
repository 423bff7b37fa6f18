// NetworkPolicy deleted (catalog C90): delete or deletecollection of NetworkPolicies removes
// network isolation between workloads. The namespace controller (deleting the policies of a
// deleted namespace) is allow-listed by default.
#include <memory>

#include "detectors/common/deletion.h"
#include "src/engine/params.h"

namespace kaudit {

absl::StatusOr<std::unique_ptr<Detector>> NewNetworkPolicyDeleted(DetectorParams&) {
  DeletionDetectorSpec s;
  s.info.id = "networkpolicy_deleted";
  s.info.title = "NetworkPolicy deleted";
  s.info.description =
      "A NetworkPolicy was deleted: the network isolation it enforced between workloads is "
      "gone.";
  s.info.severity = Severity::kMedium;
  s.info.mitre = {"T1562.007"};
  s.info.catalog_ids = {"C90"};
  s.kinds = {{"networkpolicies", "NetworkPolicy", "NetworkPolicies"}};
  s.consequence = "the network isolation it enforced is gone";
  return NewDeletionDetector(std::move(s));
}

}  // namespace kaudit
