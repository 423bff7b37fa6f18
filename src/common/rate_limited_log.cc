#include "src/common/rate_limited_log.h"

#include <algorithm>

namespace kaudit {

bool LogLimiter::ShouldLog(uint64_t* n) {
  uint64_t c = count_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (n != nullptr) *n = c;
  if (c <= burst_) return true;
  return (c & (c - 1)) == 0;  // powers of two
}

uint64_t LogLimiter::SuppressedBefore(uint64_t n) const {
  if (n <= burst_ + 1) return 0;
  // n is a power of two above the burst; the previous logged occurrence is n/2 when that is
  // past the burst, else the burst's last one.
  const uint64_t previous = std::max(burst_, n / 2);
  return n - previous - 1;
}

}  // namespace kaudit
