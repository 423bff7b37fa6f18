#pragma once

#include <span>

#include "absl/status/status.h"
#include "src/engine/alert.h"

namespace kaudit {

// Where alerts go. Send() takes a batch of owned alerts; an error means the batch was not
// delivered (callers count it and decide whether to retry).
class AlertSink {
 public:
  virtual ~AlertSink() = default;
  [[nodiscard]] virtual absl::Status Send(std::span<const Alert> alerts) = 0;
  [[nodiscard]] virtual absl::Status Flush() { return absl::OkStatus(); }
};

}  // namespace kaudit
