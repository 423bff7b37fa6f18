#pragma once

#include <atomic>
#include <cstdint>

namespace kaudit {

// Decides which occurrences of a repeated per-event problem get a log line, without reading
// the clock: the first `burst` occurrences, then every power of two (so a flood of N bad events
// logs O(burst + log N) lines). Thread-safe and lock-free. Logger::LogLimited uses it.
class LogLimiter {
 public:
  explicit LogLimiter(uint64_t burst = 10) : burst_(burst) {}
  // Returns true if occurrence number `n` (1-based, returned in *n) should be logged.
  bool ShouldLog(uint64_t* n = nullptr);
  // For an occurrence `n` that ShouldLog let through: how many occurrences before it were not
  // logged (those after the previous logged one).
  uint64_t SuppressedBefore(uint64_t n) const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  uint64_t burst() const { return burst_; }

 private:
  uint64_t burst_;
  std::atomic<uint64_t> count_{0};
};

}  // namespace kaudit
