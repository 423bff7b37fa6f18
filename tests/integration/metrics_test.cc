// /metrics after a replay: scraped with curl from the real binary, every counter equals the
// run summary (events, invalid by reason, duplicates, alerts by detector, sink deliveries).
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/support/process.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using ::testing::HasSubstr;
using testing::ReadFile;
using testing::RunKaudit;
using testing::RunProcess;
using testing::SourcePath;

// GET with curl; the body, and the HTTP status in *code.
std::string Curl(const std::string& url, std::string* code = nullptr) {
  auto r = RunProcess({"/usr/bin/curl", "-s", "--max-time", "5", "-w", "\n%{http_code}", url});
  std::string out = r.out;
  size_t nl = out.rfind('\n');
  if (code) *code = nl == std::string::npos ? "" : out.substr(nl + 1);
  return nl == std::string::npos ? out : out.substr(0, nl);
}

// Prometheus text -> {"name{labels}": value}
std::map<std::string, double> Parse(const std::string& text) {
  std::map<std::string, double> out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (line[0] == '#') continue;
    size_t sp = line.rfind(' ');
    double v = 0;
    if (sp != absl::string_view::npos && absl::SimpleAtod(line.substr(sp + 1), &v)) {
      out[std::string(line.substr(0, sp))] = v;
    }
  }
  return out;
}

// A number from the summary JSON: "key":N after `anchor` (which must be unique).
double JsonNumber(const std::string& json, const std::string& anchor, const std::string& key) {
  size_t a = json.find(anchor);
  size_t k = json.find("\"" + key + "\":", a == std::string::npos ? 0 : a);
  if (k == std::string::npos) return -1;
  double v = -1;
  std::string num = json.substr(k + key.size() + 3, 20);
  num = num.substr(0, num.find_first_of(",}"));
  absl::SimpleAtod(num, &v);
  return v;
}

TEST(MetricsTest, CurlAfterAReplayShowsTheSummaryCounters) {
  // Port 0 and the port kaudit logs: a port picked by the test could be taken by another
  // test's process before kaudit binds it (ctest runs tests in parallel).
  std::string tmp = testing::TempDir();
  auto run = testing::StartKaudit({"replay", "--no-progress", "--format", "json", "--metrics-addr",
                                   "127.0.0.1:0", "--metrics-linger", "180s", "--summary-file",
                                   tmp + "/s.json", "-o", tmp + "/alerts.json",
                                   SourcePath("tests/data/falco"), SourcePath("tests/data/public"),
                                   SourcePath("tests/data/detectors/secret_enumeration/fires")});
  const int port = testing::WaitForMetricsPort(*run);
  ASSERT_GT(port, 0) << run->err();
  // Health and readiness while it runs (the final /metrics scrape lets it exit).
  std::string code, health;
  for (int i = 0; i < 600 && code != "200"; ++i) {
    health = Curl(absl::StrCat("http://127.0.0.1:", port, "/healthz"), &code);
    if (code != "200") std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(code, "200");
  EXPECT_EQ(health, "ok\n");
  Curl(absl::StrCat("http://127.0.0.1:", port, "/readyz"), &code);
  EXPECT_EQ(code, "200");
  std::string metrics;
  for (int i = 0; i < 1800; ++i) {  // up to 180 s for the run to finish (slow under ASan)
    metrics = Curl(absl::StrCat("http://127.0.0.1:", port, "/metrics"));
    // The sample, not a substring: the HELP line reads "kaudit_run_finished 1 once a replay
    // has read all its inputs" and matched while the run was still going.
    if (Parse(metrics)["kaudit_run_finished"] == 1 && std::filesystem::exists(tmp + "/s.json")) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto m = Parse(metrics);
  ASSERT_EQ(m["kaudit_run_finished"], 1) << metrics;
  std::string s = ReadFile(tmp + "/s.json");

  EXPECT_EQ(m["kaudit_source_events_total{source=\"replay\"}"], JsonNumber(s, "", "events"));
  EXPECT_GT(m["kaudit_source_events_total{source=\"replay\"}"], 800);
  EXPECT_EQ(m["kaudit_source_bytes_total{source=\"replay\"}"], JsonNumber(s, "", "bytes"));
  EXPECT_EQ(m["kaudit_events_duplicate_total"], JsonNumber(s, "", "duplicates"));
  for (const char* reason : {"wrong_kind", "missing_field", "malformed_json", "truncated"}) {
    EXPECT_EQ(
        m[absl::StrCat("kaudit_events_invalid_total{source=\"replay\",reason=\"", reason, "\"}")],
        JsonNumber(s, "invalid_by_reason", reason))
        << reason;
  }
  double total_alerts = 0;
  for (const char* d : {"anonymous_request_allowed", "pod_exec_attach", "privileged_container",
                        "secret_enumeration"}) {
    double sum = 0;
    for (const char* sev : {"info", "low", "medium", "high", "critical"}) {
      sum += m[absl::StrCat("kaudit_alerts_total{detector=\"", d, "\",severity=\"", sev, "\"}")];
    }
    EXPECT_EQ(sum, JsonNumber(s, absl::StrCat("\"", d, "\":{"), "alerts")) << d;
    EXPECT_GT(sum, 0) << d;
  }
  for (const auto& [series, value] : m) {
    if (series.rfind("kaudit_alerts_total{", 0) == 0) total_alerts += value;
  }
  EXPECT_EQ(total_alerts, JsonNumber(s, "", "alerts"));
  EXPECT_EQ(m["kaudit_sink_alerts_sent_total{sink=\"output\"}"], total_alerts);
  EXPECT_EQ(m["kaudit_detector_not_judged_total{detector=\"privileged_container\"}"],
            JsonNumber(s, "\"privileged_container\":{", "not_judged"));
  EXPECT_THAT(metrics, HasSubstr("# TYPE kaudit_alerts_total counter"));
  // The newest event of the inputs is the 2023 event of Falco's plugin test file.
  EXPECT_GT(m["kaudit_source_last_event_timestamp_seconds{source=\"replay\"}"], 1.6e9);
  EXPECT_THAT(metrics, HasSubstr("kaudit_build_info{version=\"0.1.0\""));
  // The process ends by itself once a scrape has seen its final counters.
  EXPECT_EQ(run->Wait(60), 0) << run->err();
}

TEST(MetricsTest, BadMetricsAddressIsFatal) {
  auto r = RunKaudit({"replay", "--metrics-addr", "nonsense", SourcePath("tests/data/falco")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("metrics address 'nonsense': expected host:port"));
}

}  // namespace
}  // namespace kaudit
