// kaudit serve: the real binary as kube-apiserver's audit webhook backend, driven by curl over
// TLS on loopback with certificates made by the openssl CLI.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tests/support/held_fifo.h"
#include "tests/support/process.h"
#include "tests/support/test_util.h"
#include "tests/support/webhook_client.h"

namespace kaudit {
namespace {

using testing::BackgroundProcess;
using testing::Certs;
using testing::CurlResult;
using testing::GetCerts;
using ::testing::HasSubstr;
using testing::HeldFifo;
using testing::kCurl;
constexpr char kOpenssl[] = "/usr/bin/openssl";
using testing::Post;
using testing::ReadFile;
using testing::RunKaudit;
using testing::RunProcess;
using testing::ScrapeMetrics;
using testing::Server;
using testing::SourcePath;
using testing::StartKaudit;
using testing::StartServe;
using testing::TempDir;
using testing::WaitForMetricsPort;
using testing::WriteFile;

// The event in a Falco corpus file with its auditID replaced.
class EventTemplate {
 public:
  explicit EventTemplate(const std::string& falco_file) {
    text_ = ReadFile(SourcePath("tests/data/falco/" + falco_file));
    while (!text_.empty() && (text_.back() == '\n' || text_.back() == ' ')) text_.pop_back();
    size_t key = text_.find("\"auditID\"");
    size_t open = text_.find('"', text_.find(':', key) + 1);
    size_t close = text_.find('"', open + 1);
    head_ = text_.substr(0, open + 1);
    tail_ = text_.substr(close);
  }
  std::string With(const std::string& audit_id) const {
    return absl::StrCat(head_, audit_id, tail_);
  }

