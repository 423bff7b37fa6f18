// Alert sinks end to end: the real kaudit binary delivers a replay's alerts to a local HTTP
// receiver (loopback only) in every format; each payload is checked with jq against what its
// consumer requires (falcosidekick, Elasticsearch ECS + _bulk, Splunk HEC).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <iostream>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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
using testing::WriteFile;

struct Received {
  std::string path, body, authorization, content_type;
};

// A loopback HTTP receiver recording every request.
class Receiver {
 public:
  Receiver() {
    auto record = [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard<std::mutex> l(mu_);
        got_.push_back({req.path, req.body, req.get_header_value("Authorization"),
                        req.get_header_value("Content-Type")});
      }
      if (req.path == "/_bulk") {
        res.set_content(R"({"took":1,"errors":false,"items":[]})", "application/json");
      } else {
        res.set_content("{}", "application/json");
      }
    };
    server_.Post(".*", record);
  }
  ~Receiver() { Stop(); }
  int Start(int port = 0) {
    if (port == 0) {
      port_ = server_.bind_to_any_port("127.0.0.1");
    } else {
      if (!server_.bind_to_port("127.0.0.1", port)) return -1;
      port_ = port;
    }
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return port_;
  }
  void Stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  std::vector<Received> Got(const std::string& path) {
    std::lock_guard<std::mutex> l(mu_);
    std::vector<Received> out;
    for (const auto& r : got_) {
      if (r.path == path) out.push_back(r);
    }
    return out;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<Received> got_;
  int port_ = 0;
};

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  for (absl::string_view l : absl::StrSplit(s, '\n', absl::SkipEmpty())) out.emplace_back(l);
  return out;
}

// The events of the first four detectors' firing cases: 5 alerts of medium or higher.
std::string FiringLog() {
  std::string out;
  for (const char* f :
       {"tests/data/falco/k8s_audit__exec_pod.json", "tests/data/falco/k8s_audit__attach_pod.json",
        "tests/data/falco/k8s_audit__anonymous_creates_namespace_foo.json",
        "tests/data/falco/k8s_audit__create_nginx_pod_privileged.json",
        "tests/data/detectors/secret_enumeration/fires/"
        "constructed_one_user_reads_12_secrets_in_2m.jsonl"}) {
    for (auto& l : Lines(ReadFile(SourcePath(f)))) absl::StrAppend(&out, l, "\n");
  }
  return out;
}

// jq -e FILTER over one JSON document: true when the filter holds.
bool Jq(const std::string& json, const std::string& filter) {
  auto r = RunProcess({"/usr/bin/jq", "-e", filter}, json);
  if (r.exit_code != 0) std::cerr << "jq exit " << r.exit_code << ": " << r.err << r.out << "\n";
  return r.exit_code == 0;
}

