#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace kaudit {

// Parses RFC 3339 timestamps as kube-apiserver writes them ("2018-10-26T13:38:34.902914Z",
// also with a numeric offset and 0-9 fraction digits). Allocation-free; nullopt when malformed.
std::optional<absl::Time> ParseRfc3339(std::string_view s) noexcept;

// ParseRfc3339 for a stream of timestamps that mostly share their second (an audit log's):
// remembers the last date and time of day it parsed ("2018-10-26T13:38:34") and reads only
// the fraction and zone of timestamps that repeat it. Same results as ParseRfc3339.
class Rfc3339Parser {
 public:
  std::optional<absl::Time> Parse(std::string_view s) noexcept;

 private:
  static constexpr size_t kDateTimeLength = 19;
  char date_time_[kDateTimeLength] = {};
  int64_t secs_ = 0;
  bool valid_ = false;
};

// "2018-10-26T13:38:34.902914000Z" (always UTC, nanoseconds).
std::string FormatRfc3339Nanos(absl::Time t);
// "2018-10-26T13:38:34.902914Z" (UTC, microseconds, as Kubernetes writes).
std::string FormatRfc3339Micros(absl::Time t);

// Parses a user-supplied time bound: RFC 3339, or a duration before `now` ("2h", "30m", "7d").
absl::StatusOr<absl::Time> ParseTimeBound(std::string_view s, absl::Time now);

// Parses durations such as "90s", "10m", "2h", "7d", "1h30m".
absl::StatusOr<absl::Duration> ParseDurationString(std::string_view s);

}  // namespace kaudit
