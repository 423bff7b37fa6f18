// kaudit serve: the kube-apiserver audit webhook backend.
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "src/app/app_common.h"
#include "src/app/live_runner.h"
#include "src/common/clock.h"
#include "src/common/rate_limited_log.h"
#include "src/common/time_util.h"
#include "src/kafka/event_forwarder.h"
#include "src/server/spool.h"
#include "src/server/webhook_server.h"

namespace kaudit {
namespace {

// Each option is also a key of the config file's serve: section (--listen is serve.listen,
// --tls-cert serve.tls_cert, ...); a flag given on the command line wins.
struct ServeFlags {
  CommonFlags common;
  CLI::App* app = nullptr;
  std::string listen = ServeConfig().listen;
  std::string path = ServeConfig().path;
  std::string tls_cert, tls_key, client_ca, token_file;
  bool insecure_http = false;
  std::string max_body_bytes = "32MiB";
  std::string read_timeout = "10s";
  std::string ack_timeout = "30s";
  uint64_t threads = ServeConfig().threads;
  uint64_t queue_batches = ServeConfig().queue_batches;
  std::string queue_bytes = "256MiB";
  int retry_after = 1;
  std::string spool_dir;
  std::string spool_fsync = ServeConfig().spool_fsync;
  std::string spool_max_file_bytes = "128MiB";
  std::string spool_max_bytes = "8GiB";
  std::vector<std::string> brokers;
  std::string forward_to;
  bool no_detect = false;

  bool Given(const std::string& flag) const { return app->count(flag) > 0; }
};

// config.serve with the flags given on the command line applied; errors name the flag.
absl::StatusOr<ServeConfig> Resolve(const ServeFlags& f, ServeConfig c) {
  for (auto [flag, value, out] :
       {std::tuple{"--listen", &f.listen, &c.listen}, std::tuple{"--path", &f.path, &c.path},
        std::tuple{"--tls-cert", &f.tls_cert, &c.tls_cert},
        std::tuple{"--tls-key", &f.tls_key, &c.tls_key},
        std::tuple{"--client-ca", &f.client_ca, &c.client_ca},
        std::tuple{"--token-file", &f.token_file, &c.token_file},
        std::tuple{"--spool-dir", &f.spool_dir, &c.spool_dir},
        std::tuple{"--spool-fsync", &f.spool_fsync, &c.spool_fsync}}) {
    if (f.Given(flag)) *out = *value;
  }
  if (f.Given("--insecure-http")) c.insecure_http = f.insecure_http;
  if (f.Given("--threads")) c.threads = f.threads;
  if (f.Given("--queue-batches")) c.queue_batches = f.queue_batches;
  if (f.Given("--retry-after")) c.retry_after = absl::Seconds(f.retry_after);
  for (auto [flag, value, out] :
       {std::tuple{"--max-body-bytes", &f.max_body_bytes, &c.max_body_bytes},
        std::tuple{"--queue-bytes", &f.queue_bytes, &c.queue_bytes},
        std::tuple{"--spool-max-file-bytes", &f.spool_max_file_bytes, &c.spool_max_file_bytes},
        std::tuple{"--spool-max-bytes", &f.spool_max_bytes, &c.spool_max_bytes}}) {
    if (!f.Given(flag)) continue;
    auto bytes = ParseByteSize(*value);
    if (!bytes.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(flag, ": ", bytes.status().message()));
    }
    *out = *bytes;
  }
  for (auto [flag, value, out] : {std::tuple{"--read-timeout", &f.read_timeout, &c.read_timeout},
                                  std::tuple{"--ack-timeout", &f.ack_timeout, &c.ack_timeout}}) {
    if (!f.Given(flag)) continue;
    auto d = ParseDurationString(*value);
    if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat(flag, ": ", d.status().message()));
    *out = *d;
  }
  return c;
}

absl::StatusOr<WebhookOptions> ToWebhookOptions(const ServeConfig& c) {
  WebhookOptions o;
  o.listen = c.listen;
  o.path = c.path;
  o.tls_cert = c.tls_cert;
  o.tls_key = c.tls_key;
  o.client_ca = c.client_ca;
  o.token_file = c.token_file;
  o.insecure_http = c.insecure_http;
  o.max_body_bytes = c.max_body_bytes;
  o.read_timeout = c.read_timeout;
  o.ack_timeout = c.ack_timeout;
  o.threads = static_cast<int>(c.threads);
  o.retry_after_seconds = static_cast<int>(absl::ToInt64Seconds(c.retry_after));
  if (!c.spool_dir.empty()) {
    SpoolOptions s;
    s.dir = c.spool_dir;
    auto policy = ParseFsyncPolicy(c.spool_fsync);
    if (!policy.ok()) return policy.status();
    s.fsync = *policy;
    s.max_file_bytes = c.spool_max_file_bytes;
    s.max_total_bytes = c.spool_max_bytes;
    o.spool = s;
  }
  return o;
}

// --forward-to (kafka.forward_to): the producer of the edge layout, keyed by user like
// `kaudit consume --repartition-to`. Each event's delivery is awaited before the answer, so
// message.timeout.ms follows --ack-timeout.
absl::Status AddForwarder(const ServeFlags& f, const Config& config, Context ctx,
                          WebhookOptions& o) {
  const std::string topic = f.forward_to.empty() ? config.kafka.forward_to : f.forward_to;
  o.detect = !f.no_detect && !config.kafka.forward_only;
  if (topic.empty()) return absl::OkStatus();
  EventForwarderOptions fo;
  fo.name = "forward";
  fo.logger = ctx.logger;
  fo.brokers = f.brokers.empty() ? config.kafka.brokers : f.brokers;
  if (fo.brokers.empty()) {
    return absl::InvalidArgumentError("--forward-to: needs --brokers (or kafka.brokers)");
  }
  fo.topic = topic;
  fo.properties = config.kafka.properties;
  fo.timeout = o.ack_timeout;
  fo.reader.max_event_bytes = config.input.max_event_bytes;
  auto fw = EventForwarder::Create(std::move(fo));
  if (!fw.ok()) return fw.status();
  o.forwarder = std::move(*fw);
  ctx.logger->Info(
      "serve", absl::StrCat("forwarding accepted events to Kafka topic ", topic, ", keyed by user",
                            o.detect ? "" : " (no detectors run here)"));
  return absl::OkStatus();
}

