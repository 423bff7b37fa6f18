// Exec session duration (DETECTIONS.md stateful #10): exec, attach and port-forward sessions
// that stay open longer than `threshold`, measured in event time from the request's
// ResponseStarted (the stream opened, code 101) to its ResponseComplete (the stream closed),
// and reported at ResponseComplete. A long interactive session is hands-on-keyboard work or a
// tunnel left open. Stateful and bounded: open sessions by auditID, at most `max_sessions`
// (least recently opened evicted, counted); sessions without a ResponseComplete are forgotten
// after `max_age`. Without a ResponseStarted (audit policy omitting the stage) the duration
// is taken from requestReceivedTimestamp.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/keyed_state.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class ExecSessionDuration final : public Detector {
 public:
  ExecSessionDuration(absl::Duration threshold, absl::Duration max_age, size_t max_sessions)
      : threshold_(threshold), max_age_(max_age), open_(max_sessions) {
    info_.id = "exec_session_duration";
    info_.title = "Long exec, attach or port-forward session";
    info_.description =
        "An exec, attach or port-forward stream stayed open longer than the threshold: "
        "sustained hands-on-keyboard access or a tunnel into the cluster.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1609", "T1572"};
    info_.catalog_ids = {"S11"};  // DETECTIONS.md stateful #11
    info_.interest.verbs = Interest::Verbs({Verb::kCreate, Verb::kGet});
    info_.interest.stages =
        Interest::Stages({Stage::kResponseStarted, Stage::kResponseComplete, Stage::kPanic});
    info_.interest.resources = {"pods"};
    info_.stateful = true;
  }

  const DetectorInfo& info() const override { return info_; }
  size_t state_entries() const override { return open_.size(); }
  uint64_t state_evictions() const override { return open_.evictions(); }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    std::string_view sub = e.object.subresource;
    if (sub != "exec" && sub != "attach" && sub != "portforward") return;
    if (e.stage == Stage::kResponseStarted) {
      if (e.response_code == 101) open_.Touch(e.audit_id) = e.stage_timestamp;
      return;
    }
    absl::Time start = e.request_received;
    if (absl::Time* t = open_.Find(e.audit_id)) {
      start = *t;
      open_.Erase(e.audit_id);
    } else if (e.response_code != 101 && e.response_code != 0 &&
               !(e.response_code >= 200 && e.response_code < 300)) {
      return;  // refused: no session
    }
    if (start == absl::InfinitePast()) return;
    absl::Duration d = e.stage_timestamp - start;
    if (d < threshold_) return;
    Alert a = MakeAlert(info_, e);
    a.window_start = start;
    a.window_end = e.stage_timestamp;
    a.AddField("session_seconds", absl::StrCat(absl::ToInt64Seconds(d)));
    a.message = absl::StrCat(ActorLabel(e), " kept a ", ToAbsl(sub), " session into pod ",
                             ObjectLabel(e), " open for ", absl::FormatDuration(d), " (threshold ",
                             absl::FormatDuration(threshold_),
                             "): sustained interactive access or a tunnel");
    out.Emit(std::move(a));
  }

  void OnWatermark(absl::Time watermark, AlertEmitter& out) override {
    open_.EraseOldestWhile([&](const absl::Time& t) { return t + max_age_ < watermark; });
  }

 private:
  DetectorInfo info_;
  absl::Duration threshold_, max_age_;
  BoundedLruMap<absl::Time> open_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewExecSessionDuration(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(absl::Duration threshold, p.Duration("threshold", absl::Minutes(30),
                                                               absl::Seconds(1), absl::Hours(24)));
  KAUDIT_ASSIGN_OR_RETURN(
      absl::Duration max_age,
      p.Duration("max_age", absl::Hours(24), absl::Minutes(1), absl::Hours(24 * 30)));
  KAUDIT_ASSIGN_OR_RETURN(int64_t max_sessions, p.Int("max_sessions", 100000, 1, 100000000));
  return std::make_unique<ExecSessionDuration>(threshold, max_age,
                                               static_cast<size_t>(max_sessions));
}

}  // namespace kaudit
