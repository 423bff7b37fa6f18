#pragma once

#include "src/common/clock.h"

namespace kaudit {

// What components get from the process instead of globals: the wall clock (never read on the
// per-event path) and, as they are added, metrics and logging.
struct Context {
  const Clock* clock = nullptr;
};

}  // namespace kaudit