 private:
  std::string text_, head_, tail_;
};

std::string EventList(const std::vector<std::string>& events) {
  return absl::StrCat(
      "{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\",\"metadata\":{},\"items\":[",
      absl::StrJoin(events, ","), "]}");
}

// Batch `b` of a run: 400 events with unique auditIDs, one exec into a pod every 25th batch.
std::string MakeBatch(int run, int b, int events = 400) {
  static const EventTemplate benign("k8s_audit__delete_service.json");
  static const EventTemplate exec("k8s_audit__exec_pod.json");
  std::vector<std::string> items;
  items.reserve(events);
  for (int i = 0; i < events; ++i) {
    std::string id = absl::StrFormat("%08x-%04x-4000-8000-%012x", run, b, i);
    items.push_back(i == 7 && b % 25 == 0 ? exec.With(id) : benign.With(id));
  }
  return EventList(items);
}

// The auditIDs of pod_exec_attach alerts in a JSON-lines alert file, with their counts.
std::map<std::string, int> ExecAlerts(const std::string& path) {
  std::map<std::string, int> out;
  if (!std::filesystem::exists(path)) return out;
  for (absl::string_view line : absl::StrSplit(ReadFile(path), '\n', absl::SkipEmpty())) {
    if (line.find("\"detector\":\"pod_exec_attach\"") == absl::string_view::npos) continue;
    size_t at = line.find("\"audit_ids\":[\"");
    if (at == absl::string_view::npos) continue;
    at += 14;
    out[std::string(line.substr(at, line.find('"', at) - at))]++;
  }
  return out;
}

// Waits until the metric reaches `want` (the engine publishes counters when idle).
double WaitForMetric(int port, const std::string& name, double want, int timeout_s = 30) {
  double v = -1;
  for (int i = 0; i < timeout_s * 20; ++i) {
    v = ScrapeMetrics(port)[name];
    if (v >= want) return v;
    usleep(50 * 1000);
  }
  return v;
}

TEST(ServeTest, AuthenticatesClientsByCertificateAndToken) {
  const Certs& c = GetCerts();
  std::string dir = TempDir();
  WriteFile(dir + "/token", "s3cr3t-token-value\n");
  Server s = StartServe({"--token-file", dir + "/token", "-o", dir + "/alerts.json"});
  ASSERT_FALSE(s.url.empty());
  EXPECT_THAT(s.url, HasSubstr("https://127.0.0.1:"));
  WriteFile(dir + "/batch.json", MakeBatch(1, 0, 5));
  const std::string good = "Authorization: Bearer s3cr3t-token-value";

  CurlResult ok = Post(s.url, dir + "/batch.json", {"-H", good});
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_EQ(ok.http, 200) << ok.body;
  EXPECT_THAT(ok.body, HasSubstr("\"events\":5"));

  // No client certificate, or one from another CA: the TLS handshake fails.
  CurlResult none = Post(s.url, dir + "/batch.json", {"-H", good}, false);
  EXPECT_NE(none.exit_code, 0);
  EXPECT_EQ(none.http, 0);
  CurlResult other = Post(s.url, dir + "/batch.json",
                          {"-H", good, "--cert", c.other_crt, "--key", c.other_key}, false);
  EXPECT_NE(other.exit_code, 0);
  EXPECT_EQ(other.http, 0);

  // A good certificate but a wrong or missing token.
  CurlResult wrong =
      Post(s.url, dir + "/batch.json", {"-H", "Authorization: Bearer s3cr3t-token-valuX"});
  EXPECT_EQ(wrong.http, 403);
  CurlResult missing = Post(s.url, dir + "/batch.json");
  EXPECT_EQ(missing.http, 401);

  // Other paths and methods.
  std::string base = s.url.substr(0, s.url.rfind('/'));
  EXPECT_EQ(Post(base + "/other", dir + "/batch.json", {"-H", good}).http, 404);
  EXPECT_EQ(Post(s.url, dir + "/batch.json", {"-H", good, "-X", "PUT"}).http, 405);

  auto m = ScrapeMetrics(s.metrics_port);
  EXPECT_EQ(m["kaudit_webhook_rejected_total{reason=\"auth\"}"], 2);
  EXPECT_EQ(m["kaudit_webhook_requests_total{code=\"200\"}"], 1);
  EXPECT_EQ(m["kaudit_webhook_requests_total{code=\"403\"}"], 1);
  EXPECT_EQ(m["kaudit_webhook_events_total"], 5);
  s.proc->Signal(SIGTERM);
  EXPECT_EQ(s.proc->Wait(60), 0) << s.proc->err();
}

// The serve: section of the config file configures what the flags do (a Kubernetes ConfigMap
// instead of container args); a flag given on the command line wins over its key.
TEST(ServeTest, TheConfigFilesServeSectionConfiguresTheWebhookAndFlagsWin) {
  const Certs& c = GetCerts();
  std::string dir = TempDir();
  WriteFile(dir + "/token", "from-the-config\n");
  WriteFile(dir + "/kaudit.yaml",
            absl::StrCat("serve:\n"
                         "  listen: \"192.0.2.1:1\"\n"  // not this machine's: --listen wins
                         "  path: /k8s-audit\n"
                         "  tls_cert: ",
                         c.server_crt, "\n  tls_key: ", c.server_key, "\n  client_ca: ", c.ca,
                         "\n  token_file: ", dir, "/token\n  max_body_bytes: 64KiB\n"));
  ASSERT_EQ(RunKaudit({"check-config", dir + "/kaudit.yaml"}).exit_code, 0);
  Server s = StartServe({"-c", dir + "/kaudit.yaml", "-o", dir + "/alerts.json"}, /*tls=*/false);
  ASSERT_FALSE(s.url.empty());
  EXPECT_THAT(s.url, HasSubstr("https://127.0.0.1:"));
  EXPECT_THAT(s.url, ::testing::EndsWith("/k8s-audit"));
  WriteFile(dir + "/batch.json", MakeBatch(1, 0, 5));
  const std::string good = "Authorization: Bearer from-the-config";
  CurlResult ok = Post(s.url, dir + "/batch.json", {"-H", good});
  EXPECT_EQ(ok.http, 200) << ok.body;
  EXPECT_THAT(ok.body, HasSubstr("\"events\":5"));
  EXPECT_EQ(Post(s.url, dir + "/batch.json").http, 401);                          // token_file
  EXPECT_NE(Post(s.url, dir + "/batch.json", {"-H", good}, false).exit_code, 0);  // client_ca
  std::string big = MakeBatch(4, 1, 120);
  ASSERT_GT(big.size(), 64u << 10);
  WriteFile(dir + "/big.json", big);
  EXPECT_EQ(Post(s.url, dir + "/big.json", {"-H", good}).http, 413);  // max_body_bytes
  s.proc->Signal(SIGTERM);
  EXPECT_EQ(s.proc->Wait(60), 0) << s.proc->err();

  // A bad key stops serve at startup, naming it; a bad flag names the flag.
  WriteFile(dir + "/bad.yaml", "serve: {spool_fsync: sometimes}\n");
  auto bad = RunKaudit({"serve", "-c", dir + "/bad.yaml", "--insecure-http"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(
      bad.err,
      HasSubstr("serve.spool_fsync: expected one of always, interval, never; got sometimes"));
  auto flag = RunKaudit({"serve", "-c", dir + "/kaudit.yaml", "--read-timeout", "soon"});
  EXPECT_EQ(flag.exit_code, 1);
  EXPECT_THAT(flag.err, HasSubstr("--read-timeout: "));
}

// Posts `files` in one curl run (keep-alive between them); returns each HTTP code.
std::vector<int> PostMany(const std::string& url, const std::vector<std::string>& files) {
  const Certs& c = GetCerts();
  std::vector<std::string> argv = {kCurl};
  for (size_t i = 0; i < files.size(); ++i) {
    if (i > 0) argv.push_back("--next");
    argv.insert(argv.end(),
                {"-sS", "--max-time", "60", "--cacert", c.ca, "--cert", c.client_crt, "--key",
                 c.client_key, "-o", "/dev/null", "-w", "%{http_code}\n", "-H",
                 "Content-Type: application/json", "--data-binary", "@" + files[i], url});
  }
  auto r = RunProcess(argv, "", 120);
  std::vector<int> codes;
  for (absl::string_view l : absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
    int code = 0;
    absl::SimpleAtoi(l, &code);
    codes.push_back(code);
  }
  codes.resize(files.size(), 0);
  return codes;
}

TEST(ServeTest, ThousandBatchesFromConcurrentClientsCountedOnceAlertedOnce) {
  constexpr int kBatches = 1000, kClients = 4, kPerCurl = 10;
  std::string dir = TempDir();
  Server s = StartServe({"--format", "json", "-o", dir + "/alerts.json", "--threads", "8"});
  ASSERT_FALSE(s.url.empty());
  std::atomic<int> failures{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t] {
      std::vector<int> mine;
      for (int b = t; b < kBatches; b += kClients) mine.push_back(b);
      for (size_t i = 0; i < mine.size(); i += kPerCurl) {
        std::vector<std::string> files;
        std::vector<int> batch_ids;
        for (size_t j = i; j < mine.size() && j < i + kPerCurl; ++j) {
          std::string f = absl::StrCat(dir, "/c", t, "_", j - i, ".json");
          WriteFile(f, MakeBatch(2, mine[j]));
          files.push_back(f);
          batch_ids.push_back(mine[j]);
        }
        std::vector<int> codes = PostMany(s.url, files);
        for (size_t k = 0; k < codes.size(); ++k) {
          // Anything but 200 is retried, as kube-apiserver does.
          for (int attempt = 0; codes[k] != 200 && attempt < 5; ++attempt) {
            usleep(200 * 1000);
            codes[k] = PostMany(s.url, {files[k]})[0];
          }
          if (codes[k] != 200) failures++;
        }
      }
    });
  }
  for (auto& c : clients) c.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(failures.load(), 0);
  const double kEvents = kBatches * 400.0;
  std::printf("[serve] %d batches, %.0f events in %.2f s over TLS: %.0f events/s\n", kBatches,
              kEvents, seconds, kEvents / seconds);

  auto m = ScrapeMetrics(s.metrics_port);
  EXPECT_EQ(m["kaudit_source_events_total{source=\"serve\"}"], kEvents);
  EXPECT_EQ(m["kaudit_webhook_events_total"], kEvents);
  EXPECT_EQ(m["kaudit_webhook_requests_total{code=\"200\"}"], kBatches);
  EXPECT_EQ(m["kaudit_events_duplicate_total"], 0);

  // Re-POST (as a retry would) three batches that hold an exec: counted as duplicates only.
  for (int b : {0, 25, 500}) {
    WriteFile(dir + "/again.json", MakeBatch(2, b));
    EXPECT_EQ(Post(s.url, dir + "/again.json").http, 200);
  }
  EXPECT_EQ(WaitForMetric(s.metrics_port, "kaudit_events_duplicate_total", 1200), 1200);
  EXPECT_EQ(ScrapeMetrics(s.metrics_port)["kaudit_source_events_total{source=\"serve\"}"],
            kEvents + 1200);

  s.proc->Signal(SIGTERM);
  ASSERT_EQ(s.proc->Wait(60), 0) << s.proc->err();
  std::map<std::string, int> alerts = ExecAlerts(dir + "/alerts.json");
  EXPECT_EQ(alerts.size(), kBatches / 25u);
  for (int b = 0; b < kBatches; b += 25) {
    std::string id = absl::StrFormat("%08x-%04x-4000-8000-%012x", 2, b, 7);
    EXPECT_EQ(alerts[id], 1) << id;
  }
}

// Retries like kube-apiserver (any non-2xx, a few times, waiting Retry-After when given).
int PostWithRetries(const std::string& url, const std::string& file, std::atomic<int>& saw429,
                    std::atomic<int>& retry_after) {
  int code = 0;
  for (int attempt = 0; attempt < 30; ++attempt) {
    CurlResult r = Post(url, file);
    code = r.http;
    if (code == 200) return code;
    if (code == 429) {
      saw429++;
      if (r.headers.find("Retry-After: 1") != std::string::npos) retry_after++;
    }
    usleep(300 * 1000);
  }
  return code;
}

// A config with one extra file sink of pod_exec_attach alerts writing to `fifo`.
std::string FifoSinkConfig(const std::string& fifo, int queue_max) {
  return absl::StrCat("sinks:\n  - {name: slow, type: file, path: \"", fifo,
                      "\", format: json, queue_max: ", queue_max,
                      ", flush_interval: 10ms, detectors: [pod_exec_attach]}\n");
}

// A batch of `events` events of which every tenth is an exec (its own auditID, so its own alert).
std::string MakeExecHeavyBatch(int client, int b, int events) {
  static const EventTemplate benign("k8s_audit__delete_service.json");
  static const EventTemplate exec("k8s_audit__exec_pod.json");
  std::vector<std::string> items;
  for (int i = 0; i < events; ++i) {
    std::string id = absl::StrFormat("%08x-%04x-4000-9000-%012x", client, b, i);
    items.push_back(i % 10 == 3 ? exec.With(id) : benign.With(id));
  }
  return EventList(items);
}

// Overload made deterministic: a second alert sink writes to a FIFO whose reader (this test)
// holds its 4 KiB pipe full, so that sink blocks once its 40-alert queue is full (a file sink
// waits, it never drops), the engine blocks publishing to it, and with --queue-batches 1 every
// further batch finds the queue full: 429 with Retry-After. Once a 429 was seen the test drains the
// FIFO; clients that retry as kube-apiserver does (any non-2xx, with backoff) then get their 200s,
// and nothing is lost.
TEST(ServeTest, OverloadAnswers429AndRetryingClientsLoseNothing) {
  constexpr int kClients = 6, kPerClient = 3, kEvents = 200;
  std::string dir = TempDir();
  HeldFifo fifo(dir + "/slow.fifo");
  ASSERT_TRUE(fifo.ok()) << std::strerror(errno);
  WriteFile(dir + "/kaudit.yaml", FifoSinkConfig(fifo.path(), 40));
  Server s = StartServe({"-c", dir + "/kaudit.yaml", "--format", "json", "-o", dir + "/alerts.json",
                         "--queue-batches", "1", "--threads", "16"});
  ASSERT_FALSE(s.url.empty());

  std::atomic<int> saw429{0}, retry_after{0}, failures{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; i < kPerClient; ++i) {
        std::string f = absl::StrCat(dir, "/b", t, "-", i, ".json");
        WriteFile(f, MakeExecHeavyBatch(t, i, kEvents));
        if (PostWithRetries(s.url, f, saw429, retry_after) != 200) failures++;
      }
    });
  }
  // The engine cannot get past the full pipe, so the 429s must come; then let the sink go.
  for (int i = 0; i < 400 && saw429.load() == 0; ++i) usleep(50 * 1000);
  EXPECT_GT(saw429.load(), 0) << "no 429 while the engine was held";
  auto held = ScrapeMetrics(s.metrics_port);
  EXPECT_GT(held["kaudit_webhook_rejected_total{reason=\"queue_full\"}"], 0);
  fifo.Drain();
  for (auto& c : clients) c.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(retry_after.load(), saw429.load());
  auto m = ScrapeMetrics(s.metrics_port);
  EXPECT_EQ(m["kaudit_source_events_total{source=\"serve\"}"], kClients * kPerClient * kEvents);
  EXPECT_EQ(m["kaudit_webhook_requests_total{code=\"429\"}"], saw429.load());
  EXPECT_EQ(m["kaudit_webhook_rejected_total{reason=\"queue_full\"}"], saw429.load());
  s.proc->Signal(SIGTERM);
  ASSERT_EQ(s.proc->Wait(60), 0) << s.proc->err();
  // Every exec event alerted exactly once, in the primary output and through the held sink.
  constexpr size_t kExecs = kClients * kPerClient * (kEvents / 10);
  std::map<std::string, int> out = ExecAlerts(dir + "/alerts.json");
  EXPECT_EQ(out.size(), kExecs);
  for (const auto& [id, n] : out) EXPECT_EQ(n, 1) << id;
  WriteFile(dir + "/drained.json", fifo.Wait());  // EOF: kaudit closed the FIFO on exit
  std::map<std::string, int> slow = ExecAlerts(dir + "/drained.json");
  EXPECT_EQ(slow, out);
  std::printf(
      "[serve] overload: %d answers 429 with Retry-After while the engine was held, "
      "%zu exec alerts exactly once\n",
      saw429.load(), kExecs);
}

