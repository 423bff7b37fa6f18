#include "src/common/time_util.h"

#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/common/strings.h"

namespace kaudit {
namespace {

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool Digits(std::string_view s, size_t pos, size_t n, int* out) noexcept {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

}  // namespace

namespace {

// Seconds since the epoch of the date and time of day in s[0, 19) ("2018-10-26T13:38:34"),
// before the zone offset is applied.
bool ParseDateTime(std::string_view s, int64_t* secs) noexcept {
  int year, mon, day, hour, min, sec;
  if (!Digits(s, 0, 4, &year) || s.size() < 20 || s[4] != '-' || !Digits(s, 5, 2, &mon) ||
      s[7] != '-' || !Digits(s, 8, 2, &day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !Digits(s, 11, 2, &hour) || s[13] != ':' || !Digits(s, 14, 2, &min) || s[16] != ':' ||
      !Digits(s, 17, 2, &sec)) {
    return false;
  }
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) {
    return false;
  }
  const int64_t days = DaysFromCivil(year, static_cast<unsigned>(mon), static_cast<unsigned>(day));
  *secs = days * 86400 + hour * 3600 + min * 60 + sec;
  return true;
}

// The fraction and zone that follow s[0, 19), given the seconds of the date and time.
std::optional<absl::Time> ParseFractionAndZone(std::string_view s, int64_t secs) noexcept {
  size_t pos = 19;
  int64_t nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 9) {
        nanos = nanos * 10 + (s[pos] - '0');
        ++digits;
      }
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 9; ++i) nanos *= 10;
  }
  int64_t offset_sec = 0;
  if (pos >= s.size()) return std::nullopt;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!Digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !Digits(s, pos + 4, 2, &om)) {
      return std::nullopt;
    }
    offset_sec = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  secs -= offset_sec;
  if (secs > 9000000000LL || secs < -9000000000LL)
    return absl::FromUnixSeconds(secs) + absl::Nanoseconds(nanos);
  return absl::FromUnixNanos(secs * 1000000000LL + nanos);  // one conversion, no Duration math
}

}  // namespace

std::optional<absl::Time> ParseRfc3339(std::string_view s) noexcept {
  int64_t secs;
  if (!ParseDateTime(s, &secs)) return std::nullopt;
  return ParseFractionAndZone(s, secs);
}

std::optional<absl::Time> Rfc3339Parser::Parse(std::string_view s) noexcept {
  if (s.size() < kDateTimeLength + 1) return std::nullopt;
  if (!valid_ || std::memcmp(s.data(), date_time_, kDateTimeLength) != 0) {
    int64_t secs;
    valid_ = false;
    if (!ParseDateTime(s, &secs)) return std::nullopt;
    std::memcpy(date_time_, s.data(), kDateTimeLength);
    secs_ = secs;
    valid_ = true;
  }
  return ParseFractionAndZone(s, secs_);
}

std::string FormatRfc3339Nanos(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E9SZ", t, absl::UTCTimeZone());
}

std::string FormatRfc3339Micros(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

absl::StatusOr<absl::Duration> ParseDurationString(std::string_view s) {
  if (s.empty()) return absl::InvalidArgumentError("empty duration");
  // Accept a trailing "d" for days, which absl::ParseDuration does not know.
  absl::Duration total = absl::ZeroDuration();
  std::string rest;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && ((s[j] >= '0' && s[j] <= '9') || s[j] == '.')) ++j;
    if (j == i)
      return absl::InvalidArgumentError(absl::StrCat("invalid duration '", ToAbsl(s), "'"));
    size_t k = j;
    while (k < s.size() && !((s[k] >= '0' && s[k] <= '9') || s[k] == '.')) ++k;
    std::string_view num = s.substr(i, j - i), unit = s.substr(j, k - j);
    if (unit == "d") {
      double v;
      if (!absl::SimpleAtod(ToAbsl(num), &v)) {
        return absl::InvalidArgumentError(absl::StrCat("invalid duration '", ToAbsl(s), "'"));
      }
      total += absl::Hours(24 * v);
    } else {
      absl::StrAppend(&rest, ToAbsl(num), ToAbsl(unit));
    }
    i = k;
  }
  if (!rest.empty()) {
    absl::Duration d;
    if (!absl::ParseDuration(rest, &d)) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid duration '", ToAbsl(s), "' (use e.g. 90s, 10m, 2h, 7d)"));
    }
    total += d;
  }
  if (total < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("negative duration '", ToAbsl(s), "'"));
  }
  return total;
}

absl::StatusOr<absl::Time> ParseTimeBound(std::string_view s, absl::Time now) {
  if (auto t = ParseRfc3339(s)) return *t;
  // Accept a bare date.
  if (s.size() == 10) {
    if (auto t = ParseRfc3339(absl::StrCat(ToAbsl(s), "T00:00:00Z"))) return *t;
  }
  auto d = ParseDurationString(s);
  if (!d.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid time '", ToAbsl(s),
                     "': expected RFC 3339 (2024-05-01T10:00:00Z), a date, or a duration "
                     "before now (2h, 7d)"));
  }
  return now - *d;
}

}  // namespace kaudit
