#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "src/common/context.h"
#include "src/engine/alert.h"
#include "src/sinks/disk_buffer.h"
#include "src/sinks/sink.h"

namespace kaudit {

// Delivers one batch to a destination (formatting included). Called from one worker thread.
class Transport {
 public:
  virtual ~Transport() = default;
  [[nodiscard]] virtual absl::Status Deliver(std::span<const Alert> batch) = 0;
};

struct QueuedSinkOptions {
  std::string name;                         // for logs, metrics, the summary
  Severity min_severity = Severity::kInfo;  // alerts below are not sent (counted as filtered)
  std::set<std::string> detectors;          // only these detectors (empty = all)
  size_t queue_max = 100000;                // alerts buffered while the destination is slow or down
  bool block_when_full = false;             // local sinks wait; network sinks drop the oldest
  size_t batch_max = 100;
  absl::Duration flush_interval = absl::Milliseconds(200);
  absl::Duration retry_initial = absl::Milliseconds(200);
  absl::Duration retry_max = absl::Seconds(30);
  absl::Duration flush_timeout = absl::Seconds(30);  // how long Flush() waits at shutdown
};

struct SinkStats {
  std::string name;
  uint64_t accepted = 0;  // alerts queued
  uint64_t filtered = 0;  // below min_severity or not in the detector filter
  uint64_t sent = 0;      // alerts delivered
  uint64_t batches = 0;   // successful deliveries
  uint64_t retries = 0;   // failed delivery attempts that were retried
  uint64_t dropped_queue_full = 0;
  uint64_t dropped_shutdown = 0;  // still queued when Flush() gave up
  uint64_t dropped_disk = 0;      // disk buffer: over its bound, unwritable, or corrupt
  uint64_t queue_depth = 0;
  uint64_t disk_pending = 0;  // alerts waiting in the disk buffer
  uint64_t disk_bytes = 0;
  uint64_t spilled = 0;  // alerts that went through the disk buffer
  uint64_t dropped() const { return dropped_queue_full + dropped_shutdown + dropped_disk; }
};

// A sink with its own bounded queue and worker thread: it batches, retries failed deliveries
// with exponential backoff and jitter for as long as its buffer holds, and counts everything
// it had to drop. A slow or failing destination never blocks the others. With a disk buffer,
// alerts that do not fit in memory go to disk (in order) instead of pushing out the oldest,
// and what is still undelivered at exit stays there for the next start.
class QueuedSink final : public AlertSink {
 public:
  QueuedSink(QueuedSinkOptions options, Context ctx, std::unique_ptr<Transport> transport,
             std::unique_ptr<DiskBuffer> disk = nullptr);
  ~QueuedSink() override;

  absl::Status Send(std::span<const Alert> alerts) override;
  // Waits until everything queued was delivered or flush_timeout passed. Then the rest,
  // including a batch still in flight, goes to the disk buffer (it may be delivered twice:
  // at least once) or is dropped and counted; the status says how many. Called at shutdown:
  // after a timeout the sink delivers nothing more.
  absl::Status Flush() override;
  bool WaitSettled(uint64_t count, absl::Duration timeout) override;
  SinkStats stats() const;
  const QueuedSinkOptions& options() const { return opts_; }

 private:
  void Run();
  bool Wanted(const Alert& a) const;
  // Alerts of this run settled (delivered, filtered or dropped); those recovered from the disk
  // buffer at start are delivered first and are not part of it. Needs mu_.
  uint64_t settled() const;
  uint64_t DiskPending() const;            // needs mu_
  void Refill();                           // disk -> memory while there is room; needs mu_
  void Spill(std::vector<Alert>& alerts);  // memory -> disk; needs mu_

  QueuedSinkOptions opts_;
  const Context ctx_;
  std::unique_ptr<Transport> transport_;
  std::unique_ptr<DiskBuffer> disk_;  // optional
  uint64_t recovered_ = 0;            // alerts on disk at start
  mutable std::mutex mu_;
  std::condition_variable cv_;       // work arrived / stop
  std::condition_variable drained_;  // queue emptied / space freed
  std::deque<Alert> queue_;
  std::vector<Alert> in_flight_batch_;  // written by Run() under mu_, read by Deliver()
  size_t in_flight_ = 0;
  bool stop_ = false;
  // Flush() gave up: what was queued or in flight is on disk (or counted as dropped), and
  // the worker starts no delivery and no retry any more.
  bool closing_ = false;
  int flush_waiters_ = 0;  // Flush() / WaitSettled() callers: deliver partial batches now
  SinkStats stats_;
  std::thread worker_;
};

// Fans alerts out to several sinks.
class SinkSet final : public AlertSink {
 public:
  void Add(std::unique_ptr<QueuedSink> sink) { sinks_.push_back(std::move(sink)); }
  absl::Status Send(std::span<const Alert> alerts) override;
  absl::Status Flush() override;
  bool WaitSettled(uint64_t count, absl::Duration timeout) override;
  std::vector<SinkStats> stats() const;
  size_t size() const { return sinks_.size(); }

 private:
  std::vector<std::unique_ptr<QueuedSink>> sinks_;
};

}  // namespace kaudit