TEST(ServeTest, BodyLimitsBadJsonGzipAndFormats) {
  std::string dir = TempDir();
  WriteFile(dir + "/token", "tok\n");
  Server s =
      StartServe({"--format", "json", "-o", dir + "/alerts.json", "--max-body-bytes", "64KiB"});
  ASSERT_FALSE(s.url.empty());
  // 413 above the limit, compressed or once decompressed.
  std::string big = MakeBatch(4, 1, 120);  // ~100 KB
  ASSERT_GT(big.size(), 64u << 10);
  WriteFile(dir + "/big.json", big);
  EXPECT_EQ(Post(s.url, dir + "/big.json").http, 413);
  std::string gz = testing::GzipCompress(big);
  ASSERT_LT(gz.size(), 64u << 10);
  WriteFile(dir + "/big.json.gz", gz);
  EXPECT_EQ(Post(s.url, dir + "/big.json.gz", {"-H", "Content-Encoding: gzip"}).http, 413);
  // gzip within the limit.
  WriteFile(dir + "/small.json.gz", testing::GzipCompress(MakeBatch(4, 0, 50)));
  CurlResult gzok = Post(s.url, dir + "/small.json.gz", {"-H", "Content-Encoding: gzip"});
  EXPECT_EQ(gzok.http, 200) << gzok.body;
  EXPECT_THAT(gzok.body, HasSubstr("\"events\":50"));
  // 400 with the reason when nothing in the body is an audit event.
  WriteFile(dir + "/bad.json", "{\"kind\":\"EventList\",\"items\":[{\"auditID\":");
  CurlResult bad = Post(s.url, dir + "/bad.json");
  EXPECT_EQ(bad.http, 400);
  EXPECT_THAT(bad.body, HasSubstr("webhook"));
  WriteFile(dir + "/notaudit.json", "{\"hello\":\"world\"}");
  CurlResult notaudit = Post(s.url, dir + "/notaudit.json");
  EXPECT_EQ(notaudit.http, 400) << notaudit.body;
  EXPECT_FALSE(notaudit.body.empty());
  // A single Event and a JSON array; a batch with one bad item among good ones is 200.
  static const EventTemplate exec("k8s_audit__exec_pod.json");
  WriteFile(dir + "/one.json", exec.With("single-event-1"));
  EXPECT_EQ(Post(s.url, dir + "/one.json").http, 200);
  WriteFile(dir + "/array.json",
            absl::StrCat("[", exec.With("array-event-1"), ",", exec.With("array-event-2"), "]"));
  CurlResult arr = Post(s.url, dir + "/array.json");
  EXPECT_EQ(arr.http, 200);
  EXPECT_THAT(arr.body, HasSubstr("\"events\":2"));
  WriteFile(dir + "/mixed.json",
            EventList({exec.With("mixed-event-1"), "{\"kind\":\"Event\",\"stage\":42}"}));
  CurlResult mixed = Post(s.url, dir + "/mixed.json");
  EXPECT_EQ(mixed.http, 200) << mixed.body;
  EXPECT_THAT(mixed.body, HasSubstr("\"invalid\":1"));

  auto m = ScrapeMetrics(s.metrics_port);
  EXPECT_EQ(m["kaudit_webhook_rejected_total{reason=\"too_large\"}"], 2);
  EXPECT_EQ(m["kaudit_webhook_rejected_total{reason=\"bad_json\"}"], 2);
  EXPECT_EQ(m["kaudit_webhook_requests_total{code=\"413\"}"], 2);
  EXPECT_EQ(m["kaudit_webhook_requests_total{code=\"400\"}"], 2);
  s.proc->Signal(SIGTERM);
  ASSERT_EQ(s.proc->Wait(60), 0) << s.proc->err();
  auto alerts = ExecAlerts(dir + "/alerts.json");
  for (const char* id : {"single-event-1", "array-event-1", "array-event-2", "mixed-event-1"}) {
    EXPECT_EQ(alerts[id], 1) << id;
  }
}

