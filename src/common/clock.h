#pragma once

#include <atomic>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace kaudit {

// Wall clock, injected through the context so tests can fix it. The per-event path never
// reads it: detection runs on event time (stageTimestamp). The engine reads it once per batch
// of alerts it delivers, for their detection time.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time t = absl::UnixEpoch()) : now_(absl::ToUnixNanos(t)) {}
  absl::Time Now() const override { return absl::FromUnixNanos(now_.load()); }
  void Set(absl::Time t) { now_.store(absl::ToUnixNanos(t)); }
  void Advance(absl::Duration d) { now_.fetch_add(absl::ToInt64Nanoseconds(d)); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace kaudit
