// The real kaudit binary, run as a user runs it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tests/support/process.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

namespace fs = std::filesystem;
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

// Alert lines without their detection times (each run's own clock), for comparing runs.
std::vector<std::string> AlertLines(const std::string& s) {
  return Lines(testing::WithoutDetectionTimes(s));
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// Events from the detectors' firing cases, one per line (JSON lines).
std::vector<std::string> FiringEvents() {
  std::vector<std::string> events;
  for (const char* f :
       {"tests/data/falco/k8s_audit__exec_pod.json", "tests/data/falco/k8s_audit__attach_pod.json",
        "tests/data/falco/k8s_audit__anonymous_creates_namespace_foo.json",
        "tests/data/falco/k8s_audit__create_nginx_pod_privileged.json",
        "tests/data/detectors/secret_enumeration/fires/"
        "constructed_one_user_reads_12_secrets_in_2m.jsonl"}) {
    for (auto& l : Lines(ReadFile(SourcePath(f)))) events.push_back(l);
  }
  return events;
}

TEST(ReplayCliTest, EveryFalcoCorpusFileExitsZeroAndBadOnesAreCounted) {
  fs::path dir = SourcePath("tests/data/falco");
  std::string tmp = testing::TempDir();
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    ++files;
    std::string summary = tmp + "/summary.json";
    auto r =
        RunKaudit({"replay", "--format", "json", "--summary-file", summary, entry.path().string()});
    EXPECT_EQ(r.exit_code, 0) << entry.path() << "\n" << r.err;
    std::string s = ReadFile(summary);
    if (entry.path().filename() == "k8s_audit__fal_01_003.json") {
      EXPECT_THAT(s, HasSubstr(R"("invalid_events":1)"));
      EXPECT_THAT(s, HasSubstr(R"("wrong_kind":1)"));
      EXPECT_THAT(r.err, HasSubstr("k8s_audit__fal_01_003.json:1: invalid event (wrong_kind)"));
    }
  }
  EXPECT_EQ(files, 82);
}

