// Faults kaudit meets on a disk or a network it does not control: a full disk under the
// dead-letter file and under a sink, an alert output that cannot be opened, and an HTTP
// receiver that accepts connections and never answers. Each run ends with a clear error and a
// count of what could not be done; every other destination gets every alert.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/support/process.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using ::testing::HasSubstr;
using testing::ReadFile;
using testing::RunKaudit;
using testing::SourcePath;
using testing::WriteFile;

int CountLines(const std::string& s) {
  int n = 0;
  for (absl::string_view l : absl::StrSplit(s, '\n', absl::SkipEmpty())) n += !l.empty();
  return n;
}

// Events that make several detectors fire (exec, attach, anonymous, privileged pod, secret
// enumeration).
std::string FiringLog() {
  std::string out;
  for (const char* f :
       {"tests/data/falco/k8s_audit__exec_pod.json", "tests/data/falco/k8s_audit__attach_pod.json",
        "tests/data/falco/k8s_audit__anonymous_creates_namespace_foo.json",
        "tests/data/falco/k8s_audit__create_nginx_pod_privileged.json",
        "tests/data/detectors/secret_enumeration/fires/"
        "constructed_one_user_reads_12_secrets_in_2m.jsonl"}) {
    for (absl::string_view l : absl::StrSplit(ReadFile(SourcePath(f)), '\n', absl::SkipEmpty())) {
      absl::StrAppend(&out, l, "\n");
    }
  }
  return out;
}

// The "alerts": N of the run summary.
int SummaryAlerts(const std::string& summary) {
  size_t p = summary.find("\"alerts\":");
  return p == std::string::npos ? -1 : std::atoi(summary.c_str() + p + 9);
}

