// kaudit's own log lines (--log-format json, --log-level, log: in the config), from the real
// binary: every stderr line one JSON object naming where bad input was, floods rate-limited.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <csignal>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/support/process.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::ReadFile;
using testing::RunKaudit;
using testing::SourcePath;
using testing::WriteFile;

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  for (absl::string_view l : absl::StrSplit(s, '\n', absl::SkipEmpty())) out.emplace_back(l);
  return out;
}

// One audit event per line, from the Falco corpus.
std::string GoodEvent() {
  return Lines(ReadFile(SourcePath("tests/data/falco/k8s_audit__exec_pod.json")))[0];
}

struct LogLine {
  std::string level, msg, component, path, reason;
  int64_t line = -1, suppressed = 0;
};

// Parses every stderr line; each must be one JSON object with ts, level, msg and component.
std::vector<LogLine> ParseJsonLog(const std::string& err) {
  std::vector<LogLine> out;
  simdjson::dom::parser parser;
  for (const std::string& l : Lines(err)) {
    simdjson::dom::object o;
    auto error = parser.parse(l).get(o);
    EXPECT_EQ(error, simdjson::SUCCESS) << "not one JSON object: " << l;
    if (error) continue;
    LogLine r;
    std::string_view v;
    EXPECT_EQ(o["ts"].get(v), simdjson::SUCCESS) << l;
    EXPECT_EQ(v.size(), 24u) << "RFC 3339 UTC with millis: " << l;
    EXPECT_EQ(o["level"].get(v), simdjson::SUCCESS) << l;
    r.level = v;
    EXPECT_EQ(o["msg"].get(v), simdjson::SUCCESS) << l;
    r.msg = v;
    EXPECT_EQ(o["component"].get(v), simdjson::SUCCESS) << l;
    r.component = v;
    if (o["path"].get(v) == simdjson::SUCCESS) r.path = v;
    if (o["reason"].get(v) == simdjson::SUCCESS) r.reason = v;
    int64_t n;
    if (o["line"].get(n) == simdjson::SUCCESS) r.line = n;
    if (o["suppressed"].get(n) == simdjson::SUCCESS) r.suppressed = n;
    out.push_back(r);
  }
  return out;
}

