// Hostile input through the real binary: each case ends with a clear, counted error (with its
// location) for the bad document and every other event processed. Large inputs are streamed
// into kaudit's stdin from a generator in this process, never held in memory or on disk.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <functional>
#include <string>
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
using testing::WriteFile;

// A small valid event; `user` and `name` are JSON values written as is.
std::string Event(const std::string& id, const std::string& user = R"("alice")",
                  const std::string& name = R"("p")",
                  const std::string& ts = "2024-01-01T00:00:00.000000Z",
                  const std::string& extra = "") {
  return absl::StrCat(
      R"({"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":")", id,
      R"(","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods","verb":"list",)",
      R"("user":{"username":)", user, R"(},"sourceIPs":["10.0.0.1"],)",
      R"("objectRef":{"resource":"pods","namespace":"default","name":)", name,
      R"(,"apiVersion":"v1"},"responseStatus":{"code":200},"requestReceivedTimestamp":")", ts,
      R"(","stageTimestamp":")", ts, "\"", extra, "}");
}

struct StreamResult {
  int exit_code = -1;
  std::string out, err;
  long maxrss_kb = 0;
  double seconds = 0;
};

// Runs kaudit with `args`, its stdin fed by `writer` (which gets a write function returning
// false once kaudit stopped reading), its stdout/stderr to files. Returns kaudit's peak RSS.
StreamResult RunStreaming(
    std::vector<std::string> args,
    const std::function<void(const std::function<bool(std::string_view)>&)>& writer) {
  std::string dir = testing::TempDir();
  std::string out_path = dir + "/out", err_path = dir + "/err";
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
  args.insert(args.begin(), KAUDIT_BINARY);
  std::vector<char*> argv;  // built before fork: the child only calls async-signal-safe code
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[0], 0);
    close(fds[0]);
    close(fds[1]);
    int o = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(o, 1);
    dup2(e, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[0]);
  signal(SIGPIPE, SIG_IGN);
  int wfd = fds[1];
  writer([wfd](std::string_view data) {
    while (!data.empty()) {
      ssize_t n = write(wfd, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  });
  close(wfd);
  StreamResult r;
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.maxrss_kb = ru.ru_maxrss;
  r.out = ReadFile(out_path);
  r.err = ReadFile(err_path);
  return r;
}

std::string Summary(const std::string& path) { return ReadFile(path); }

TEST(AdversarialTest, OneGigabyteLineIsSkippedAsOversizeAndTheNextEventsAreProcessed) {
  std::string dir = testing::TempDir();
  std::string summary = dir + "/s.json";
  constexpr size_t kLine = 1ull << 30;
  StreamResult r =
      RunStreaming({"replay", "--format", "json", "--summary-file", summary, "-"},
                   [&](const std::function<bool(std::string_view)>& w) {
                     w(Event("before") + "\n");
                     w(R"({"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":")");
                     std::string block(1 << 20, 'a');
                     for (size_t sent = 0; sent < kLine; sent += block.size()) {
                       if (!w(block)) return;
                     }
                     w("\"}\n");
                     w(Event("after1", R"("bob")") + "\n" + Event("after2", R"("carol")") + "\n");
                   });
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string s = Summary(summary);
  EXPECT_THAT(s, HasSubstr(R"("oversize":1)"));
  EXPECT_THAT(s, HasSubstr(R"("invalid_events":1)"));
  EXPECT_THAT(s, HasSubstr(R"("events":3)"));  // before, after1, after2
  EXPECT_THAT(r.err, HasSubstr("<stdin>:2: invalid event (oversize)"));
  EXPECT_THAT(r.out, HasSubstr(R"("audit_ids":["after2"])"));
  // Skipping never buffers more than max_event_bytes (16 MiB by default) plus a chunk.
  EXPECT_LT(r.maxrss_kb, 256 * 1024);
  std::printf("1 GiB line: %.1f s, kaudit maxrss %ld KB\n", r.seconds, r.maxrss_kb);
}

TEST(AdversarialTest, EventListOfAMillionItems) {
  std::string dir = testing::TempDir();
  std::string summary = dir + "/s.json";
  constexpr int kItems = 1000000;
  StreamResult r = RunStreaming(
      {"replay", "--format", "json", "--summary-file", summary, "-"},
      [&](const std::function<bool(std::string_view)>& w) {
        // Laid out as kubectl prints it (one item per line here), so the list is one
        // multi-line document.
        w("{\n\"kind\":\"EventList\",\n\"apiVersion\":\"audit.k8s.io/v1\",\n\"items\":[\n");
        std::string buf;
        for (int i = 0; i < kItems; ++i) {
          absl::StrAppend(
              &buf, i ? ",\n" : "", R"({"auditID":"i-)", i,
              R"(","stage":"ResponseComplete","verb":"get","requestURI":"/apis/coordination.k8s.io/v1/leases/l",)"
              R"("user":{"username":"system:kube-scheduler"},"objectRef":{"resource":"leases","name":"l"},)"
              R"("requestReceivedTimestamp":"2024-01-01T00:00:00Z","stageTimestamp":"2024-01-01T00:00:00Z"})");
          if (buf.size() > (1 << 20)) {
            if (!w(buf)) return;
            buf.clear();
          }
        }
        w(buf + "\n]}\n" + Event("after") + "\n");
      });
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string s = Summary(summary);
  EXPECT_THAT(s, HasSubstr(R"("events":1000001)"));
  EXPECT_THAT(s, HasSubstr(R"("invalid_events":0)"));
  EXPECT_THAT(r.out, HasSubstr(R"("audit_ids":["after"])"));
  std::printf("EventList of 1,000,000 items: %.1f s, kaudit maxrss %ld KB\n", r.seconds,
              r.maxrss_kb);
  // The document (about 250 MB) is held while it is parsed; nothing more.
  EXPECT_LT(r.maxrss_kb, 1024 * 1024);
}

