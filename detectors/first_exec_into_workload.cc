// First exec by a user into a workload (catalog C42): an identity opens its first exec or
// attach session into a workload (the pod name without the ReplicaSet/DaemonSet hash or
// StatefulSet ordinal, so every replica counts as the workload) that it has not exec'd into
// within `history` (7d). Quiet during `learning_period` (24h of event time from the first event
// the detector sees), while routine access is learned. Stateful and bounded: the last exec per
// (identity, namespace, workload), at most `max_pairs` (LRU, evictions counted); persists in
// `engine.state_dir` (the learning start and the pairs), so a restart neither re-learns nor
// re-alerts. system:* identities other than service accounts are skipped. Medium.
#include <cctype>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/keyed_state.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

// Digits only (a StatefulSet ordinal), or the alphabet Kubernetes uses for generated name
// suffixes and template hashes (no vowels, no 0, 1, 3: "shell" is a name, "x2x4z" is not).
bool AllOf(std::string_view s, bool digits_only) {
  if (s.empty()) return false;
  constexpr std::string_view kSafe = "bcdfghjklmnpqrstvwxz2456789";
  for (char c : s) {
    const bool digit = c >= '0' && c <= '9';
    if (digits_only ? !digit : kSafe.find(c) == std::string_view::npos) return false;
  }
  return true;
}

// "api-7d9f8c6b5-x2x4z" -> "api"; "db-0" -> "db"; "agent-x2x4z" -> "agent"; others unchanged.
std::string_view WorkloadOf(std::string_view pod) {
  size_t d = pod.rfind('-');
  if (d == std::string_view::npos || d == 0) return pod;
  std::string_view last = pod.substr(d + 1);
  if (AllOf(last, true)) return pod.substr(0, d);  // StatefulSet ordinal
  if (last.size() != 5 || !AllOf(last, false)) return pod;
  pod = pod.substr(0, d);  // DaemonSet / ReplicaSet pod suffix
  d = pod.rfind('-');
  if (d != std::string_view::npos && d > 0) {
    std::string_view hash = pod.substr(d + 1);
    if (hash.size() >= 6 && hash.size() <= 10 && AllOf(hash, false)) pod = pod.substr(0, d);
  }
  return pod;
}

class FirstExecIntoWorkload final : public Detector {
 public:
  FirstExecIntoWorkload(absl::Duration history, absl::Duration learning, size_t max_pairs)
      : history_(history), learning_(learning), seen_(max_pairs) {
    info_.id = "first_exec_into_workload";
    info_.title = "First exec by a user into a workload";
    info_.description =
        "An identity opened an exec or attach session into a workload it had not exec'd into "
        "before: new hands-on access to that application.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1609"};
    info_.catalog_ids = {"C42"};
    info_.interest.verbs = Interest::Verbs({Verb::kCreate, Verb::kGet});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"pods"};
    info_.stateful = true;
  }

  const DetectorInfo& info() const override { return info_; }
  size_t state_entries() const override { return seen_.size(); }
  uint64_t state_evictions() const override { return seen_.evictions(); }
  bool persistent() const override { return true; }

  // Records: "start" <ns>; then "e" <identity\x1fnamespace/workload> <last exec ns>.
  absl::Status SaveState(StateWriter& w) const override {
    if (start_ != absl::InfinitePast()) w.Record({"start", TimeToField(start_)});
    seen_.ForEachOldestFirst([&](const std::string& key, const absl::Time& t) {
      w.Record({"e", key, TimeToField(t)});
    });
    return absl::OkStatus();
  }

  absl::Status LoadState(StateReader& r) override {
    if (r.version() != 1) return r.Error(absl::StrCat("unknown version ", r.version()));
    std::vector<std::string> f;
    while (r.Next(&f)) {
      absl::Time t;
      if (f.size() == 2 && f[0] == "start" && TimeFromField(f[1], &t)) {
        start_ = t;
      } else if (f.size() == 3 && f[0] == "e" && TimeFromField(f[2], &t)) {
        seen_.Touch(f[1]) = t;
      } else {
        return r.Error("expected: start <ns> | e <identity/workload> <last_exec_ns>");
      }
    }
    return absl::OkStatus();
  }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    Start(e.stage_timestamp);
    if (!e.first_outcome) return;
    std::string_view sub = e.object.subresource;
    if ((sub != "exec" && sub != "attach") || !ExecAllowed(e)) return;
    std::string_view actor = e.Actor();
    if (StartsWith(actor, "system:") && !StartsWith(actor, "system:serviceaccount:")) return;
    std::string_view workload = WorkloadOf(e.object.name);
    key_.clear();
    absl::StrAppend(&key_, ToAbsl(actor), "\x1f", ToAbsl(e.object.namespace_), "/",
                    ToAbsl(workload));
    bool inserted = false;
    absl::Time& last = seen_.Touch(key_, &inserted);
    const bool fresh = inserted || e.stage_timestamp - last > history_;
    last = e.stage_timestamp;
    if (!fresh || e.stage_timestamp < start_ + learning_) return;
    Alert a = MakeAlert(info_, e);
    a.AddField("workload", absl::StrCat(ToAbsl(e.object.namespace_), "/", ToAbsl(workload)));
    a.message = absl::StrCat(
        ActorLabel(e), " ", ToAbsl(sub), "'d into workload ", ToAbsl(e.object.namespace_), "/",
        ToAbsl(workload), " (pod ", ToAbsl(e.object.name), ") for the first time in ",
        absl::FormatDuration(history_), ": new hands-on access to that application");
    out.Emit(std::move(a));
  }

  void OnWatermark(absl::Time watermark, AlertEmitter& out) override {
    // End of input is not time passing: keep the pairs for the state save.
    if (watermark == absl::InfiniteFuture()) return;
    Start(watermark);
    seen_.EraseOldestWhile([&](const absl::Time& t) { return t + history_ < watermark; });
  }

 private:
  void Start(absl::Time t) {
    if (start_ == absl::InfinitePast() && t != absl::InfinitePast()) start_ = t;
  }

  DetectorInfo info_;
  absl::Duration history_, learning_;
  absl::Time start_ = absl::InfinitePast();
  BoundedLruMap<absl::Time> seen_;
  std::string key_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewFirstExecIntoWorkload(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(auto history, p.Duration("history", absl::Hours(24 * 7), absl::Minutes(1),
                                                   absl::Hours(24 * 90)));
  KAUDIT_ASSIGN_OR_RETURN(auto learning, p.Duration("learning_period", absl::Hours(24),
                                                    absl::ZeroDuration(), absl::Hours(24 * 90)));
  KAUDIT_ASSIGN_OR_RETURN(int64_t max_pairs, p.Int("max_pairs", 100000, 1, 100000000));
  return std::make_unique<FirstExecIntoWorkload>(history, learning, static_cast<size_t>(max_pairs));
}

}  // namespace kaudit
