#pragma once

#include <span>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "src/engine/alert.h"

namespace kaudit {

// Where alerts go. Send() takes a batch of owned alerts; an error means the batch was not
// delivered (callers count it and decide whether to retry).
class AlertSink {
 public:
  virtual ~AlertSink() = default;
  [[nodiscard]] virtual absl::Status Send(std::span<const Alert> alerts) = 0;
  [[nodiscard]] virtual absl::Status Flush() { return absl::OkStatus(); }
  // True once the first `count` alerts ever handed to Send() are settled: delivered, filtered
  // out, or dropped and counted. Waits up to `timeout` (zero: just checks). Sources use it to
  // acknowledge input (checkpoint, Kafka offset) only after its alerts left the process.
  // Sinks that deliver inside Send() are always settled.
  [[nodiscard]] virtual bool WaitSettled(uint64_t count, absl::Duration timeout) { return true; }
};

}  // namespace kaudit
