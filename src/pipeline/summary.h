#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "src/engine/alert.h"
#include "src/parse/event_reader.h"
#include "src/sinks/queued_sink.h"

namespace kaudit {

struct DetectorSummary {
  std::string id;
  uint64_t events = 0;            // events shown to it
  uint64_t allowed = 0;           // events skipped by its allow-list
  uint64_t not_judged = 0;        // events it could not judge (no pod spec at Metadata level, ...)
  std::string not_judged_reason;  // why (empty: no request or response object in the event)
  uint64_t state_entries = 0;
  uint64_t state_evictions = 0;
  uint64_t alerts_aggregated = 0;  // identical alerts absorbed into an aggregation summary
  std::array<uint64_t, kNumSeverities> alerts{};
  uint64_t alerts_total() const;
};

// A counter or gauge of a live source (webhook requests, tail rotations, Kafka lag, the engine
// queue), rendered into /metrics next to the engine's own. Samples of one metric share a name.
struct SourceMetric {
  std::string name;  // kaudit_<component>_<noun>_<unit>, e.g. kaudit_webhook_requests_total
  std::string help;
  bool gauge = false;
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};

// What a run did, printed at the end (text on stderr, or JSON with --summary-file).
struct RunSummary {
  uint64_t inputs = 0;
  uint64_t input_errors = 0;  // inputs that could not be read to the end (I/O, corrupt gzip)
  ReaderStats reader;
  uint64_t duplicates = 0;
  uint64_t out_of_range = 0;  // outside --since/--until
  uint64_t alerts_emitted = 0;
  uint64_t alerts_below_min_severity = 0;
  uint64_t alerts_sink_failed = 0;
  uint64_t dead_letters = 0;
  uint64_t aggregation_evictions = 0;  // aggregation windows evicted (engine.aggregate_max_keys)
  // replay --checkpoint: counted across the runs of one replay (a resume carries them on).
  bool checkpoint = false;
  uint64_t checkpoint_writes = 0;
  uint64_t checkpoint_errors = 0;  // writes that failed, or were postponed (alerts in flight)
  uint64_t resumes = 0;            // runs that continued from a checkpoint
  double seconds = 0;
  absl::Time last_event_time = absl::InfinitePast();  // newest stageTimestamp seen
  std::vector<DetectorSummary> detectors;
  std::vector<SinkStats> sinks;
  std::vector<SourceMetric> source_metrics;

  std::string ToText() const;
  std::string ToJson() const;
};

}  // namespace kaudit
