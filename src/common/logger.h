#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"
#include "src/common/clock.h"
#include "src/common/rate_limited_log.h"

namespace kaudit {

enum class LogLevel : uint8_t { kDebug = 0, kInfo, kWarning, kError };
enum class LogFormat : uint8_t { kText = 0, kJson };

std::string_view LogLevelName(LogLevel level);  // "debug", "info", "warning", "error"
std::optional<LogLevel> ParseLogLevel(std::string_view name);
std::optional<LogFormat> ParseLogFormat(std::string_view name);  // "text" or "json"

// One structured field of a log line: a key and a string, integer, boolean or floating-point
// value. Fields are views: build them in the logging call's argument list, where the
// temporaries they point into live until the line is written.
class LogField {
 public:
  enum class Type : uint8_t { kString, kInt, kUint, kBool, kDouble };

  LogField(std::string_view key, std::string_view v) : key_(key), type_(Type::kString), str_(v) {}
  LogField(std::string_view key, const char* v) : LogField(key, std::string_view(v)) {}
  LogField(std::string_view key, const std::string& v) : LogField(key, std::string_view(v)) {}
  LogField(std::string_view key, absl::string_view v)
      : LogField(key, std::string_view(v.data(), v.size())) {}
  LogField(std::string_view key, bool v) : key_(key), type_(Type::kBool), int_(v ? 1 : 0) {}
  LogField(std::string_view key, double v) : key_(key), type_(Type::kDouble), double_(v) {}
  template <std::integral T>
  requires(!std::same_as<T, bool> && !std::same_as<T, char>) LogField(std::string_view key, T v)
      : key_(key) {
    if constexpr (std::is_signed_v<T>) {
      type_ = Type::kInt;
      int_ = static_cast<int64_t>(v);
    } else {
      type_ = Type::kUint;
      uint_ = static_cast<uint64_t>(v);
    }
  }

  // The field goes to JSON lines only: the text form's message already says it.
  LogField JsonOnly() const {
    LogField f = *this;
    f.text_ = false;
    return f;
  }
  // The field is left out entirely unless `cond` holds (e.g. an optional list index).
  LogField If(bool cond) const {
    LogField f = *this;
    f.omit_ = !cond;
    return f;
  }

  std::string_view key() const { return key_; }
  Type type() const { return type_; }
  std::string_view str() const { return str_; }
  int64_t int_value() const { return int_; }
  uint64_t uint_value() const { return uint_; }
  bool bool_value() const { return int_ != 0; }
  double double_value() const { return double_; }
  bool in_text() const { return text_ && !omit_; }
  bool omitted() const { return omit_; }

 private:
  std::string_view key_;
  Type type_ = Type::kString;
  bool text_ = true;
  bool omit_ = false;
  std::string_view str_;
  union {
    int64_t int_ = 0;
    uint64_t uint_;
    double double_;
  };
};

struct LoggerOptions {
  LogFormat format = LogFormat::kText;
  LogLevel min_level = LogLevel::kInfo;
  int fd = 2;                    // stderr
  const Clock* clock = nullptr;  // for `ts` in JSON lines; nullptr: the real clock
};

// Leveled, structured log lines, one per write(2), so that lines from different threads never
// interleave (a line up to PIPE_BUF bytes is written atomically even to a pipe; a longer one
// is written under a mutex). Thread-safe; takes no lock for ordinary lines.
//
// text (the human form):
//   kaudit: <level>: [<path>[:<line>][ item <item>]: ]<msg>[: <error>][ key=value ...]
//   The `path`, `line`, `item` and `error` fields take their place in the sentence; other
//   fields follow as key=value (values quoted as JSON strings when they contain spaces,
//   quotes, '=' or control characters). Fields marked JsonOnly are not shown.
// json (one object per line):
//   {"ts":"2026-01-02T03:04:05.678Z","level":"warning","msg":"...","component":"input",
//    <fields in order>}
//   Strings are escaped as RFC 8259 requires and invalid UTF-8 becomes U+FFFD.
//
// Per-event problems go through LogLimited with a LogLimiter owned by the component, so a
// flood of bad input yields O(burst + log N) lines; a line that follows suppressed ones says
// how many in a `suppressed` field.
class Logger {
 public:
  explicit Logger(LoggerOptions options = {});
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  bool Enabled(LogLevel level) const { return level >= opts_.min_level; }
  LogFormat format() const { return opts_.format; }
  LogLevel min_level() const { return opts_.min_level; }

  void Log(LogLevel level, std::string_view component, std::string_view msg,
           std::initializer_list<LogField> fields = {}) const {
    if (Enabled(level)) Write(level, component, msg, std::span(fields.begin(), fields.size()), 0);
  }
  void Debug(std::string_view component, std::string_view msg,
             std::initializer_list<LogField> fields = {}) const {
    Log(LogLevel::kDebug, component, msg, fields);
  }
  void Info(std::string_view component, std::string_view msg,
            std::initializer_list<LogField> fields = {}) const {
    Log(LogLevel::kInfo, component, msg, fields);
  }
  void Warning(std::string_view component, std::string_view msg,
               std::initializer_list<LogField> fields = {}) const {
    Log(LogLevel::kWarning, component, msg, fields);
  }
  void Error(std::string_view component, std::string_view msg,
             std::initializer_list<LogField> fields = {}) const {
    Log(LogLevel::kError, component, msg, fields);
  }

  // Counts one occurrence of a repeated problem in `limiter` and writes the line if the
  // limiter lets this occurrence through, with `suppressed` set to the number of occurrences
  // not logged since the previous line (when there were any). Returns whether it wrote.
  // Lock-free: one atomic increment when the line is not written.
  bool LogLimited(LogLimiter& limiter, LogLevel level, std::string_view component,
                  std::string_view msg, std::initializer_list<LogField> fields = {}) const;

  // Formats one line (with its trailing newline) without writing it; for tests.
  std::string Format(LogLevel level, std::string_view component, std::string_view msg,
                     std::span<const LogField> fields, uint64_t suppressed) const;

 private:
  void Write(LogLevel level, std::string_view component, std::string_view msg,
             std::span<const LogField> fields, uint64_t suppressed) const;
  void WriteLine(std::string_view line) const;

  const LoggerOptions opts_;
  mutable std::mutex long_line_mu_;  // only for lines longer than PIPE_BUF
};

}  // namespace kaudit