TEST(StructuredLogTest, JsonLinesNameTheFileAndLineOfBadInput) {
  const std::string good = GoodEvent();
  const std::string data = absl::StrCat(good, "\n",                             // 1
                                        R"({"kind":"Event","auditID":)", "\n",  // 2 truncated
                                        "\xff\xfe garbage \"quoted\"\n",        // 3 invalid UTF-8
                                        "42\n",                                 // 4 not an object
                                        R"({"kind":"Pod"})", "\n",              // 5 wrong kind
                                        good, "\n");                            // 6
  const std::string tmp = testing::TempDir();
  WriteFile(tmp + "/bad \"name\".log", data);
  auto r = RunKaudit({"replay", "--log-format", "json", "-q", "--format", "json", "-o",
                      tmp + "/alerts.jsonl", "--summary-file", tmp + "/s.json",
                      tmp + "/bad \"name\".log"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<LogLine> log = ParseJsonLog(r.err);
  std::set<int64_t> lines;
  std::set<std::string> reasons;
  for (const LogLine& l : log) {
    if (l.reason.empty()) continue;
    EXPECT_EQ(l.level, "warning");
    EXPECT_EQ(l.component, "input");
    EXPECT_EQ(l.msg, "invalid event (" + l.reason + ")");
    EXPECT_EQ(l.path, tmp + "/bad \"name\".log");
    lines.insert(l.line);
    reasons.insert(l.reason);
  }
  EXPECT_EQ(lines, (std::set<int64_t>{2, 3, 4, 5})) << r.err;
  EXPECT_EQ(reasons,
            (std::set<std::string>{"truncated", "invalid_utf8", "not_an_object", "wrong_kind"}))
      << r.err;
  EXPECT_THAT(ReadFile(tmp + "/s.json"), HasSubstr(R"("invalid_events":4)"));
}

TEST(StructuredLogTest, AFloodOfBadLinesYieldsBoundedLogLinesAndFullCounts) {
  std::string data = GoodEvent() + "\n";
  for (int i = 0; i < 10000; ++i) absl::StrAppend(&data, "{not json at all ", i, "\n");
  const std::string tmp = testing::TempDir();
  WriteFile(tmp + "/flood.log", data);
  auto r =
      RunKaudit({"replay", "--log-format", "json", "-q", "--format", "json", "-o",
                 tmp + "/alerts.jsonl", "--summary-file", tmp + "/s.json", tmp + "/flood.log"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The invalid-event lines (the startup line naming inactive detectors is not one).
  std::vector<LogLine> log;
  for (LogLine& l : ParseJsonLog(r.err)) {
    if (absl::StartsWith(l.msg, "invalid event")) log.push_back(std::move(l));
  }
  // input.error_log_burst (10) lines, then one per power of two: 16, 32, ..., 8192.
  EXPECT_LE(log.size(), 30u);
  EXPECT_GE(log.size(), 10u);
  ASSERT_FALSE(log.empty());
  const std::string reason = log[0].reason;  // one reason: one limiter
  EXPECT_FALSE(reason.empty());
  int64_t accounted = 0, last_line = 0;
  for (const LogLine& l : log) {
    EXPECT_EQ(l.reason, reason) << l.msg;
    EXPECT_EQ(l.path, tmp + "/flood.log");
    EXPECT_GT(l.line, last_line);  // in input order
    last_line = l.line;
    accounted += 1 + l.suppressed;
  }
  EXPECT_GT(log.back().suppressed, 0);
  EXPECT_EQ(accounted, 8192);  // every bad line up to the last logged one is accounted for
  // The counters miss none.
  const std::string summary = ReadFile(tmp + "/s.json");
  EXPECT_THAT(summary, HasSubstr(R"("invalid_events":10000)"));
  EXPECT_THAT(summary, HasSubstr("\"" + reason + "\":10000"));
}

TEST(StructuredLogTest, LevelAndFormatComeFromFlagsOverConfig) {
  const std::string tmp = testing::TempDir();
  WriteFile(tmp + "/bad.log", absl::StrCat(GoodEvent(), "\n{broken\n"));
  WriteFile(tmp + "/kaudit.yaml", "log:\n  format: json\n  level: error\n");
  // The config alone: json, and the warning is below the level.
  auto quiet = RunKaudit(
      {"replay", "-c", tmp + "/kaudit.yaml", "-q", "-o", tmp + "/a.jsonl", tmp + "/bad.log"});
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.err, "");
  // Flags override it: text at info.
  auto text = RunKaudit({"replay", "-c", tmp + "/kaudit.yaml", "--log-format", "text",
                         "--log-level", "info", "-q", "-o", tmp + "/a.jsonl", tmp + "/bad.log"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.err,
              HasSubstr("kaudit: warning: " + tmp + "/bad.log:2: invalid event (truncated)"));
  // Fatal errors follow the format too, and a bad config value names the key.
  WriteFile(tmp + "/bad.yaml", "log:\n  level: loud\n");
  auto bad = RunKaudit(
      {"replay", "--log-format", "json", "-c", tmp + "/bad.yaml", "-q", tmp + "/bad.log"});
  EXPECT_EQ(bad.exit_code, 1);
  std::vector<LogLine> log = ParseJsonLog(bad.err);
  ASSERT_EQ(log.size(), 1u) << bad.err;
  EXPECT_EQ(log[0].level, "error");
  EXPECT_THAT(log[0].msg, HasSubstr("log.level: expected debug, info, warning or error, got loud"));
  // A bad flag value is a usage error (from CLI11).
  auto usage = RunKaudit({"replay", "--log-format", "xml", tmp + "/bad.log"});
  EXPECT_NE(usage.exit_code, 0);
  EXPECT_THAT(usage.err, HasSubstr("--log-format: xml not in {text,json}"));
}

// librdkafka's own lines (here: the connection to a broker that is not there being refused)
// go through kaudit's logger too: with --log-format json every stderr line is still one JSON
// object, and librdkafka's appear under component "rdkafka" with its facility.
TEST(StructuredLogTest, LibrdkafkaLinesAreJsonLinesToo) {
  // Port 1 on loopback: nothing listens, every connection is refused at once.
  auto p = testing::StartKaudit({"consume", "--brokers", "127.0.0.1:1", "--topic", "audit",
                                 "--group", "g", "--log-format", "json", "-q"});
  ASSERT_TRUE(p->WaitForOutput("\"component\":\"rdkafka\"", 30)) << p->err();
  p->Signal(SIGTERM);
  EXPECT_EQ(p->Wait(60), 0) << p->err();
  int rdkafka = 0;
  for (const LogLine& l : ParseJsonLog(p->err())) {
    if (l.component != "rdkafka") continue;
    ++rdkafka;
    EXPECT_THAT(l.msg, HasSubstr("librdkafka (consumer): ")) << l.msg;
    EXPECT_TRUE(l.level == "error" || l.level == "warning" || l.level == "info") << l.level;
  }
  EXPECT_GT(rdkafka, 0) << p->err();
  EXPECT_THAT(p->err(), Not(HasSubstr("|FAIL|"))) << "librdkafka's own stderr format";
}

}  // namespace
}  // namespace kaudit