TEST(ServeTest, SpoolIsReplayableAndARestartResubmitsAfterTheCheckpoint) {
  constexpr int kBatches = 20, kEvents = 100;
  std::string dir = TempDir();
  std::string spool = dir + "/spool";
  Server s = StartServe({"--format", "json", "-o", dir + "/alerts.json", "--spool-dir", spool,
                         "--spool-fsync", "always", "--spool-max-file-bytes", "200KiB"});
  ASSERT_FALSE(s.url.empty());
  for (int b = 0; b < kBatches; ++b) {
    std::string body = MakeBatch(5, b * 5, kEvents);  // every 5th batch holds an exec
    if (b == 3)
      body = absl::StrCat("{\n  \"kind\": \"EventList\",\n  \"items\": [\n",
                          body.substr(body.find('[') + 1));
    WriteFile(dir + "/b.json", body);
    ASSERT_EQ(Post(s.url, dir + "/b.json").http, 200) << b;
  }
  // SIGTERM right after the last 200: the drain still delivers every alert.
  s.proc->Signal(SIGTERM);
  ASSERT_EQ(s.proc->Wait(60), 0) << s.proc->err();
  EXPECT_EQ(ExecAlerts(dir + "/alerts.json").size(), 4u);

  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(spool)) {
    files.push_back(e.path().filename().string());
  }
  EXPECT_GE(files.size(), 5u);  // rotated, plus .checkpoint
  EXPECT_TRUE(std::filesystem::exists(spool + "/.checkpoint"));

  // The archive replays: every event once, the same alerts.
  auto r = RunKaudit({"replay", spool, "--format", "json", "-o", dir + "/replayed.json",
                      "--summary-file", dir + "/summary.json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(ReadFile(dir + "/summary.json"),
              HasSubstr(absl::StrCat("\"events\":", kBatches * kEvents)));
  EXPECT_EQ(ExecAlerts(dir + "/replayed.json"), ExecAlerts(dir + "/alerts.json"));

  // A restart after a clean stop re-submits nothing; without the checkpoint, everything.
  Server again =
      StartServe({"--format", "json", "-o", dir + "/alerts2.json", "--spool-dir", spool});
  ASSERT_FALSE(again.url.empty());
  EXPECT_EQ(ScrapeMetrics(again.metrics_port)["kaudit_spool_recovered_batches_total"], 0);
  again.proc->Signal(SIGTERM);
  ASSERT_EQ(again.proc->Wait(60), 0);
  std::filesystem::remove(spool + "/.checkpoint");
  Server third =
      StartServe({"--format", "json", "-o", dir + "/alerts3.json", "--spool-dir", spool});
  ASSERT_FALSE(third.url.empty());
  EXPECT_EQ(ScrapeMetrics(third.metrics_port)["kaudit_spool_recovered_batches_total"], kBatches);
  third.proc->Signal(SIGTERM);
  ASSERT_EQ(third.proc->Wait(60), 0);
  EXPECT_EQ(ExecAlerts(dir + "/alerts3.json"), ExecAlerts(dir + "/alerts.json"));
}

