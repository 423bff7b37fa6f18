#include "detectors/common/deletion.h"

#include "absl/strings/str_cat.h"
#include "detectors/common/util.h"

namespace kaudit {
namespace {

class DeletionDetector final : public Detector {
 public:
  explicit DeletionDetector(DeletionDetectorSpec spec) : spec_(std::move(spec)) {
    DetectorInfo& info = spec_.info;
    info.interest.verbs = Interest::Verbs({Verb::kDelete, Verb::kDeleteCollection});
    info.interest.stages = Interest::OutcomeStages();
    for (const auto& k : spec_.kinds) info.interest.resources.push_back(k.resource);
    info.default_allow_users = {"system:serviceaccount:kube-system:namespace-controller"};
  }

  const DetectorInfo& info() const override { return spec_.info; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded()) return;
    const DeletionDetectorSpec::Kind* kind = &spec_.kinds[0];
    for (const auto& k : spec_.kinds) {
      if (k.resource == e.object.resource) kind = &k;
    }
    Alert a = MakeAlert(spec_.info, e);
    a.message =
        absl::StrCat(ActorLabel(e), " deleted ",
                     DeletedObjectsLabel(e, kind->singular, kind->plural), ": ", spec_.consequence);
    out.Emit(std::move(a));
  }

 private:
  DeletionDetectorSpec spec_;
};

}  // namespace

std::unique_ptr<Detector> NewDeletionDetector(DeletionDetectorSpec spec) {
  return std::make_unique<DeletionDetector>(std::move(spec));
}

}  // namespace kaudit