TEST(SinksTest, EveryFormatReachesItsReceiverAsItsConsumerRequires) {
  Receiver rx;
  int port = rx.Start();
  ASSERT_GT(port, 0);
  std::string tmp = testing::TempDir();
  WriteFile(tmp + "/events.log", FiringLog());
  WriteFile(tmp + "/hec.token", "s3cret-token\n");
  std::string base = absl::StrCat("http://127.0.0.1:", port);
  WriteFile(tmp + "/kaudit.yaml",
            absl::StrCat(R"(
cluster_name: test-cluster
output: {format: json, min_severity: medium}
sinks:
  - {name: falcosidekick, type: http, kind: webhook, format: falco, one_alert_per_request: true, url: ")",
                         base, R"(/falco"}
  - {name: elastic, type: http, kind: elasticsearch, url: ")",
                         base, R"(/_bulk", index: kaudit-alerts}
  - {name: splunk, type: http, kind: splunk_hec, url: ")",
                         base, R"(/services/collector/event", token_file: ")", tmp, R"(/hec.token"}
  - {name: webhook-high, type: http, url: ")",
                         base, R"(/hook", min_severity: high}
  - {name: execs, type: file, path: ")",
                         tmp, R"(/execs.jsonl", format: ecs, detectors: [pod_exec_attach]}
)"));
  auto r = RunKaudit({"replay", "-c", tmp + "/kaudit.yaml", "--summary-file", tmp + "/s.json",
                      "--no-progress", tmp + "/events.log"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(Lines(r.out).size(), 5u) << r.out;

  // falcosidekick: one Falco event per POST with its required fields.
  auto falco = rx.Got("/falco");
  ASSERT_EQ(falco.size(), 5u);
  for (const auto& f : falco) {
    EXPECT_THAT(f.content_type, HasSubstr("application/json"));
    EXPECT_TRUE(Jq(f.body, R"((.output|type=="string") and (.rule|length>0) and
        (.priority|IN("Emergency","Alert","Critical","Error","Warning","Notice","Informational","Debug")) and
        (.time|test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{9}Z$")) and
        (.output_fields|type=="object") and (.output_fields["ka.auditid"]|length>0) and
        .source=="k8s_audit" and (.tags|index("k8s")!=null) and (.hostname|length>0))"))
        << f.body;
  }

  // Elasticsearch _bulk: action line + ECS document per alert.
  auto es = rx.Got("/_bulk");
  ASSERT_FALSE(es.empty());
  int docs = 0;
  for (const auto& b : es) {
    EXPECT_THAT(b.content_type, HasSubstr("application/x-ndjson"));
    auto lines = Lines(b.body);
    ASSERT_EQ(lines.size() % 2, 0u);
    for (size_t i = 0; i < lines.size(); i += 2) {
      EXPECT_TRUE(Jq(lines[i], R"(.index._index=="kaudit-alerts")")) << lines[i];
      EXPECT_TRUE(Jq(lines[i + 1], R"(.event.kind=="alert" and (.["@timestamp"]|length>0) and
          (.rule.id|length>0) and (.rule.name|length>0) and .threat.framework=="MITRE ATT&CK" and
          (.threat.technique[0].id|test("^T[0-9]{4}$")) and (.kubernetes.audit.verb|length>0) and
          (.kubernetes.audit.auditID|length>0) and (.user.name|length>0) and
          (.event.severity|type=="number") and .orchestrator.cluster.name=="test-cluster")"))
          << lines[i + 1];
      ++docs;
    }
  }
  EXPECT_EQ(docs, 5);

  // Splunk HEC: token header, envelopes with epoch time and the native alert as event.
  auto hec = rx.Got("/services/collector/event");
  ASSERT_FALSE(hec.empty());
  int events = 0;
  for (const auto& h : hec) {
    EXPECT_EQ(h.authorization, "Splunk s3cret-token");
    for (const auto& line : Lines(h.body)) {
      EXPECT_TRUE(Jq(line, R"((.time|type=="number") and .sourcetype=="kaudit:alert" and
          (.host|length>0) and (.event.detector|length>0) and (.event.audit_ids|length>0))"))
          << line;
      ++events;
    }
  }
  EXPECT_EQ(events, 5);

  // Severity threshold and detector filter per sink.
  int high = 0;
  for (const auto& h : rx.Got("/hook")) high += static_cast<int>(Lines(h.body).size());
  EXPECT_EQ(high, 3);  // critical anonymous, high privileged, high secret enumeration
  auto execs = Lines(ReadFile(tmp + "/execs.jsonl"));
  ASSERT_EQ(execs.size(), 2u);
  for (const auto& e : execs) EXPECT_TRUE(Jq(e, R"(.rule.id=="pod_exec_attach")")) << e;

  std::string summary = ReadFile(tmp + "/s.json");
  EXPECT_THAT(summary, HasSubstr(R"("webhook-high":{"accepted":3,"filtered":2,"sent":3)"));
  EXPECT_THAT(summary, HasSubstr(R"("dropped_queue_full":0,"dropped_shutdown":0)"));
}

TEST(SinksTest, AReceiverThatIsDownAndComesBackGetsEveryAlertAndRetriesAreCounted) {
  // Find a free loopback port, then leave it closed while kaudit starts.
  int port;
  {
    Receiver probe;
    port = probe.Start();
  }
  std::string tmp = testing::TempDir();
  WriteFile(tmp + "/events.log", FiringLog());
  WriteFile(tmp + "/kaudit.yaml", absl::StrCat(R"(
output: {file: ")",
                                               tmp, R"(/alerts.jsonl", min_severity: medium}
sinks:
  - {name: hook, type: http, url: "http://127.0.0.1:)",
                                               port, R"(/hook", batch_max: 2,
     retry_initial: 50ms, retry_max: 200ms, timeout: 1s, flush_timeout: 30s}
)"));
  testing::ProcessResult r;
  std::thread run([&] {
    r = RunKaudit({"replay", "-c", tmp + "/kaudit.yaml", "--summary-file", tmp + "/s.json",
                   "--no-progress", tmp + "/events.log"});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // kaudit retries meanwhile
  Receiver rx;
  ASSERT_EQ(rx.Start(port), port);
  run.join();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int delivered = 0;
  for (const auto& h : rx.Got("/hook")) delivered += static_cast<int>(Lines(h.body).size());
  EXPECT_EQ(delivered, 5);
  std::string summary = ReadFile(tmp + "/s.json");
  EXPECT_THAT(summary, HasSubstr(R"("hook":{"accepted":5,"filtered":0,"sent":5)"));
  EXPECT_THAT(summary, ::testing::Not(::testing::ContainsRegex(R"("hook":\{[^}]*"retries":0,)")));
  EXPECT_THAT(summary, ::testing::ContainsRegex(R"("hook":\{[^}]*"dropped_queue_full":0,)"));
  EXPECT_THAT(r.err, HasSubstr("sink hook: delivery failed, will retry"));
  EXPECT_THAT(r.err, HasSubstr("failed attempts retried"));
}

TEST(SinksTest, DiskBufferKeepsAlertsAcrossAnOutageThatOutlivesTheProcess) {
  int port;
  {
    Receiver probe;
    port = probe.Start();
  }
  std::string tmp = testing::TempDir();
  WriteFile(tmp + "/events.log", FiringLog());
  WriteFile(tmp + "/empty.log", "");
  // queue_max 1: without the disk buffer four of the five alerts would be dropped.
  WriteFile(tmp + "/kaudit.yaml", absl::StrCat(R"(
output: {file: ")",
                                               tmp, R"(/alerts.jsonl", min_severity: medium}
sinks:
  - {name: hook, type: http, url: "http://127.0.0.1:)",
                                               port, R"(/hook", batch_max: 2, queue_max: 1,
     buffer_dir: ")",
                                               tmp, R"(/buffer", retry_initial: 50ms,
     retry_max: 200ms, timeout: 1s, flush_timeout: 1s}
)"));
  // Run 1: the receiver is down for the whole run; the alerts stay on disk.
  auto r1 = RunKaudit({"replay", "-c", tmp + "/kaudit.yaml", "--summary-file", tmp + "/s1.json",
                       "--no-progress", tmp + "/events.log"});
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  std::string s1 = ReadFile(tmp + "/s1.json");
  EXPECT_THAT(s1, HasSubstr(R"("sent":0)"));
  EXPECT_THAT(s1, HasSubstr(R"("dropped_queue_full":0,"dropped_shutdown":0,"dropped_disk":0)"));
  EXPECT_THAT(s1, HasSubstr(R"("disk_pending":5)"));
  EXPECT_THAT(r1.err, HasSubstr("kept in the disk buffer for the next start"));
  // Run 2: the receiver is back; a run with no new events delivers the five.
  Receiver rx;
  ASSERT_EQ(rx.Start(port), port);
  auto r2 = RunKaudit({"replay", "-c", tmp + "/kaudit.yaml", "--summary-file", tmp + "/s2.json",
                       "--no-progress", tmp + "/empty.log"});
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  EXPECT_THAT(r2.err, HasSubstr("5 undelivered alerts from an earlier run"));
  int delivered = 0;
  for (const auto& h : rx.Got("/hook")) delivered += static_cast<int>(Lines(h.body).size());
  EXPECT_EQ(delivered, 5);
  EXPECT_THAT(ReadFile(tmp + "/s2.json"), HasSubstr(R"("disk_pending":0)"));
}

TEST(SinksTest, BadSinkConfigNamesTheKey) {
  std::string tmp = testing::TempDir();
  WriteFile(tmp + "/a.yaml", "sinks:\n  - {type: http, url: ftp://x}\n");
  auto a = RunKaudit({"check-config", tmp + "/a.yaml"});
  EXPECT_EQ(a.exit_code, 1);
  EXPECT_THAT(a.err, HasSubstr("sinks[0].url: expected http(s)://host[:port]/path"));
  WriteFile(tmp + "/b.yaml", "sinks:\n  - {type: file}\n");
  auto b = RunKaudit({"check-config", tmp + "/b.yaml"});
  EXPECT_THAT(b.err, HasSubstr("sinks[0].path: required for a file sink"));
  WriteFile(tmp + "/c.yaml", "sinks:\n  - {type: stdout, fromat: json}\n");
  auto c = RunKaudit({"check-config", tmp + "/c.yaml"});
  EXPECT_THAT(c.err, HasSubstr("sinks[0].fromat: unknown key"));
}

}  // namespace
}  // namespace kaudit