// Every other hostile case in one file: each bad line is counted under its reason, with its
// line number on stderr, and every good line around it is processed.
TEST(AdversarialTest, HostileDocumentsAreCountedWithTheirLineAndNothingElseIsLost) {
  std::string dir = testing::TempDir();
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  std::vector<std::string> lines = {
      Event("ok1"),
      // 2: 100,000-deep nesting as a whole document (a JSON array whose item is no event).
      deep,
      // 3-4: 100,000-deep nesting inside fields: ignored (x) or an unparseable object.
      Event("deep-field", R"("deep1")", R"("p")", "2024-01-01T00:00:00Z", ",\"x\":" + deep),
      Event("deep-object", R"("deep2")", R"("p")", "2024-01-01T00:00:00Z",
            ",\"requestObject\":{\"spec\":{\"containers\":" + deep + "}}"),
      // 5: NUL escaped in a username and an object name: valid JSON, kept and escaped on output.
      Event("nul-escaped", R"("a\u0000b")", R"("p\u0000q")"),
      // 6: a raw NUL byte inside a string: not JSON.
      Event("nul-raw", std::string("\"a") + '\0' + "b\""),
      // 7-8: invalid UTF-8 in a username and in an object name.
      Event("utf8-user", "\"bad\xff\xfeuser\""),
      Event("utf8-name", R"("u")", "\"obj\xc3\""),
      // 9-10: numbers where strings belong.
      Event("num-user", "42"),
      Event("num-name", R"("bob")", "7"),
      // 11: duplicate keys: the last one wins (as Go's encoding/json, kube-apiserver's).
      R"({"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"dup-first","auditID":"dup-last",)"
      R"("stage":"ResponseComplete","verb":"get","verb":"list","user":{"username":"u1"},)"
      R"("user":{"username":"u2"},"requestReceivedTimestamp":"2024-01-01T00:00:00Z",)"
      R"("stageTimestamp":"2024-01-01T00:00:00Z"})",
      // 12-14: 1970, 2100, and four hours out of order: valid events, all processed.
      Event("y1970", R"("old")", R"("p")", "1970-01-01T00:00:00Z"),
      Event("y2100", R"("future")", R"("p")", "2100-01-01T00:00:00Z"),
      Event("hours-late", R"("late")", R"("p")", "2023-12-31T20:00:00Z"),
      Event("ok2", R"("last")"),
  };
  std::string input;
  for (const auto& l : lines) input += l + "\n";
  WriteFile(dir + "/hostile.jsonl", input);
  auto r = RunKaudit(
      {"replay", "--format", "json", "--summary-file", dir + "/s.json", dir + "/hostile.jsonl"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string s = ReadFile(dir + "/s.json");
  // 15 lines: 9 events, 6 invalid.
  EXPECT_THAT(s, HasSubstr(R"("events":9)"));
  EXPECT_THAT(s, HasSubstr(R"("invalid_events":6)"));
  EXPECT_THAT(s, HasSubstr(R"("invalid_utf8":2)"));
  EXPECT_THAT(s, HasSubstr(R"("bad_field_type":2)"));
  EXPECT_THAT(s, HasSubstr(R"("not_an_object":1)"));
  EXPECT_THAT(s, HasSubstr(R"("malformed_json":1)"));
  EXPECT_THAT(r.err, HasSubstr("hostile.jsonl:2 item 0: invalid event (not_an_object)"));
  EXPECT_THAT(r.err, HasSubstr("hostile.jsonl:6: invalid event (malformed_json)"));
  EXPECT_THAT(r.err, HasSubstr("hostile.jsonl:7: invalid event (invalid_utf8)"));
  EXPECT_THAT(r.err, HasSubstr("hostile.jsonl:8: invalid event (invalid_utf8)"));
  EXPECT_THAT(r.err, HasSubstr("hostile.jsonl:9: invalid event (bad_field_type): user.username"));
  EXPECT_THAT(r.err, HasSubstr("hostile.jsonl:10: invalid event (bad_field_type): objectRef"));
  // Every valid event reached the detectors (disallowed_user alerts once per unknown user).
  for (const char* id : {"ok1", "deep-field", "deep-object", "nul-escaped", "dup-last", "y1970",
                         "y2100", "hours-late", "ok2"}) {
    EXPECT_THAT(r.out, HasSubstr(absl::StrCat("\"audit_ids\":[\"", id, "\"]"))) << id;
  }
  EXPECT_THAT(r.out, HasSubstr(R"("user":"a\u0000b")"));
  EXPECT_THAT(r.out, HasSubstr(R"("time":"1970-01-01T00:00:00.000000Z")"));
  EXPECT_THAT(r.out, HasSubstr(R"("time":"2100-01-01T00:00:00.000000Z")"));
  // Every output line is one JSON object (NULs escaped, nothing torn).
  for (absl::string_view l : absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
    EXPECT_EQ(l.front(), '{');
    EXPECT_EQ(l.back(), '}');
  }
}

}  // namespace
}  // namespace kaudit
