#include "src/common/logger.h"

#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "src/common/json_writer.h"

namespace kaudit {
namespace {

constexpr std::string_view kLevelNames[] = {"debug", "info", "warning", "error"};

// Text form: control characters would break the one-line promise; show them escaped.
void AppendTextSafe(std::string& out, std::string_view s) {
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out.push_back(c);
    }
  }
}

// A key=value value: bare when it is a simple token, else a JSON string literal.
void AppendTextValue(std::string& out, std::string_view s) {
  bool bare = !s.empty();
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '=' || c == '\\') {
      bare = false;
      break;
    }
  }
  if (bare) {
    out.append(s);
  } else {
    AppendJsonString(out, s);
  }
}

void AppendNumber(std::string& out, const LogField& f) {
  switch (f.type()) {
    case LogField::Type::kInt:
      absl::StrAppend(&out, f.int_value());
      break;
    case LogField::Type::kUint:
      absl::StrAppend(&out, f.uint_value());
      break;
    case LogField::Type::kBool:
      out += f.bool_value() ? "true" : "false";
      break;
    case LogField::Type::kDouble:
      // JSON has no NaN or infinities.
      if (f.double_value() != f.double_value() || f.double_value() > 1.7e308 ||
          f.double_value() < -1.7e308) {
        out += "null";
      } else {
        absl::StrAppend(&out, f.double_value());
      }
      break;
    case LogField::Type::kString:
      break;
  }
}

const LogField* Find(std::span<const LogField> fields, std::string_view key) {
  for (const LogField& f : fields) {
    if (f.in_text() && f.key() == key) return &f;
  }
  return nullptr;
}

}  // namespace

std::string_view LogLevelName(LogLevel level) { return kLevelNames[static_cast<int>(level)]; }

std::optional<LogLevel> ParseLogLevel(std::string_view name) {
  for (int i = 0; i < 4; ++i) {
    if (name == kLevelNames[i]) return static_cast<LogLevel>(i);
  }
  return std::nullopt;
}

std::optional<LogFormat> ParseLogFormat(std::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return std::nullopt;
}

Logger::Logger(LoggerOptions options) : opts_(options) {}

bool Logger::LogLimited(LogLimiter& limiter, LogLevel level, std::string_view component,
                        std::string_view msg, std::initializer_list<LogField> fields) const {
  if (!Enabled(level)) return false;
  uint64_t n = 0;
  if (!limiter.ShouldLog(&n)) return false;
  Write(level, component, msg, std::span(fields.begin(), fields.size()),
        limiter.SuppressedBefore(n));
  return true;
}

std::string Logger::Format(LogLevel level, std::string_view component, std::string_view msg,
                           std::span<const LogField> fields, uint64_t suppressed) const {
  std::string line;
  line.reserve(128 + msg.size());
  if (opts_.format == LogFormat::kJson) {
    const absl::Time now = opts_.clock != nullptr ? opts_.clock->Now() : absl::Now();
    JsonWriter w(line);
    w.BeginObject();
    w.Field("ts", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", now, absl::UTCTimeZone()));
    w.Field("level", LogLevelName(level));
    w.Field("msg", msg);
    w.Field("component", component);
    std::string number;
    for (const LogField& f : fields) {
      if (f.omitted()) continue;
      w.Key(f.key());
      if (f.type() == LogField::Type::kString) {
        w.String(f.str());
      } else {
        number.clear();
        AppendNumber(number, f);
        w.Raw(number);
      }
    }
    if (suppressed > 0) w.Key("suppressed").Raw(absl::StrCat(suppressed));
    w.EndObject();
  } else {
    line += "kaudit: ";
    line += LogLevelName(level);
    line += ": ";
    const LogField* path = Find(fields, "path");
    if (path != nullptr) {
      if (path->type() == LogField::Type::kString) {
        AppendTextSafe(line, path->str());
      } else {
        AppendNumber(line, *path);
      }
      if (const LogField* l = Find(fields, "line"); l != nullptr) {
        line.push_back(':');
        AppendNumber(line, *l);
      }
      if (const LogField* item = Find(fields, "item"); item != nullptr) {
        line += " item ";
        AppendNumber(line, *item);
      }
      line += ": ";
    }
    AppendTextSafe(line, msg);
    if (const LogField* e = Find(fields, "error"); e != nullptr) {
      line += ": ";
      if (e->type() == LogField::Type::kString) {
        AppendTextSafe(line, e->str());
      } else {
        AppendNumber(line, *e);
      }
    }
    for (const LogField& f : fields) {
      if (!f.in_text()) continue;
      const std::string_view k = f.key();
      if (k == "error" || (path != nullptr && (k == "path" || k == "line" || k == "item"))) {
        continue;
      }
      line.push_back(' ');
      line.append(k);
      line.push_back('=');
      if (f.type() == LogField::Type::kString) {
        AppendTextValue(line, f.str());
      } else {
        AppendNumber(line, f);
      }
    }
    if (suppressed > 0) absl::StrAppend(&line, " suppressed=", suppressed);
  }
  line.push_back('\n');
  return line;
}

void Logger::Write(LogLevel level, std::string_view component, std::string_view msg,
                   std::span<const LogField> fields, uint64_t suppressed) const {
  WriteLine(Format(level, component, msg, fields, suppressed));
}

void Logger::WriteLine(std::string_view line) const {
  std::unique_lock<std::mutex> lock(long_line_mu_, std::defer_lock);
  if (line.size() > PIPE_BUF) lock.lock();
  while (!line.empty()) {
    const ssize_t n = ::write(opts_.fd, line.data(), line.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere left to report it
    }
    line.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace kaudit