// kill -9 while acknowledged batches' alerts are still undelivered (the alert output is a held
// FIFO): the spool checkpoint has not passed them, so the restart re-submits them and every
// exec event of every acknowledged batch is alerted.
TEST(ServeTest, SpoolKill9LosesNothingAcknowledged) {
  constexpr int kBatches = 12, kEvents = 100;
  std::string dir = TempDir();
  std::string spool = dir + "/spool";
  HeldFifo fifo(dir + "/slow.fifo");
  ASSERT_TRUE(fifo.ok()) << std::strerror(errno);
  Server s = StartServe(
      {"--format", "json", "-o", fifo.path(), "--spool-dir", spool, "--spool-fsync", "always"});
  ASSERT_FALSE(s.url.empty());
  std::set<std::string> acknowledged;
  for (int b = 0; b < kBatches; ++b) {
    WriteFile(dir + "/b.json", MakeExecHeavyBatch(99, b, kEvents));
    ASSERT_EQ(Post(s.url, dir + "/b.json").http, 200) << b;
    for (int i = 3; i < kEvents; i += 10) {
      acknowledged.insert(absl::StrFormat("%08x-%04x-4000-9000-%012x", 99, b, i));
    }
  }
  s.proc->Signal(SIGKILL);
  EXPECT_EQ(s.proc->Wait(30), -1);
  fifo.Drain();

  Server again =
      StartServe({"--format", "json", "-o", dir + "/alerts2.json", "--spool-dir", spool});
  ASSERT_FALSE(again.url.empty());
  EXPECT_GT(ScrapeMetrics(again.metrics_port)["kaudit_spool_recovered_batches_total"], 0);
  again.proc->Signal(SIGTERM);
  ASSERT_EQ(again.proc->Wait(60), 0) << again.proc->err();
  // What the first process delivered before it died (at most the 4 KiB in the pipe), and the
  // second process's alerts.
  WriteFile(dir + "/alerts1.json", fifo.Wait());
  std::set<std::string> alerted;
  for (const char* f : {"/alerts1.json", "/alerts2.json"}) {
    for (const auto& [id, n] : ExecAlerts(dir + f)) alerted.insert(id);
  }
  EXPECT_LT(ExecAlerts(dir + "/alerts1.json").size(), acknowledged.size() / 2);
  EXPECT_EQ(alerted, acknowledged);
  std::printf("[serve] spool kill -9: %zu acknowledged exec events, all alerted after restart\n",
              acknowledged.size());
}