// --threads N parses on N threads but hands events to the detectors in input order: alerts,
// counts, dead letters and the locations of invalid documents are exactly those of --threads 1,
// also with many small chunks, oversize lines, escaped strings and bad lines between them.
TEST(ReplayCliTest, ThreadsGiveTheSameAlertsAndSummaryAsOneThread) {
  std::string tmp = testing::TempDir();
  std::string mixed;
  for (const char* f :
       {"tests/data/scenario/attack.jsonl", "tests/data/public/audit2rbac_demo_v1_2022.log"}) {
    mixed += ReadFile(SourcePath(f));
    if (!mixed.empty() && mixed.back() != '\n') mixed += '\n';
    mixed += "this is not json\n{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\"\n42\n\n";
    mixed +=
        "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\","
        "\"auditID\":\"esc-1\",\"stage\":\"ResponseComplete\",\"requestURI\":"
        "\"/api/v1/secrets?a=1\\u0026b=2\",\"verb\":\"list\",\"user\":{\"username\":"
        "\"\\u0061lice\",\"groups\":[\"system:\\u0061uthenticated\"]},\"sourceIPs\":"
        "[\"10.0.0.1\"],\"objectRef\":{\"resource\":\"secrets\"},\"responseStatus\":{\"code\":"
        "200},\"stageTimestamp\":\"2022-01-01T00:00:00Z\"}\n";
    mixed += "{\"pad\":\"" + std::string(200 << 10, 'x') + "\"}\n";  // oversize (> 100 KiB)
  }
  WriteFile(tmp + "/mixed.jsonl", mixed);
  WriteFile(tmp + "/small.yaml", "input:\n  chunk_bytes: 64KiB\n");
  struct Out {
    std::string alerts, summary, dead, warnings;
  };
  auto run = [&](const std::string& threads) {
    std::string dir = tmp + "/t" + threads;
    fs::create_directories(dir);
    auto r = RunKaudit({"replay",
                        "--threads",
                        threads,
                        "-c",
                        tmp + "/small.yaml",
                        "--format",
                        "json",
                        "--no-progress",
                        "--max-event-bytes",
                        "100KiB",
                        "--dead-letter",
                        dir + "/dead.jsonl",
                        "--summary-file",
                        dir + "/s.json",
                        "-o",
                        dir + "/alerts.jsonl",
                        SourcePath("tests/data/falco"),
                        SourcePath("tests/data/public"),
                        SourcePath("tests/data/scenario"),
                        tmp + "/mixed.jsonl"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    Out o{testing::WithoutDetectionTimes(ReadFile(dir + "/alerts.jsonl")),
          ReadFile(dir + "/s.json"), ReadFile(dir + "/dead.jsonl"), r.err};
    // Wall-clock figures differ from run to run.
    size_t rate = o.warnings.find("kaudit summary:");
    if (rate != std::string::npos) o.warnings.erase(rate, o.warnings.find('\n', rate) - rate);
    for (const char* key : {"\"seconds\":", "\"batches\":"}) {
      for (size_t at = o.summary.find(key); at != std::string::npos;
           at = o.summary.find(key, at + 1)) {
        size_t v = at + std::string(key).size();
        size_t e = o.summary.find_first_of(",}", v);
        if (e == std::string::npos) break;
        o.summary = absl::StrCat(o.summary.substr(0, v), "X", o.summary.substr(e));
      }
    }
    return o;
  };
  Out one = run("1");
  EXPECT_THAT(one.summary, HasSubstr(R"("oversize":2)"));
  EXPECT_THAT(one.warnings, HasSubstr("mixed.jsonl:"));
  EXPECT_GT(Lines(one.alerts).size(), 50u);
  for (const char* threads : {"2", "3"}) {
    Out n = run(threads);
    EXPECT_EQ(n.alerts, one.alerts) << threads;
    EXPECT_EQ(n.summary, one.summary) << threads;
    EXPECT_EQ(n.dead, one.dead) << threads;
    EXPECT_EQ(n.warnings, one.warnings) << threads;
  }
}

// Events logged at Metadata level carry no object: the detectors that need one count them as
// not judged, and the end-of-run hint names the resources to audit at Request level (pods for
// the pod-security detectors, events for the kubelet's image pulls), not a fixed list.
TEST(ReplayCliTest, NotJudgedHintNamesTheResourcesToAuditAtRequestLevel) {
  std::string tmp = testing::TempDir();
  auto event = [](const std::string& id, const std::string& resource, const std::string& user) {
    return absl::StrCat(
        R"({"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":")", id,
        R"(","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/)", resource,
        R"(","verb":"create","user":{"username":")", user,
        R"("},"sourceIPs":["10.0.0.1"],"objectRef":{"resource":")", resource,
        R"(","namespace":"default","name":"x","apiVersion":"v1"},"responseStatus":{"code":201},)",
        R"("requestReceivedTimestamp":"2024-01-01T00:00:00.000000Z",)",
        R"("stageTimestamp":"2024-01-01T00:00:00.100000Z"})", "\n");
  };
  WriteFile(tmp + "/metadata.jsonl",
            absl::StrCat(event("a1", "pods", "alice"), event("a2", "events", "system:node:n1")));
  auto r = RunKaudit({"replay", "--format", "json", tmp + "/metadata.jsonl"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("raise the audit policy to Request for "));
  const size_t hint = r.err.find("raise the audit policy to Request for ");
  ASSERT_NE(hint, std::string::npos);
  const std::string line = r.err.substr(hint, r.err.find('\n', hint) - hint);
  EXPECT_THAT(line, HasSubstr("events")) << line;
  EXPECT_THAT(line, HasSubstr("pods")) << line;
  EXPECT_THAT(line, HasSubstr("scanner_image_pulled=1")) << line;
  EXPECT_THAT(line, HasSubstr("privileged_container=1")) << line;
  EXPECT_THAT(line, Not(HasSubstr("clusterroles"))) << "only what the counting detectors read";
}

// The address-list detectors ship with empty lists and watch nothing until one is set: a line
// at startup names them and what activates them, and a configured one is not named.
TEST(ReplayCliTest, StartupLineNamesDetectorsInactiveUntilConfigured) {
  std::string tmp = testing::TempDir();
  const std::string input =
      SourcePath("tests/data/falco/k8s_audit__create_nginx_pod_privileged.json");
  auto line_of = [](const std::string& err) {
    const size_t at = err.find("no events until configured: ");
    return at == std::string::npos ? std::string() : err.substr(at, err.find('\n', at) - at);
  };
  auto r = RunKaudit({"replay", "--format", "json", input});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string line = line_of(r.err);
  EXPECT_THAT(r.err, HasSubstr("3 enabled detectors watch no events until configured")) << r.err;
  EXPECT_THAT(line, HasSubstr("image_not_allowed (set its allowed_registries)"));
  EXPECT_THAT(line, HasSubstr("threat_intel_source (set its tor_exit_cidrs, threat_intel_cidrs or "
                              "threat_intel_file)"));
  EXPECT_THAT(line,
              HasSubstr("system_identity_untrusted_source (set its trusted_cidrs or admin_cidrs)"));

  WriteFile(tmp + "/intel.yaml",
            "detectors:\n  threat_intel_source:\n    tor_exit_cidrs: [198.51.100.0/24]\n"
            "  image_not_allowed:\n    allowed_registries: [registry.example.com]\n");
  r = RunKaudit({"replay", "--format", "json", "--config", tmp + "/intel.yaml", input});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  line = line_of(r.err);
  EXPECT_THAT(r.err, HasSubstr("1 enabled detector watches no events until configured")) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("threat_intel_source (set its")));
  EXPECT_THAT(r.err, Not(HasSubstr("image_not_allowed (set its")));
  EXPECT_THAT(line,
              HasSubstr("system_identity_untrusted_source (set its trusted_cidrs or admin_cidrs)"));

  WriteFile(tmp + "/json.yaml", "log:\n  format: json\n");
  r = RunKaudit({"replay", "--format", "json", "--config", tmp + "/json.yaml", input});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(
      r.err,
      HasSubstr(
          R"("inactive_detectors":"image_not_allowed,system_identity_untrusted_source,threat_intel_source")"))
      << r.err;
}

