#pragma once

#include "src/common/clock.h"
#include "src/common/logger.h"

namespace kaudit {

// What components get from the process instead of globals: the wall clock (never read per
// event: only to stamp a batch of alerts with their detection time) and the logger (per-event
// problems go through Logger::LogLimited). Both are owned by the command that runs the
// components and outlive them; neither may be null.
struct Context {
  const Clock* clock = nullptr;
  const Logger* logger = nullptr;
};

}  // namespace kaudit