// A client that opens a TCP connection and trickles a TLS record one byte at a time (each read
// gets a byte, so a per-read timeout never fires). Returns the seconds until the server closed
// the connection, or -1 if it was still open after `give_up_s`.
double TrickleTls(int port, double give_up_s) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return -2;
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  const char header[] = {0x16, 0x03, 0x01, 0x40, 0x00};  // handshake record of 16 KiB
  bool open = send(fd, header, sizeof header, MSG_NOSIGNAL) == sizeof header;
  while (open && elapsed() < give_up_s) {
    usleep(250 * 1000);
    char probe;
    if (recv(fd, &probe, 1, MSG_DONTWAIT) == 0) break;  // closed by the server
    open = send(fd, "A", 1, MSG_NOSIGNAL) == 1;
  }
  double t = elapsed() < give_up_s ? elapsed() : -1;
  close(fd);
  return t;
}

// Slowloris: more trickling connections than worker threads (three trickle the TLS handshake,
// one an authenticated client trickling its request headers through openssl s_client). A
// per-read timeout would let them hold every worker for good; the slow-client guard shuts each
// one down once it is --read-timeout late, so a real request still gets its 200.
TEST(ServeTest, SlowlorisClientsAreCutOffAndRealClientsServed) {
  std::string dir = TempDir();
  Server s = StartServe(
      {"--format", "json", "-o", dir + "/alerts.json", "--threads", "2", "--read-timeout", "2s"});
  ASSERT_FALSE(s.url.empty());
  const int port = std::stoi(s.url.substr(s.url.rfind(':') + 1));
  const Certs& c = GetCerts();
  BackgroundProcess headers(
      {"/bin/bash", "-c",
       absl::StrCat("(printf 'POST /audit HTTP/1.1\\r\\nHost: x\\r\\n'; while printf "
                    "'X-Slow: 1\\r\\n'; do sleep 0.25; done) | ",
                    kOpenssl, " s_client -quiet -connect 127.0.0.1:", port, " -cert ", c.client_crt,
                    " -key ", c.client_key, " -CAfile ", c.ca, " 2>/dev/null")});
  std::vector<double> cut(3, 0);
  std::vector<std::thread> slow;
  for (size_t i = 0; i < cut.size(); ++i) {
    slow.emplace_back([&, i] { cut[i] = TrickleTls(port, 40); });
  }
  usleep(500 * 1000);
  WriteFile(dir + "/b.json", MakeBatch(6, 0, 50));
  const auto start = std::chrono::steady_clock::now();
  CurlResult r = Post(s.url, dir + "/b.json");
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.http, 200) << r.body;
  EXPECT_LT(waited, 15);
  for (auto& t : slow) t.join();
  for (double t : cut) {
    EXPECT_GT(t, 1.5);  // not before --read-timeout
    EXPECT_LT(t, 15);   // and not much after (two workers, four slow clients)
  }
  EXPECT_NE(headers.Wait(20), -2) << "the header-trickling client was not cut off";
  EXPECT_GE(ScrapeMetrics(s.metrics_port)["kaudit_webhook_rejected_total{reason=\"slow_client\"}"],
            4);
  s.proc->Signal(SIGTERM);
  ASSERT_EQ(s.proc->Wait(60), 0) << s.proc->err();
  std::printf(
      "[serve] slowloris: 4 slow clients cut off after %.1f-%.1f s, a real client served "
      "in %.1f s\n",
      *std::min_element(cut.begin(), cut.end()), *std::max_element(cut.begin(), cut.end()), waited);
}

