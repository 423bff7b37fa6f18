// ResourceQuota or LimitRange deleted (DETECTIONS.md's hardening table, "resource limits and
// quotas": H9): delete or deletecollection of the objects that cap what a namespace may use.
// Without them one workload (a cryptominer, a fork bomb of pods) can take the cluster's
// capacity. Low: quotas are also removed by teams resizing namespaces. The namespace
// controller, which deletes them with their namespace, is allow-listed by default.
#include <memory>

#include "detectors/common/deletion.h"
#include "src/engine/params.h"

namespace kaudit {

absl::StatusOr<std::unique_ptr<Detector>> NewQuotaDeleted(DetectorParams&) {
  DeletionDetectorSpec s;
  s.info.id = "quota_deleted";
  s.info.title = "ResourceQuota or LimitRange deleted";
  s.info.description =
      "A ResourceQuota or LimitRange was deleted: the namespace's cap on compute and objects "
      "is gone.";
  s.info.severity = Severity::kLow;
  s.info.mitre = {"T1496", "T1562"};
  s.info.catalog_ids = {"H9"};
  s.kinds = {{"resourcequotas", "ResourceQuota", "ResourceQuotas"},
             {"limitranges", "LimitRange", "LimitRanges"}};
  s.consequence = "the cap it put on the namespace is gone";
  return NewDeletionDetector(std::move(s));
}

}  // namespace kaudit
