#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "src/common/strings.h"
#include "src/engine/aggregator.h"
#include "src/engine/detector.h"

namespace kaudit {

// A configured detector: the detector, its severity override and its allow-list.
struct DetectorSlot {
  std::unique_ptr<Detector> detector;
  std::optional<Severity> severity;    // overrides every alert's severity when set
  std::unique_ptr<EventFilter> allow;  // events it matches are not shown to the detector
  // Identical alerts (same detector, actor, object) within this much event time of the first are
  // folded into one summary alert (see Aggregator). Zero = off.
  absl::Duration aggregate = absl::ZeroDuration();
};

struct DispatcherOptions {
  // (auditID, stage) pairs remembered to drop duplicate deliveries (webhook retries, overlapping
  // files). Two generations of this many entries each.
  size_t dedup_entries = 1 << 20;
  // How far behind the newest event time the watermark trails (tolerated out-of-order).
  absl::Duration allowed_lateness = absl::Seconds(5);
  // Aggregation windows open at once, across detectors (least recently touched evicted).
  size_t aggregate_max_keys = 100000;
};

struct DetectorCounters {
  uint64_t events = 0;   // events shown to the detector
  uint64_t allowed = 0;  // events skipped by its allow-list, and alerts (allow.images)
  std::array<uint64_t, kNumSeverities> alerts{};  // alerts emitted (summaries included)
  uint64_t aggregated = 0;  // alerts absorbed into an aggregation window (not emitted alone)
};

struct DispatcherStats {
  uint64_t events = 0;
  uint64_t duplicates = 0;
  uint64_t routed = 0;  // events that reached at least one detector
};

// Routes each event to the detectors whose Interest selects it, through a verb x resource x
// stage table built once and the event's traits (EventTraits, computed once); drops duplicate
// (auditID, stage) deliveries; marks the stage on which a request's outcome is judged once;
// advances the event-time watermark.
class Dispatcher {
 public:
  Dispatcher(std::vector<DetectorSlot> slots, DispatcherOptions options = {});

  // Runs the detectors on one event and appends their alerts to `out`.
  void Dispatch(AuditEvent& event, std::vector<Alert>& out);
  // Prefetches the duplicate-check slots `event` will touch (its dispatch misses the cache
  // there otherwise: the tables hold up to dedup_entries keys). No effect on results.
  void Prefetch(const AuditEvent& event) const;
  // Tells stateful detectors that no older events will come (end of input).
  void Finish(std::vector<Alert>& out);
  // For a process about to exit: leaves the detectors and their state to the OS instead of
  // freeing every state entry one by one (tens of milliseconds at the end of a large replay).
  // Nothing may use the detectors afterwards; the counters and stats stay readable.
  void AbandonDetectors();

  const DispatcherStats& stats() const { return stats_; }
  size_t num_detectors() const { return slots_.size(); }
  const Detector& detector(size_t i) const { return *slots_[i].detector; }
  Detector& mutable_detector(size_t i) { return *slots_[i].detector; }  // state restore only
  const DetectorCounters& counters(size_t i) const { return counters_[i]; }
  absl::Time watermark() const { return watermark_; }
  // The newest event time seen (stageTimestamp), InfinitePast before the first event.
  absl::Time max_event_time() const { return max_event_time_; }
  const Aggregator& aggregator() const { return aggregator_; }

 private:
  class Emitter;
  bool SeenBefore(uint64_t key);
  void RememberStarted(uint64_t key);
  bool Contains(uint64_t key) const;
  void AdvanceWatermark(absl::Time t, std::vector<Alert>& out);
  // Appends the aggregator's summary alerts to `out`, counting them as their detector's alerts.
  void DrainSummaries(std::vector<Alert>& out);
  size_t TableIndex(Stage s, Verb v, size_t resource) const {
    return (static_cast<size_t>(s) * kNumVerbs + static_cast<size_t>(v)) * num_resources_ +
           resource;
  }

  std::vector<DetectorSlot> slots_;
  std::vector<DetectorCounters> counters_;
  DispatcherOptions opts_;
  DispatcherStats stats_;

  absl::flat_hash_map<std::string, uint16_t, StringHash, StringEq> resource_ids_;  // 0 = other
  size_t num_resources_ = 1;
  std::vector<std::vector<uint16_t>> table_;  // slot indices per (stage, verb, resource)
  std::vector<uint32_t> traits_;              // per slot: Interest::traits
  std::vector<uint16_t> stateful_;
  bool aggregating_ = false;  // some slot has aggregate > 0
  Aggregator aggregator_;
  std::vector<Aggregator::Emitted> summaries_;  // scratch, reused

  absl::flat_hash_set<uint64_t> dedup_current_, dedup_previous_;
  // auditIDs whose ResponseStarted was seen (long-running requests), two generations.
  absl::flat_hash_set<uint64_t> started_, started_previous_;

  absl::Time max_event_time_ = absl::InfinitePast();
  absl::Time watermark_ = absl::InfinitePast();
  absl::Time last_watermark_call_ = absl::InfinitePast();
};

}  // namespace kaudit