// Disk full on the spool: kaudit runs in its own mount namespace (unshare, no privileges needed)
// with the spool on a 1 MiB tmpfs mostly taken by a ballast file. Batches are acknowledged
// until the spool cannot take the next one: that one is answered 503 (never a silent 200),
// counted and logged, the truncated write is cut back; kaudit keeps serving. Once the ballast is
// removed (through /proc/PID/root) the retried batch is spooled, and the spool replays to
// exactly the acknowledged events and their alerts.
TEST(ServeTest, SpoolOnAFullDiskAnswers503AndLosesNothingAcknowledged) {
  std::string dir = TempDir();
  const std::string mnt = dir + "/mnt";
  std::filesystem::create_directories(mnt);
  Server s = StartServe({"--format", "json", "-o", dir + "/alerts.json", "--spool-dir",
                         mnt + "/spool", "--spool-fsync", "always"},
                        true,
                        {"/usr/bin/unshare", "-Urm", "/bin/sh", "-c",
                         absl::StrCat("mount -t tmpfs -o size=1m tmpfs ", mnt, " && mkdir ", mnt,
                                      "/spool && head -c 800000 /dev/zero > ", mnt,
                                      "/ballast && exec \"$0\" \"$@\"")});
  ASSERT_FALSE(s.url.empty()) << s.proc->err();
  const std::string inside = absl::StrCat("/proc/", s.proc->pid(), "/root", mnt);
  ASSERT_TRUE(std::filesystem::exists(inside + "/ballast"));

  std::set<std::string> acknowledged;
  CurlResult refused;
  int b = 0;
  for (; b < 40; ++b) {
    WriteFile(dir + "/b.json", MakeExecHeavyBatch(77, b, 40));
    CurlResult r = Post(s.url, dir + "/b.json");
    if (r.http != 200) {
      refused = r;
      break;
    }
    for (int i = 3; i < 40; i += 10) {
      acknowledged.insert(absl::StrFormat("%08x-%04x-4000-9000-%012x", 77, b, i));
    }
  }
  ASSERT_EQ(refused.http, 503) << "the 1 MiB disk never filled";
  EXPECT_THAT(refused.body, HasSubstr("cannot spool"));
  EXPECT_GT(b, 0);
  EXPECT_EQ(ScrapeMetrics(s.metrics_port)["kaudit_spool_errors_total"], 1);
  EXPECT_THAT(s.proc->err(), HasSubstr("No space left on device"));

  // Space comes back: the retried batch is spooled and acknowledged.
  std::filesystem::remove(inside + "/ballast");
  ASSERT_EQ(Post(s.url, dir + "/b.json").http, 200);
  for (int i = 3; i < 40; i += 10) {
    acknowledged.insert(absl::StrFormat("%08x-%04x-4000-9000-%012x", 77, b, i));
  }
  std::filesystem::copy(inside + "/spool", dir + "/spool");  // gone with the namespace
  s.proc->Signal(SIGTERM);
  ASSERT_EQ(s.proc->Wait(60), 0) << s.proc->err();

  std::set<std::string> alerted;
  for (const auto& [id, n] : ExecAlerts(dir + "/alerts.json")) alerted.insert(id);
  EXPECT_EQ(alerted, acknowledged);
  auto r = RunKaudit({"replay", dir + "/spool", "--format", "json", "-o", dir + "/replayed.json",
                      "--summary-file", dir + "/summary.json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(ReadFile(dir + "/summary.json"),
              HasSubstr(absl::StrCat("\"events\":", (b + 1) * 40, ",")));
  EXPECT_THAT(ReadFile(dir + "/summary.json"), HasSubstr("\"invalid_events\":0,"));
  std::set<std::string> replayed;
  for (const auto& [id, n] : ExecAlerts(dir + "/replayed.json")) replayed.insert(id);
  EXPECT_EQ(replayed, acknowledged);
  std::printf(
      "[serve] spool disk full: %d batches acknowledged, the next answered 503, "
      "spooled after space came back; replay = the acknowledged events\n",
      b);
}

// A port in use is a startup error: neither the webhook port nor the metrics port may be
// shared with another process (cpp-httplib's default SO_REUSEPORT allowed a second kaudit to
// bind both and take part of the connections).
TEST(ServeTest, APortInUseIsAStartupError) {
  std::string dir = testing::TempDir();
  Server s = StartServe({"-o", dir + "/alerts.json"});
  ASSERT_GT(s.metrics_port, 0);
  const std::string port =
      s.url.substr(s.url.rfind(':') + 1, s.url.rfind('/') - s.url.rfind(':') - 1);
  auto webhook = RunKaudit(
      {"serve", "--insecure-http", "--listen", "127.0.0.1:" + port, "-o", dir + "/second.json"});
  EXPECT_EQ(webhook.exit_code, 1) << webhook.err;
  EXPECT_THAT(webhook.err, HasSubstr("--listen 127.0.0.1:" + port + ": cannot bind"));
  auto metrics = RunKaudit({"replay", "--no-progress", "-q", "--metrics-addr",
                            absl::StrCat("127.0.0.1:", s.metrics_port),
                            SourcePath("tests/data/falco/k8s_audit__exec_pod.json")});
  EXPECT_EQ(metrics.exit_code, 1) << metrics.err;
  EXPECT_THAT(metrics.err, HasSubstr(absl::StrCat("metrics address 127.0.0.1:", s.metrics_port,
                                                  ": cannot bind")));
}

}  // namespace
}  // namespace kaudit
