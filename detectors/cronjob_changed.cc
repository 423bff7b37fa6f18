// CronJob or Job created or changed (catalog C55): a CronJob re-runs its pod on a schedule, a
// persistence mechanism that survives pod deletion; a Job runs a pod to completion. Medium for
// CronJob creates and changes, low for Jobs and deletions. Jobs created by the CronJob
// controller (kube-system service accounts) are allow-listed by default; status updates are
// ignored.
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

class CronJobChanged final : public Detector {
 public:
  CronJobChanged() {
    info_.id = "cronjob_changed";
    info_.title = "CronJob or Job created or changed";
    info_.description =
        "A CronJob (a pod re-run on a schedule, persistence that survives pod deletion) or a "
        "Job was created, changed or deleted.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1053.007"};
    info_.catalog_ids = {"C55"};
    info_.interest.verbs = Interest::Verbs(
        {Verb::kCreate, Verb::kUpdate, Verb::kPatch, Verb::kDelete, Verb::kDeleteCollection});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"cronjobs", "jobs"};
    info_.default_allow_users = {"system:serviceaccount:kube-system:.*",
                                 "system:kube-controller-manager"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded() || !e.object.subresource.empty()) return;
    const bool cron = e.object.resource == "cronjobs";
    const bool write = e.verb == Verb::kCreate || e.verb == Verb::kUpdate || e.verb == Verb::kPatch;
    Alert a = MakeAlert(info_, e);
    if (!cron || !write) a.severity = Severity::kLow;
    std::string name = ObjectLabel(e);
    if (e.object.name.empty()) {
      if (const PodSpecView* spec = e.RequestPodSpec(); spec && !spec->object_name.empty()) {
        name = absl::StrCat(ToAbsl(e.object.namespace_), "/", ToAbsl(spec->object_name));
      }
    }
    a.message = absl::StrCat(ActorLabel(e), " ", ToAbsl(PastTense(e.verb)),
                             cron ? " CronJob " : " Job ", name,
                             cron ? ": a pod re-run on a schedule, persistence that survives "
                                    "pod deletion"
                                  : ": a pod run to completion");
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewCronJobChanged(DetectorParams&) {
  return std::make_unique<CronJobChanged>();
}

}  // namespace kaudit
