// The webhook request handler as a fuzz target: one in-process `kaudit serve` (plain HTTP on
// loopback, bearer token, spool with tiny files, small body limit) fed each input as a request
// over a kept-alive connection, so the input goes through cpp-httplib's request reading, the
// handler (auth, gzip, body limits, submit, wait, spool with minify) and the pipeline.
#include <httplib.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "src/common/clock.h"
#include "src/pipeline/live.h"
#include "src/server/webhook_server.h"
#include "tests/fuzz/fuzz_entries.h"
#include "tests/fuzz/touch.h"

namespace kaudit::fuzz {
namespace {

class CountingSink final : public AlertSink {
 public:
  absl::Status Send(std::span<const Alert> alerts) override {
    count_ += alerts.size();
    return absl::OkStatus();
  }
  std::atomic<uint64_t> count_{0};
};

constexpr char kToken[] = "fuzz-token";

// The run's directory (token file and spool), removed at exit: the server itself is never
// destroyed (its threads run until the process ends), and a fuzz run or a regression replay
// that left its spool behind filled /tmp (one directory per process, up to GBs each).
std::string& RunDir() {
  static std::string* dir = new std::string();
  return *dir;
}

void RemoveRunDir() {
  std::error_code ec;
  std::filesystem::remove_all(RunDir(), ec);
}

struct Webhook {
  RealClock clock;
  Logger logger{LoggerOptions{.format = LogFormat::kText,
                              .min_level = LogLevel::kError}};  // the handler's 4xx are expected
  CountingSink sink;
  // Outlives the pipeline: the engine keeps a reference to its config. (A temporary here left
  // the engine reading a destroyed Config: an ASan report on the engine thread, found when the
  // webhook target's corpus had grown.)
  Config config;
  std::unique_ptr<LivePipeline> pipeline;
  std::unique_ptr<WebhookSource> source;
  std::unique_ptr<httplib::Client> client;

  Webhook() {
    char tmpl[] = "/tmp/kaudit-webhook-fuzz-XXXXXX";
    std::string dir = mkdtemp(tmpl);
    RunDir() = dir;
    std::atexit(&RemoveRunDir);
    std::string token = dir + "/token";
    FILE* f = fopen(token.c_str(), "w");
    fputs(kToken, f);
    fclose(f);
    LiveOptions live;
    live.queue_max_batches = 4;
    auto p = LivePipeline::Create(config, &sink, Context{&clock, &logger}, live);
    if (!p.ok()) __builtin_trap();
    pipeline = std::move(*p);
    WebhookOptions o;
    o.listen = "127.0.0.1:0";
    o.insecure_http = true;
    o.token_file = token;
    o.max_body_bytes = 256 << 10;
    o.threads = 2;
    SpoolOptions spool;
    spool.dir = dir + "/spool";
    std::filesystem::create_directories(spool.dir);
    spool.max_file_bytes = 64 << 10;
    spool.max_total_bytes = 1 << 20;  // settled files beyond 1 MiB are deleted as it runs
    o.spool = spool;
    auto s = WebhookSource::Create(o, Context{&clock, &logger});
    if (!s.ok()) __builtin_trap();
    source = std::move(*s);
    if (!source->Start(pipeline.get()).ok()) __builtin_trap();
    client = std::make_unique<httplib::Client>("127.0.0.1", source->port());
    client->set_keep_alive(true);
    client->set_tcp_nodelay(true);  // as kube-apiserver (Go) does: no Nagle wait on small posts
    client->set_read_timeout(30, 0);
  }
};

bool Expected(int status) {
  switch (status) {
    case 200:
    case 400:
    case 401:
    case 403:
    case 413:
    case 415:
    case 429:
    case 503:
      return true;
    default:
      return false;
  }
}

}  // namespace

void FuzzWebhook(const uint8_t* data, size_t size) {
  static Webhook* w = new Webhook();  // one server for the whole run, as in production
  // The first byte picks the request's shape; the rest is the body.
  const uint8_t mode = size > 0 ? data[0] : 0;
  std::string body(reinterpret_cast<const char*>(data) + (size > 0 ? 1 : 0),
                   size > 0 ? size - 1 : 0);
  httplib::Headers headers;
  if ((mode & 3) != 3)
    headers.emplace("Authorization", mode & 1 ? "Bearer wrong" : "Bearer fuzz-token");
  if (mode & 4) headers.emplace("Content-Encoding", mode & 8 ? "gzip" : "br");
  auto res = w->client->Post("/audit", headers, body, "application/json");
  if (!res) return;  // the server closed the connection (e.g. after a 413); the next reconnects
  if (!Expected(res->status)) __builtin_trap();
  Toucher t;
  t(res->body);
  g_sink = g_sink + t.sum() + w->sink.count_.load();
}

}  // namespace kaudit::fuzz