int RunServe(const ServeFlags& f) {
  ServeConfig serve;  // config.serve with the flags applied, resolved before the source
  return RunLive(
      "serve", f.common,
      [&](const Config& config) -> absl::StatusOr<LiveOptions> {
        auto resolved = Resolve(f, config.serve);
        if (!resolved.ok()) return resolved.status();
        serve = *std::move(resolved);
        LiveOptions queue;
        queue.queue_max_batches = serve.queue_batches;
        queue.queue_max_bytes = serve.queue_bytes;
        return queue;
      },
      [&](const Config& config, Context ctx) -> absl::StatusOr<std::unique_ptr<LiveSource>> {
        auto o = ToWebhookOptions(serve);
        if (!o.ok()) return o.status();
        if (absl::Status s = AddForwarder(f, config, ctx, *o); !s.ok()) return s;
        auto src = WebhookSource::Create(*std::move(o), ctx);
        if (!src.ok()) return src.status();
        return std::unique_ptr<LiveSource>(std::move(*src));
      });
}

}  // namespace

Command AddServeCommand(CLI::App& app) {
  auto f = std::make_shared<ServeFlags>();
  auto* serve = app.add_subcommand(
      "serve",
      "Audit webhook backend for kube-apiserver (--audit-webhook-config-file): receives "
      "EventList batches over HTTPS and runs every enabled detector on them. Answers 200 once "
      "a batch was processed (and spooled), 429 with Retry-After when the engine is behind. "
      "Every option below from --listen to --spool-max-bytes is also a key of the config "
      "file's serve: section (--tls-cert is serve.tls_cert); a flag given wins.");
  f->app = serve;
  f->common.AddTo(serve, /*live=*/true);
  serve->add_option("--listen", f->listen, "host:port to listen on (port 0: any free port)")
      ->capture_default_str();
  serve->add_option("--path", f->path, "URL path of the webhook")->capture_default_str();
  serve->add_option("--tls-cert", f->tls_cert, "Server certificate (PEM)");
  serve->add_option("--tls-key", f->tls_key, "Server private key (PEM)");
  serve->add_option("--client-ca", f->client_ca,
                    "Require client certificates signed by this CA bundle (PEM): the client "
                    "certificate of kube-apiserver's webhook kubeconfig");
  serve->add_option("--token-file", f->token_file,
                    "Require 'Authorization: Bearer <token>' with the token in this file");
  serve->add_flag("--insecure-http", f->insecure_http,
                  "Plain HTTP without TLS (only behind a TLS-terminating proxy, or for tests)");
  serve
      ->add_option("--max-body-bytes", f->max_body_bytes,
                   "Refuse bodies above this size with 413, also after gzip decoding")
      ->capture_default_str();
  serve
      ->add_option("--read-timeout", f->read_timeout,
                   "Slow clients: each read, and (TLS) the handshake plus a request's headers, "
                   "must arrive within this; the body within it plus 1 s per MiB")
      ->capture_default_str();
  serve
      ->add_option("--ack-timeout", f->ack_timeout,
                   "Answer 503 when a batch was not processed (and, without a spool, its "
                   "alerts delivered) within this time")
      ->capture_default_str();
  serve->add_option("--threads", f->threads, "Connections served at once")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  serve
      ->add_option("--queue-batches", f->queue_batches,
                   "Batches waiting for the engine before requests get 429")
      ->capture_default_str();
  serve
      ->add_option("--queue-bytes", f->queue_bytes,
                   "Bytes of batches waiting for the engine before requests get 429")
      ->capture_default_str();
  serve
      ->add_option("--retry-after", f->retry_after,
                   "Seconds in the Retry-After header of 429 and 503 answers")
      ->capture_default_str();
  serve->add_option("--spool-dir", f->spool_dir,
                    "Append every accepted batch to rotating JSON-lines files here before the "
                    "200 (replay them with 'kaudit replay DIR'); a restart re-submits those "
                    "after the last checkpoint");
  serve
      ->add_option("--spool-fsync", f->spool_fsync,
                   "always (before each 200), interval (every second) or never")
      ->check(CLI::IsMember({"always", "interval", "never"}))
      ->capture_default_str();
  serve
      ->add_option("--spool-max-file-bytes", f->spool_max_file_bytes,
                   "Start a new spool file above this size")
      ->capture_default_str();
  serve
      ->add_option("--spool-max-bytes", f->spool_max_bytes,
                   "Delete the oldest settled spool files above this total (0: keep all)")
      ->capture_default_str();
  serve->add_option("--brokers", f->brokers, "Kafka bootstrap brokers host:port for --forward-to")
      ->delimiter(',');
  serve->add_option("--forward-to", f->forward_to,
                    "Also produce every accepted event, one per message keyed by user.username, "
                    "to this Kafka topic (idempotent, acks=all); the answer waits for the "
                    "brokers' acknowledgement, 503 when it does not come");
  serve->add_flag("--no-detect", f->no_detect,
                  "With --forward-to: run no detectors here, only forward (the edge of an "
                  "edge/core layout; `kaudit consume` detects)");
  return Command{serve, [f] { return RunServe(*f); }};
}

}  // namespace kaudit
