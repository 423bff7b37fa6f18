#include "src/common/logger.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "src/common/clock.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A logger writing to a temporary file (O_APPEND), read back as lines.
class LoggerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = testing::TempDir() + "/log";
    fd_ = open(path_.c_str(), O_CREAT | O_RDWR | O_APPEND | O_TRUNC | O_CLOEXEC, 0600);
    ASSERT_GE(fd_, 0);
    clock_.Set(absl::FromUnixMillis(1767323045678));  // 2026-01-02T03:04:05.678Z
  }
  void TearDown() override { close(fd_); }

  LoggerOptions Options(LogFormat format, LogLevel min = LogLevel::kInfo) {
    return LoggerOptions{format, min, fd_, &clock_};
  }
  std::vector<std::string> Lines() const {
    std::string all = testing::ReadFile(path_);
    EXPECT_TRUE(all.empty() || all.back() == '\n') << "a line without its newline";
    std::vector<std::string> out = absl::StrSplit(all, '\n', absl::SkipEmpty());
    return out;
  }

  std::string path_;
  int fd_ = -1;
  FakeClock clock_;
};

// Parses one JSON line (simdjson also rejects invalid UTF-8).
simdjson::dom::element Parse(simdjson::dom::parser& parser, const std::string& line) {
  simdjson::dom::element e;
  auto err = parser.parse(line).get(e);
  EXPECT_EQ(err, simdjson::SUCCESS) << simdjson::error_message(err) << ": " << line;
  EXPECT_TRUE(e.is_object()) << line;
  return e;
}

std::string Str(simdjson::dom::element e, const char* key) {
  std::string_view v;
  if (e[key].get(v) != simdjson::SUCCESS) return "<missing " + std::string(key) + ">";
  return std::string(v);
}

TEST_F(LoggerTest, JsonLineCarriesTimeLevelComponentAndFields) {
  Logger log(Options(LogFormat::kJson));
  log.Warning("input", "invalid event (truncated)",
              {LogField("path", "/var/log/audit.log"), LogField("line", uint64_t{42}),
               LogField("item", int64_t{-1}).If(false), LogField("offset", uint64_t{12345}),
               LogField("reason", "truncated").JsonOnly(), LogField("error", "unexpected end"),
               LogField("retry", true), LogField("ratio", 0.5)});
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  simdjson::dom::parser parser;
  auto e = Parse(parser, lines[0]);
  EXPECT_EQ(Str(e, "ts"), "2026-01-02T03:04:05.678Z");
  EXPECT_EQ(Str(e, "level"), "warning");
  EXPECT_EQ(Str(e, "msg"), "invalid event (truncated)");
  EXPECT_EQ(Str(e, "component"), "input");
  EXPECT_EQ(Str(e, "path"), "/var/log/audit.log");
  EXPECT_EQ(uint64_t(e["line"]), 42u);
  EXPECT_EQ(uint64_t(e["offset"]), 12345u);
  EXPECT_EQ(Str(e, "reason"), "truncated");
  EXPECT_EQ(Str(e, "error"), "unexpected end");
  EXPECT_EQ(bool(e["retry"]), true);
  EXPECT_DOUBLE_EQ(double(e["ratio"]), 0.5);
  EXPECT_EQ(e["item"].error(), simdjson::NO_SUCH_FIELD);  // omitted
  EXPECT_EQ(e["suppressed"].error(), simdjson::NO_SUCH_FIELD);
}

TEST_F(LoggerTest, JsonEscapesStringsAndRepairsInvalidUtf8) {
  Logger log(Options(LogFormat::kJson));
  const std::string nasty = "a \"quote\" \\ back\nnew\tline\x01 caf\xC3\xA9 bad\xFF\xFE end";
  log.Error(nasty, nasty, {LogField("path", nasty), LogField(nasty, "value")});
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 1u) << "a newline in a value must not split the line";
  simdjson::dom::parser parser;
  auto e = Parse(parser, lines[0]);
  const std::string want =
      "a \"quote\" \\ back\nnew\tline\x01 caf\xC3\xA9 bad\xEF\xBF\xBD\xEF\xBF\xBD end";
  EXPECT_EQ(Str(e, "msg"), want);
  EXPECT_EQ(Str(e, "component"), want);
  EXPECT_EQ(Str(e, "path"), want);
  simdjson::dom::object obj = e;
  bool found_key = false;
  for (auto [k, v] : obj) found_key = found_key || std::string(k) == want;
  EXPECT_TRUE(found_key) << "the field's key is escaped too";
}

TEST_F(LoggerTest, TextKeepsTheHumanFormWithKeyValueFields) {
  Logger log(Options(LogFormat::kText));
  log.Warning("input", "invalid event (truncated)",
              {LogField("path", "bad.log"), LogField("line", 2), LogField("item", 0),
               LogField("offset", 99).JsonOnly(), LogField("reason", "truncated").JsonOnly(),
               LogField("error", "unexpected end"), LogField("sink", "hook"),
               LogField("note", "two words"), LogField("empty", "")});
  log.Info("metrics", "metrics on http://127.0.0.1:9090/metrics");
  log.Error("main", "line one\nline two");
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0],
            "kaudit: warning: bad.log:2 item 0: invalid event (truncated): unexpected end "
            "sink=hook note=\"two words\" empty=\"\"");
  EXPECT_EQ(lines[1], "kaudit: info: metrics on http://127.0.0.1:9090/metrics");
  EXPECT_EQ(lines[2], "kaudit: error: line one\\nline two");
}

