#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/common/context.h"
#include "src/config/config.h"
#include "src/parse/event_reader.h"
#include "src/pipeline/summary.h"
#include "src/sinks/sink.h"

namespace kaudit {

// What became of one submitted batch, reported on the pipeline thread once its events went
// through the detectors and their alerts were handed to the sink.
struct BatchResult {
  uint64_t documents = 0;  // top-level JSON documents in the body
  uint64_t events = 0;     // valid events
  uint64_t invalid = 0;    // documents or items rejected (counted by reason in the summary)
  InvalidReason first_reason = InvalidReason::kMalformedJson;  // when invalid > 0
  std::string first_detail;                                    // "file:line: what was wrong"
  // Alerts handed to the sink up to and including this batch: the batch is fully acknowledged
  // once AlertSink::WaitSettled(alert_ticket, ...) is true.
  uint64_t alert_ticket = 0;
};

// One unit of input: a webhook request body, a Kafka message, a run of complete lines of a
// tailed file. Its bytes are owned by the pipeline until processed.
struct Batch {
  std::string data;    // an Event, an EventList, a JSON array, or JSON lines
  std::string source;  // where it came from, for error locations ("webhook 10.0.0.1", ...)
  // Called on the pipeline thread after processing (may be empty). Must not block for long.
  std::function<void(const BatchResult&)> done;
};

struct LiveOptions {
  size_t queue_max_batches = 1024;          // batches waiting for the engine thread
  uint64_t queue_max_bytes = 256ull << 20;  // ... and their bytes
};

struct LiveStats {
  uint64_t batches = 0;        // processed
  uint64_t rejected_full = 0;  // TrySubmit refused because the queue was full
  uint64_t queue_batches = 0;  // waiting now
  uint64_t queue_bytes = 0;    // waiting now
};

// The engine of the live modes (serve, tail, Kafka): a bounded queue of batches in front of
// one engine thread that parses, runs every detector and hands alerts to the sink. Sources
// either TrySubmit (and push back on their clients when it is full) or Submit (and wait).
class LivePipeline {
 public:
  // `config` must outlive the pipeline: the engine keeps a reference to it.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<LivePipeline>> Create(const Config& config,
                                                                            AlertSink* sink,
                                                                            Context ctx,
                                                                            LiveOptions options);
  ~LivePipeline();  // Stop()s if still running

  // Queues the batch unless the queue is full or the pipeline is stopping; false then (the
  // batch is left untouched, its callback not called).
  [[nodiscard]] bool TrySubmit(Batch& batch);
  // Waits for room; false only when the pipeline is stopping.
  [[nodiscard]] bool Submit(Batch& batch);

  // Stops taking batches, processes everything queued, lets stateful detectors and
  // aggregation emit what they hold, flushes the sink. Returns the final counters.
  RunSummary Stop();

  // The counters as of the last processed batch (thread-safe, for /metrics).
  RunSummary Snapshot() const;
  LiveStats live_stats() const;
  AlertSink* sink() const { return sink_; }

 private:
  class Impl;
  LivePipeline(std::unique_ptr<Impl> impl, AlertSink* sink);
  std::unique_ptr<Impl> impl_;
  AlertSink* sink_;
};

// An input of a live mode (webhook server, tailed files, Kafka consumer). RunLive (src/app)
// starts it, stops it on SIGTERM, and renders its metrics.
class LiveSource {
 public:
  virtual ~LiveSource() = default;
  // Starts taking input on the source's own threads, submitting batches to `pipeline`.
  [[nodiscard]] virtual absl::Status Start(LivePipeline* pipeline) = 0;
  // Stops taking input; returns once nothing more will be submitted (requests in flight are
  // answered, partitions paused, files closed).
  virtual void Stop() = 0;
  // After the pipeline drained and the sinks flushed: the last acknowledgements (checkpoint,
  // offsets). Everything submitted was processed by now.
  virtual void Finished() {}
  // True when the source has ended by itself (a bounded input read to its end).
  virtual bool Exhausted() const { return false; }
  // True when it takes input (for /readyz).
  virtual bool Ready() const { return true; }
  // The source's own counters and gauges, appended for /metrics and the summary.
  virtual void AppendMetrics(std::vector<SourceMetric>& out) const {}
};

}  // namespace kaudit