TEST(FaultsTest, DeadLetterFileOnAFullDiskIsReportedAndTheRunGoesOn) {
  std::string tmp = testing::TempDir();
  // Three rejected documents: a non-object, an event without auditID, an array of numbers.
  std::string input = FiringLog() + "42\n{\"kind\":\"Event\"}\n" + "[1,2]\n";
  WriteFile(tmp + "/events.log", input);
  auto r = RunKaudit({"replay", "--format", "json", "--dead-letter", "/dev/full", "-o",
                      tmp + "/alerts.jsonl", "--summary-file", tmp + "/s.json", "--no-progress",
                      tmp + "/events.log"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string s = ReadFile(tmp + "/s.json");
  EXPECT_THAT(s, HasSubstr(R"("invalid_events":4)"));  // [1,2] is two items
  EXPECT_THAT(s, HasSubstr(R"("events":16)"));
  // Nothing claims to be kept: the first failed write is detected, reported once, and no
  // further rejected events are written.
  EXPECT_THAT(s, HasSubstr(R"("dead_letters":0)"));
  EXPECT_THAT(r.err,
              HasSubstr("dead-letter file /dev/full: write failed (No space left on device)"));
  // The good events were all processed: every alert reached the output.
  int alerts = SummaryAlerts(s);
  EXPECT_GE(alerts, 5);
  EXPECT_EQ(CountLines(ReadFile(tmp + "/alerts.jsonl")), alerts);
}

TEST(FaultsTest, AnAlertOutputThatCannotBeOpenedFailsBeforeReading) {
  std::string tmp = testing::TempDir();
  WriteFile(tmp + "/events.log", FiringLog());
  for (const std::string& out : {tmp + "/no/such/dir/alerts.jsonl", tmp}) {
    auto r = RunKaudit({"replay", "-o", out, "--summary-file", tmp + "/s.json", "--no-progress",
                        tmp + "/events.log"});
    EXPECT_NE(r.exit_code, 0) << out;
    EXPECT_THAT(r.err, HasSubstr(out + ": cannot open alert output file")) << r.err;
  }
}

TEST(FaultsTest, AFileSinkOnAFullDiskDropsAfterItsFlushTimeoutAndTheOthersGetEverything) {
  std::string tmp = testing::TempDir();
  WriteFile(tmp + "/events.log", FiringLog());
  WriteFile(tmp + "/kaudit.yaml", absl::StrCat(R"(
output: {file: ")",
                                               tmp, R"(/alerts.jsonl", format: json}
sinks:
  - {name: full, type: file, path: /dev/full, retry_initial: 50ms, retry_max: 200ms,
     flush_timeout: 2s}
  - {name: copy, type: file, path: ")",
                                               tmp, R"(/copy.jsonl"}
)"));
  auto start = std::chrono::steady_clock::now();
  auto r = RunKaudit({"replay", "-c", tmp + "/kaudit.yaml", "--summary-file", tmp + "/s.json",
                      "--no-progress", tmp + "/events.log"});
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string s = ReadFile(tmp + "/s.json");
  int alerts = SummaryAlerts(s);
  EXPECT_GE(alerts, 5);
  EXPECT_EQ(CountLines(ReadFile(tmp + "/alerts.jsonl")), alerts);
  EXPECT_EQ(CountLines(ReadFile(tmp + "/copy.jsonl")), alerts);
  EXPECT_THAT(
      s, HasSubstr(absl::StrCat(R"("full":{"accepted":)", alerts, R"(,"filtered":0,"sent":0)")));
  EXPECT_THAT(s, HasSubstr(absl::StrCat(R"("dropped_queue_full":0,"dropped_shutdown":)", alerts)));
  EXPECT_THAT(r.err, HasSubstr("sink full: delivery failed, will retry: /dev/full: write failed"));
  EXPECT_THAT(r.err, HasSubstr("alerts not delivered within the flush timeout"));
  EXPECT_LT(secs, 20.0);
  std::printf("file sink on /dev/full: exit %d after %.1f s\n", r.exit_code, secs);
}

TEST(FaultsTest, TheAlertOutputOnAFullDiskGivesUpAfterItsFlushTimeoutAndTheRunFails) {
  std::string tmp = testing::TempDir();
  WriteFile(tmp + "/events.log", FiringLog());
  WriteFile(tmp + "/kaudit.yaml", absl::StrCat(R"(
output: {file: /dev/full, format: json, flush_timeout: 2s}
sinks:
  - {name: copy, type: file, path: ")",
                                               tmp, R"(/copy.jsonl"}
)"));
  auto start = std::chrono::steady_clock::now();
  auto r = RunKaudit({"replay", "-c", tmp + "/kaudit.yaml", "--summary-file", tmp + "/s.json",
                      "--no-progress", tmp + "/events.log"});
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Alerts that could not be written are a failed run, said plainly, within the timeout.
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_LT(secs, 20.0);
  EXPECT_THAT(r.err, HasSubstr("/dev/full: write failed: No space left on device"));
  std::string s = ReadFile(tmp + "/s.json");
  int alerts = SummaryAlerts(s);
  EXPECT_GE(alerts, 5);
  EXPECT_THAT(r.err, HasSubstr(absl::StrCat(alerts, " of ", alerts,
                                            " alerts were not written to the alert output")));
  EXPECT_THAT(
      s, HasSubstr(absl::StrCat(R"("output":{"accepted":)", alerts, R"(,"filtered":0,"sent":0)")));
  // The other sink got everything.
  EXPECT_EQ(CountLines(ReadFile(tmp + "/copy.jsonl")), alerts);
}

// Accepts every connection and never answers (keeps the sockets open until destroyed).
class SilentServer {
 public:
  SilentServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    listen(fd_, 64);
    socklen_t len = sizeof(a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      while (true) {
        int c = accept(fd_, nullptr, nullptr);
        if (c < 0) return;  // listening socket shut down
        ++accepted_;
        held_.push_back(c);
      }
    });
  }
  ~SilentServer() {
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
    for (int c : held_) close(c);
  }
  int port() const { return port_; }
  int accepted() const { return accepted_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> accepted_{0};
  std::vector<int> held_;  // only touched by the accept thread until it is joined
  std::thread thread_;
};

TEST(FaultsTest, AnHttpSinkThatHangsEndsWithinItsFlushTimeoutAndTheOthersGetEverything) {
  SilentServer silent;
  std::string tmp = testing::TempDir();
  WriteFile(tmp + "/events.log", FiringLog());
  WriteFile(tmp + "/kaudit.yaml", absl::StrCat(R"(
output: {file: ")",
                                               tmp, R"(/alerts.jsonl", format: json}
sinks:
  - {name: hang, type: http, url: "http://127.0.0.1:)",
                                               silent.port(), R"(/hook",
     timeout: 1s, retry_initial: 50ms, retry_max: 200ms, flush_timeout: 3s}
  - {name: copy, type: file, path: ")",
                                               tmp, R"(/copy.jsonl"}
)"));
  auto start = std::chrono::steady_clock::now();
  auto r = RunKaudit({"replay", "-c", tmp + "/kaudit.yaml", "--summary-file", tmp + "/s.json",
                      "--no-progress", tmp + "/events.log"});
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string s = ReadFile(tmp + "/s.json");
  int alerts = SummaryAlerts(s);
  EXPECT_GE(alerts, 5);
  EXPECT_EQ(CountLines(ReadFile(tmp + "/alerts.jsonl")), alerts);
  EXPECT_EQ(CountLines(ReadFile(tmp + "/copy.jsonl")), alerts);
  EXPECT_GE(silent.accepted(), 1);
  EXPECT_THAT(
      s, HasSubstr(absl::StrCat(R"("hang":{"accepted":)", alerts, R"(,"filtered":0,"sent":0)")));
  EXPECT_THAT(s, ::testing::Not(HasSubstr(R"("hang":{"accepted":)" + std::to_string(alerts) +
                                          R"(,"filtered":0,"sent":0,"batches":0,"retries":0)")));
  EXPECT_THAT(r.err, HasSubstr("sink hang: delivery failed, will retry"));
  EXPECT_THAT(r.err, HasSubstr("sink hang:"));
  EXPECT_THAT(r.err, HasSubstr("alerts not delivered within the flush timeout"));
  // flush_timeout (3 s) plus at most one request timeout (1 s) in flight, plus the run.
  EXPECT_LT(secs, 15.0);
  std::printf("hanging HTTP sink: exit %d after %.1f s, %d connections accepted\n", r.exit_code,
              secs, silent.accepted());
}

}  // namespace
}  // namespace kaudit
