// Kubernetes events deleted (catalog C89): delete or deletecollection of events (core or
// events.k8s.io). Events expire on their own; deleting them erases the record of what just
// happened. The namespace controller, which deletes the events of deleted namespaces, is
// allow-listed by default.
#include <memory>

#include "detectors/common/deletion.h"
#include "src/engine/params.h"

namespace kaudit {

absl::StatusOr<std::unique_ptr<Detector>> NewEventsDeleted(DetectorParams&) {
  DeletionDetectorSpec s;
  s.info.id = "events_deleted";
  s.info.title = "Kubernetes events deleted";
  s.info.description =
      "Kubernetes events were deleted: they expire on their own, so deleting them by hand "
      "erases the record of recent activity.";
  s.info.severity = Severity::kMedium;
  s.info.mitre = {"T1070"};
  s.info.catalog_ids = {"C89"};
  s.kinds = {{"events", "event", "events"}};
  s.consequence = "the record of recent activity was erased";
  return NewDeletionDetector(std::move(s));
}

}  // namespace kaudit
