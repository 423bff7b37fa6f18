#pragma once
// Shared by the windowed distinct-count detectors (secret_enumeration, permission_enumeration,
// the bursts): the alert of a key whose distinct count crossed its threshold, per-key learned
// baselines, and WindowedBurstDetector, the base of the single-threshold bursts.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/engine/detector.h"
#include "src/engine/keyed_state.h"
#include "src/engine/params.h"
#include "src/engine/state_io.h"

namespace kaudit {

// An alert resting on the events kept for the key (their auditIDs, bounded), with `count`
// and the window from the oldest value still counted to this event; no single object (name
// and namespace cleared).
Alert MakeBurstAlert(const DetectorInfo& info, const AuditEvent& e,
                     const DistinctWindowCounter::KeyState& st, size_t count);

// After the alert: quiet for one window, values forgotten.
void QuietAfterAlert(DistinctWindowCounter& counter, DistinctWindowCounter::KeyState& st,
                     absl::Time t);

// The tunables `window` (default `window`, 1s..`max_window`) and `max_keys` (100,000) of a
// windowed counter; `values_per_key` bounds each key's distinct values.
[[nodiscard]] absl::StatusOr<DistinctWindowCounter::Options> WindowParams(DetectorParams& p,
                                                                          absl::Duration window,
                                                                          absl::Duration max_window,
                                                                          size_t values_per_key);

// The tunables `repeat_window` (1h; 0s: every event) and `max_keys` (100,000) of a RepeatGate.
[[nodiscard]] absl::StatusOr<RepeatGate> RepeatGateParams(DetectorParams& p);

// A per-key learned threshold for a burst. Each key's event time is cut into tumbling buckets
// of one window; a bucket's sample is the highest sliding distinct count the key reached in
// it (after learning, buckets with an alert are not learned, so a burst does not teach
// itself). Once a key has `min_windows` samples and was first seen `learning_period` ago, its
// threshold is max(floor, floor(mean + sigmas * sd) + 1): a count above its usual level; capped
// at `cap` x floor (a slow poisoning cannot raise it further); before that, the configured
// floor. Bounded: `max_keys` keys (LRU,
// evictions counted). Persisted through SaveState/LoadState so a restart keeps what was
// learned.
class BurstBaseline {
 public:
  struct Options {
    bool enabled = true;
    absl::Duration learning_period = absl::Hours(24);
    int64_t min_windows = 20;
    int64_t sigmas = 3;
    int64_t cap = 5;
    size_t max_keys = 100000;
  };
  struct KeyStats {
    absl::Time first_seen = absl::InfinitePast();
    absl::Time bucket_start = absl::InfinitePast();
    size_t bucket_max = 0;
    bool bucket_alerted = false;
    uint64_t n = 0;           // learned buckets
    double mean = 0, m2 = 0;  // Welford
  };

  BurstBaseline(Options o, absl::Duration window) : opts_(o), window_(window), keys_(o.max_keys) {}

  // Records that `key` counts `count` at event time t; returns its threshold for this event
  // and sets *ready when the key has left its learning period.
  size_t Observe(std::string_view key, size_t count, absl::Time t, size_t floor, bool* ready);
  // The key alerted in its current bucket after learning (that bucket will not be learned;
  // while learning, every bucket is, so a key that is always busy learns its level).
  void MarkAlerted(std::string_view key);
  // Whether a key's stats left the learning period at t.
  bool Ready(const KeyStats& s, absl::Time t) const;
  // The learned threshold of a key's stats (floor while learning).
  size_t Threshold(const KeyStats& s, absl::Time t, size_t floor) const;

  bool enabled() const { return opts_.enabled; }
  const Options& options() const { return opts_; }
  size_t size() const { return keys_.size(); }
  uint64_t evictions() const { return keys_.evictions(); }

  void Save(StateWriter& w) const;
  [[nodiscard]] absl::Status Load(StateReader& r);

 private:
  Options opts_;
  absl::Duration window_;
  BoundedLruMap<KeyStats> keys_;
};

// The tunables `baseline` (on), `learning_period` (24h), `baseline_min_windows` (20),
// `baseline_sigmas` (3), `baseline_cap` (5 x threshold) and `baseline_max_keys` (100,000).
[[nodiscard]] absl::StatusOr<BurstBaseline::Options> BaselineParams(DetectorParams& p);

// A detector that alerts when one key's distinct values within a sliding window reach its
// threshold: the configured `threshold` as a floor, raised per key by a learned baseline.
// Subclasses fill info_ and call Count() from OnEvent; the base keeps the counter, the
// baseline, the quiet period after an alert, expiry, state counts and persistence.
class WindowedBurstDetector : public Detector {
 public:
  const DetectorInfo& info() const override { return info_; }
  size_t state_entries() const override { return counter_.size() + baseline_.size(); }
  uint64_t state_evictions() const override { return counter_.evictions() + baseline_.evictions(); }
  void OnWatermark(absl::Time watermark, AlertEmitter& out) override { counter_.Expire(watermark); }
  bool persistent() const override { return baseline_.enabled(); }
  [[nodiscard]] absl::Status SaveState(StateWriter& out) const override;
  [[nodiscard]] absl::Status LoadState(StateReader& in) override;

 protected:
  struct Burst {
    DistinctWindowCounter::KeyState* state = nullptr;  // null: no alert now
    size_t count = 0, threshold = 0;
    bool learned = false;         // the threshold is above the floor because of the baseline
    bool baseline_ready = false;  // the key left its learning period
  };
  WindowedBurstDetector(size_t threshold, DistinctWindowCounter::Options o,
                        BurstBaseline::Options b)
      : threshold_(threshold), counter_(o), baseline_(b, o.window) {}

  // Adds `value` for `key` at event time t; a Burst with state set when the key reached its
  // threshold outside its quiet period.
  Burst Count(std::string_view key, std::string_view value, absl::Time t,
              std::string_view audit_id);
  // The burst alert for `b` (auditIDs, count, window, the threshold in a field when learned).
  Alert BurstAlert(const AuditEvent& e, const Burst& b) const;
  // After emitting the alert of `key`: quiet for one window, values forgotten.
  void Alerted(std::string_view key, const Burst& b, absl::Time t);
  absl::Duration window() const { return counter_.options().window; }

  DetectorInfo info_;
  size_t threshold_;  // the floor

 private:
  DistinctWindowCounter counter_;
  BurstBaseline baseline_;
};

// values_per_key for a burst's counter: room for the highest threshold the baseline may set.
size_t BurstValuesPerKey(size_t threshold, const BurstBaseline::Options& b);

}  // namespace kaudit
