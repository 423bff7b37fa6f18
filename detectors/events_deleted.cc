// Kubernetes events deleted (catalog C89): delete or deletecollection of events (core or
// events.k8s.io). Events expire on their own; deleting them erases the record of what just
// happened. The namespace controller, which deletes the events of deleted namespaces, is
// allow-listed by default.
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

class EventsDeleted final : public Detector {
 public:
  EventsDeleted() {
    info_.id = "events_deleted";
    info_.title = "Kubernetes events deleted";
    info_.description =
        "Kubernetes events were deleted: they expire on their own, so deleting them by hand "
        "erases the record of recent activity.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1070"};
    info_.catalog_ids = {"C89"};
    info_.interest.verbs = Interest::Verbs({Verb::kDelete, Verb::kDeleteCollection});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"events"};
    info_.default_allow_users = {"system:serviceaccount:kube-system:namespace-controller"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded()) return;
    Alert a = MakeAlert(info_, e);
    a.message = absl::StrCat(ActorLabel(e), " deleted ", DeletedObjectsLabel(e, "event", "events"),
                             ": the record of recent activity was erased");
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewEventsDeleted(DetectorParams&) {
  return std::make_unique<EventsDeleted>();
}

}  // namespace kaudit
