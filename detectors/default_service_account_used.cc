// A namespace's default service account calling the API (DETECTIONS.md's hardening table, H4:
// "one service account per app, not `default`"): a request authenticated as
// system:serviceaccount:NS:default (401s excluded: that is no one). The default service account
// is shared by every pod of the namespace that names no other, so whatever it is allowed, each
// of them is, and its token is in every such pod. Low; medium when the request was allowed and
// wrote something or read secrets. One alert per service account per `repeat_window` (1h), at
// most `max_keys` remembered (LRU, counted).
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "detectors/common/burst.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/keyed_state.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

constexpr uint32_t kWrites = Interest::Bit(Verb::kCreate) | Interest::Bit(Verb::kUpdate) |
                             Interest::Bit(Verb::kPatch) | Interest::Bit(Verb::kDelete) |
                             Interest::Bit(Verb::kDeleteCollection);

class DefaultServiceAccountUsed final : public Detector {
 public:
  explicit DefaultServiceAccountUsed(RepeatGate repeat) : repeat_(std::move(repeat)) {
    info_.id = "default_service_account_used";
    info_.title = "Namespace's default service account used";
    info_.description =
        "A namespace's default service account called the API: it is shared by every pod that "
        "names no service account of its own, so each of them holds what it is allowed.";
    info_.severity = Severity::kLow;
    info_.mitre = {"T1078.001", "T1528"};
    info_.catalog_ids = {"H4"};
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.traits = EventTrait::kDefaultServiceAccount;
    info_.stateful = repeat_.enabled();
  }

  const DetectorInfo& info() const override { return info_; }
  size_t state_entries() const override { return repeat_.size(); }
  uint64_t state_evictions() const override { return repeat_.evictions(); }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || e.response_code == 401) return;
    if (!repeat_.Pass(std::string(e.username), e.stage_timestamp)) return;
    Alert a = MakeAlert(info_, e);
    const bool write = (Interest::Bit(e.verb) & kWrites) != 0;
    const bool sensitive = e.Succeeded() && (write || e.object.resource == "secrets");
    if (sensitive) a.severity = Severity::kMedium;
    a.message =
        absl::StrCat("the default service account ", ToAbsl(e.username), " called the API (",
                     ToAbsl(e.verb_text), " ", TargetLabel(e), ", ", e.response_code,
                     "): every pod of its namespace without a service account of its "
                     "own holds this identity");
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
  RepeatGate repeat_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewDefaultServiceAccountUsed(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(RepeatGate repeat, RepeatGateParams(p));
  return std::make_unique<DefaultServiceAccountUsed>(std::move(repeat));
}

}  // namespace kaudit