// configs/examples: each one is a valid configuration (a stale key fails here).
TEST(ReplayCliTest, EveryExampleConfigurationIsValid) {
  int n = 0;
  for (const auto& f : std::filesystem::directory_iterator(SourcePath("configs/examples"))) {
    if (f.path().extension() != ".yaml") continue;
    ++n;
    auto r = RunKaudit({"check-config", f.path().string()});
    EXPECT_EQ(r.exit_code, 0) << f.path() << ": " << r.err;
    EXPECT_THAT(r.out, HasSubstr(": OK (")) << f.path();
  }
  EXPECT_GE(n, 3);
}

TEST(ReplayCliTest, RealLogsReplayCleanly) {
  std::string tmp = testing::TempDir();
  auto r = RunKaudit({"replay", "--format", "json", "--summary-file", tmp + "/s.json",
                      SourcePath("tests/data/public")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string s = ReadFile(tmp + "/s.json");
  // 757 + 37 + 6 events; the AKS Event Hubs wrapper is not a native event (counted).
  EXPECT_THAT(s, HasSubstr(R"("events":800)"));
  EXPECT_THAT(s, HasSubstr(R"("invalid_events":1)"));
}

TEST(ReplayCliTest, JsonLinesEventListGzipAndStdinGiveIdenticalAlerts) {
  std::vector<std::string> events = FiringEvents();
  std::string jsonl = absl::StrJoin(events, "\n") + "\n";
  std::string list = absl::StrCat(R"({"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[)",
                                  absl::StrJoin(events, ","), "]}");
  std::string tmp = testing::TempDir();
  WriteFile(tmp + "/events.log", jsonl);
  WriteFile(tmp + "/eventlist.json", list);
  WriteFile(tmp + "/events.log.gz", testing::GzipCompress(jsonl));
  WriteFile(tmp + "/eventlist.json.gz", testing::GzipCompress(list));

  auto base = RunKaudit({"replay", "--format", "json", tmp + "/events.log"});
  ASSERT_EQ(base.exit_code, 0) << base.err;
  std::vector<std::string> expected = Sorted(AlertLines(base.out));
  // exec, attach, anonymous, privileged, secret enumeration; the privileged pod also raises
  // the low-severity restricted-profile and hardening alerts of the workload detectors.
  size_t core = 0;
  for (const auto& l : expected) {
    for (const char* d : {"pod_exec_attach", "anonymous_request_allowed", "privileged_container",
                          "secret_enumeration"}) {
      if (l.find(absl::StrCat(R"("detector":")", d, R"(")")) != std::string::npos) ++core;
    }
  }
  ASSERT_EQ(core, 5u) << base.out;
  ASSERT_GT(expected.size(), 5u) << base.out;
  for (const char* d : {"pod_exec_attach", "anonymous_request_allowed", "privileged_container",
                        "secret_enumeration", "disallowed_namespace"}) {
    EXPECT_THAT(base.out, HasSubstr(absl::StrCat(R"("detector":")", d, R"(")")));
  }
  for (std::string f : {"eventlist.json", "events.log.gz", "eventlist.json.gz"}) {
    auto r = RunKaudit({"replay", "--format", "json", tmp + "/" + f});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(Sorted(AlertLines(r.out)), expected) << f;
  }
  auto from_stdin = RunKaudit({"replay", "--format", "json", "-"}, jsonl);
  EXPECT_EQ(Sorted(AlertLines(from_stdin.out)), expected);
  auto gz_stdin = RunKaudit({"replay", "--format", "json", "-"}, testing::GzipCompress(list));
  EXPECT_EQ(Sorted(AlertLines(gz_stdin.out)), expected);
}

TEST(ReplayCliTest, BadInputIsReportedWithLocationAndDeadLettered) {
  std::vector<std::string> events = FiringEvents();
  std::string data = absl::StrCat(events[0], "\n", R"({"kind":"Event","auditID":)", "\n",
                                  "\xff\xfe garbage\n", events[2], "\n");
  std::string tmp = testing::TempDir();
  WriteFile(tmp + "/bad.log", data);
  auto r = RunKaudit({"replay", "--format", "json", "--dead-letter", tmp + "/dl.jsonl",
                      "--summary-file", tmp + "/s.json", tmp + "/bad.log"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // exec (and its shell, exec_suspicious_command, low) and anonymous (with its disallowed
  // namespace and anonymous_probe, low) still detected
  EXPECT_EQ(Lines(r.out).size(), 5u);
  EXPECT_THAT(r.err, HasSubstr("bad.log:2: invalid event (truncated)"));
  EXPECT_THAT(r.err, HasSubstr("bad.log:3: invalid event (invalid_utf8)"));
  EXPECT_THAT(r.err, HasSubstr("invalid events: 2"));
  std::vector<std::string> dl = Lines(ReadFile(tmp + "/dl.jsonl"));
  ASSERT_EQ(dl.size(), 2u);
  EXPECT_THAT(dl[0], HasSubstr(R"("line":2)"));
  EXPECT_THAT(dl[0], HasSubstr(R"("reason":"truncated")"));
  EXPECT_THAT(dl[0], HasSubstr(R"("raw":"{\"kind\":\"Event\",\"auditID\":")"));
  EXPECT_THAT(ReadFile(tmp + "/s.json"), HasSubstr(R"("dead_letters":2)"));
}

TEST(ReplayCliTest, MissingInputAndBadConfigAreFatalAndNamed) {
  auto missing = RunKaudit({"replay", "/nonexistent/audit.log"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("/nonexistent/audit.log: no such file or directory"));

  std::string tmp = testing::TempDir();
  WriteFile(tmp + "/bad.yaml", "detectors:\n  secret_enumeration:\n    thresold: 3\n");
  auto bad = RunKaudit({"replay", "-c", tmp + "/bad.yaml", SourcePath("tests/data/falco")});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("detectors.secret_enumeration.thresold: unknown key"));
  EXPECT_TRUE(bad.out.empty());

  auto check_bad = RunKaudit({"check-config", tmp + "/bad.yaml"});
  EXPECT_EQ(check_bad.exit_code, 1);
  EXPECT_THAT(check_bad.err, HasSubstr("thresold"));
  auto check_ok = RunKaudit({"check-config", SourcePath("configs/kaudit.yaml")});
  EXPECT_EQ(check_ok.exit_code, 0) << check_ok.err;
  EXPECT_THAT(check_ok.out, HasSubstr("OK (95 detectors enabled)"));

  // The files of detectors_dir are validated at startup and by check-config.
  std::filesystem::create_directories(tmp + "/dets");
  WriteFile(tmp + "/dir.yaml", "detectors_dir: dets\n");
  WriteFile(tmp + "/dets/secret_enumeration.yaml", "thresold: 3\n");
  auto bad_file = RunKaudit({"replay", "-c", tmp + "/dir.yaml", SourcePath("tests/data/falco")});
  EXPECT_EQ(bad_file.exit_code, 1);
  EXPECT_THAT(bad_file.err,
              HasSubstr(tmp + "/dets/secret_enumeration.yaml: thresold: unknown key"));
  auto check_file = RunKaudit({"check-config", tmp + "/dir.yaml"});
  EXPECT_EQ(check_file.exit_code, 1);
  EXPECT_THAT(check_file.err,
              HasSubstr(tmp + "/dets/secret_enumeration.yaml: thresold: unknown key"));
}

TEST(ReplayCliTest, TimeRangeAndSeverityFilters) {
  std::string tmp = testing::TempDir();
  WriteFile(tmp + "/all.log", absl::StrJoin(FiringEvents(), "\n") + "\n");
  // exec/attach are from 2018-10-26, anonymous and privileged from 2018-10-25, secrets 2020.
  auto since = RunKaudit({"replay", "--format", "json", "--since", "2018-10-26T00:00:00Z",
                          "--until", "2019-01-01", tmp + "/all.log"});
  EXPECT_EQ(since.exit_code, 0) << since.err;
  EXPECT_EQ(Lines(since.out).size(), 3u);  // exec, its shell (low), attach
  EXPECT_THAT(since.err, HasSubstr("events outside --since/--until: 14"));
  auto high = RunKaudit({"replay", "--format", "json", "--min-severity", "high", tmp + "/all.log"});
  EXPECT_EQ(Lines(high.out).size(), 3u);  // anonymous (critical), privileged, secrets (high)
  auto bad = RunKaudit({"replay", "--since", "last tuesday", tmp + "/all.log"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("--since: invalid time 'last tuesday'"));
}

TEST(ReplayCliTest, TextFormatAndOutputFile) {
  std::string tmp = testing::TempDir();
  auto r = RunKaudit({"replay", "--format", "text", "-o", tmp + "/alerts.txt",
                      SourcePath("tests/data/falco/k8s_audit__exec_pod.json")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.empty());
  EXPECT_THAT(ReadFile(tmp + "/alerts.txt"),
              HasSubstr("medium   pod_exec_attach: minikube-user ran exec `bash` in pod "
                        "default/nginx-deployment-7998647bdf-phvq7 (container nginx1)"));
}

TEST(ReplayCliTest, DetectorsVersionAndHelp) {
  auto d = RunKaudit({"detectors"});
  EXPECT_EQ(d.exit_code, 0);
  for (const char* id : {"anonymous_request_allowed", "pod_exec_attach", "privileged_container",
                         "secret_enumeration"}) {
    EXPECT_THAT(d.out, HasSubstr(id));
  }
  auto j = RunKaudit({"detectors", "--json"});
  EXPECT_THAT(j.out, HasSubstr(R"("mitre":["T1609"])"));
  EXPECT_THAT(j.out, HasSubstr(R"("id":"host_namespaces")"));
  EXPECT_THAT(j.out, HasSubstr(R"("stateful":false,"judges_images":true)"));   // pod spec ones
  EXPECT_THAT(j.out, HasSubstr(R"("stateful":false,"judges_images":false)"));  // the others
  auto v = RunKaudit({"version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_THAT(v.out, HasSubstr("kaudit 0.1.0 (simdjson 3.0.1"));
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"--help"}, {"replay", "--help"}, {"detectors", "--help"}, {"check-config", "--help"}}) {
    auto h = RunKaudit(args);
    EXPECT_EQ(h.exit_code, 0) << args[0];
    EXPECT_THAT(h.out, HasSubstr("Usage"));
  }
  auto none = RunKaudit({});
  EXPECT_NE(none.exit_code, 0);
}

}  // namespace
}  // namespace kaudit