TEST_F(LoggerTest, MinimumLevelFilters) {
  Logger log(Options(LogFormat::kText, LogLevel::kWarning));
  EXPECT_FALSE(log.Enabled(LogLevel::kDebug));
  EXPECT_FALSE(log.Enabled(LogLevel::kInfo));
  EXPECT_TRUE(log.Enabled(LogLevel::kWarning));
  EXPECT_TRUE(log.Enabled(LogLevel::kError));
  log.Debug("c", "debug line");
  log.Info("c", "info line");
  log.Warning("c", "warning line");
  log.Error("c", "error line");
  LogLimiter limiter(10);
  EXPECT_FALSE(log.LogLimited(limiter, LogLevel::kInfo, "c", "limited info"));
  EXPECT_EQ(limiter.count(), 0u) << "a filtered level costs no limiter count";
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "kaudit: warning: warning line");
  EXPECT_EQ(lines[1], "kaudit: error: error line");

  Logger debug(Options(LogFormat::kText, LogLevel::kDebug));
  debug.Debug("c", "now shown");
  EXPECT_EQ(Lines().back(), "kaudit: debug: now shown");
}

TEST_F(LoggerTest, RateLimitedLinesSayHowManyWereSuppressed) {
  Logger log(Options(LogFormat::kJson));
  LogLimiter limiter(3);
  int written = 0;
  for (int i = 1; i <= 100; ++i) {
    if (log.LogLimited(limiter, LogLevel::kWarning, "input", "invalid event (malformed_json)",
                       {LogField("path", "x.log"), LogField("line", i)})) {
      ++written;
    }
  }
  EXPECT_EQ(limiter.count(), 100u);
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 8u);  // 1, 2, 3, then 4, 8, 16, 32, 64
  EXPECT_EQ(written, 8);
  simdjson::dom::parser parser;
  std::vector<int64_t> line_numbers, suppressed;
  for (const auto& l : lines) {
    auto e = Parse(parser, l);
    line_numbers.push_back(int64_t(e["line"]));
    int64_t s = 0;
    if (e["suppressed"].get(s) != simdjson::SUCCESS) s = 0;
    suppressed.push_back(s);
  }
  EXPECT_EQ(line_numbers, (std::vector<int64_t>{1, 2, 3, 4, 8, 16, 32, 64}));
  EXPECT_EQ(suppressed, (std::vector<int64_t>{0, 0, 0, 0, 3, 7, 15, 31}));
  // Every occurrence up to the last line is either logged or counted in a line.
  int64_t accounted = 0;
  for (int64_t s : suppressed) accounted += s + 1;
  EXPECT_EQ(accounted, 64);
}

TEST_F(LoggerTest, TextRateLimitedLineShowsSuppressed) {
  Logger log(Options(LogFormat::kText));
  LogLimiter limiter(1);
  for (int i = 0; i < 4; ++i) {
    log.LogLimited(limiter, LogLevel::kWarning, "sink", "sink s: delivery failed, will retry",
                   {LogField("error", "refused")});
  }
  auto lines = Lines();
  ASSERT_EQ(lines.size(), 3u);  // 1, 2, 4
  EXPECT_EQ(lines[0], "kaudit: warning: sink s: delivery failed, will retry: refused");
  EXPECT_EQ(lines[2], "kaudit: warning: sink s: delivery failed, will retry: refused suppressed=1");
}

TEST(LogLimiterTest, SuppressedBeforeMatchesWhatWasLetThrough) {
  for (uint64_t burst : {0u, 1u, 3u, 10u}) {
    LogLimiter limiter(burst);
    uint64_t last_logged = 0;
    for (int i = 0; i < 5000; ++i) {
      uint64_t n = 0;
      if (!limiter.ShouldLog(&n)) continue;
      EXPECT_EQ(limiter.SuppressedBefore(n), n - last_logged - 1)
          << "burst " << burst << " n " << n;
      last_logged = n;
    }
  }
}

TEST_F(LoggerTest, ConcurrentWritersProduceWholeLines) {
  Logger log(Options(LogFormat::kJson, LogLevel::kDebug));
  constexpr int kThreads = 8;
  constexpr int kPerThread = 1500;
  const std::string long_text(10000, 'x');  // above PIPE_BUF: written under the mutex
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      LogLimiter limiter(1000000);
      for (int i = 0; i < kPerThread; ++i) {
        std::string_view text = i % 100 == 0 ? std::string_view(long_text) : "short";
        log.LogLimited(limiter, LogLevel::kInfo, "worker", text,
                       {LogField("thread", t), LogField("i", i)});
      }
    });
  }
  for (auto& th : threads) th.join();
  auto lines = Lines();
  ASSERT_EQ(lines.size(), static_cast<size_t>(kThreads * kPerThread));
  simdjson::dom::parser parser;
  std::vector<int> per_thread(kThreads);
  for (const auto& l : lines) {
    auto e = Parse(parser, l);
    int64_t t = e["thread"];
    ASSERT_GE(t, 0);
    ASSERT_LT(t, kThreads);
    ++per_thread[t];
  }
  for (int n : per_thread) EXPECT_EQ(n, kPerThread);
}

TEST(LoggerNamesTest, ParseLevelsAndFormats) {
  EXPECT_EQ(ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(ParseLogLevel("info"), LogLevel::kInfo);
  EXPECT_EQ(ParseLogLevel("warning"), LogLevel::kWarning);
  EXPECT_EQ(ParseLogLevel("error"), LogLevel::kError);
  EXPECT_EQ(ParseLogLevel("warn"), std::nullopt);
  EXPECT_EQ(ParseLogFormat("text"), LogFormat::kText);
  EXPECT_EQ(ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_EQ(ParseLogFormat("logfmt"), std::nullopt);
  EXPECT_EQ(LogLevelName(LogLevel::kWarning), "warning");
}

}  // namespace
}  // namespace kaudit
