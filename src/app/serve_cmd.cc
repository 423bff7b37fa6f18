// kaudit serve: the kube-apiserver audit webhook backend.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "src/app/app_common.h"
#include "src/app/live_runner.h"
#include "src/common/clock.h"
#include "src/common/rate_limited_log.h"
#include "src/common/time_util.h"
#include "src/kafka/event_forwarder.h"
#include "src/server/webhook_server.h"

namespace kaudit {
namespace {

struct ServeFlags {
  CommonFlags common;
  WebhookOptions web;
  std::string max_body_bytes = "32MiB";
  std::string read_timeout = "10s";
  std::string ack_timeout = "30s";
  size_t queue_batches = LiveOptions().queue_max_batches;
  std::string queue_bytes = "256MiB";
  std::string spool_dir;
  std::string spool_fsync = "interval";
  std::string spool_max_file_bytes = "128MiB";
  std::string spool_max_bytes = "8GiB";
  std::vector<std::string> brokers;
  std::string forward_to;
  bool no_detect = false;
};

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

absl::StatusOr<WebhookOptions> Resolve(const ServeFlags& f) {
  WebhookOptions o = f.web;
  auto bytes = ParseByteSize(f.max_body_bytes);
  if (!bytes.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--max-body-bytes: ", bytes.status().message()));
  }
  o.max_body_bytes = *bytes;
  auto rt = ParseDurationString(f.read_timeout);
  if (!rt.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--read-timeout: ", rt.status().message()));
  }
  o.read_timeout = *rt;
  auto at = ParseDurationString(f.ack_timeout);
  if (!at.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--ack-timeout: ", at.status().message()));
  }
  o.ack_timeout = *at;
  if (!f.spool_dir.empty()) {
    SpoolOptions s;
    s.dir = f.spool_dir;
    auto policy = ParseFsyncPolicy(f.spool_fsync);
    if (!policy.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--spool-fsync: ", policy.status().message()));
    }
    s.fsync = *policy;
    auto max = ParseByteSize(f.spool_max_file_bytes);
    if (!max.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--spool-max-file-bytes: ", max.status().message()));
    }
    s.max_file_bytes = *max;
    auto total = ParseByteSize(f.spool_max_bytes);
    if (!total.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--spool-max-bytes: ", total.status().message()));
    }
    s.max_total_bytes = *total;
    o.spool = s;
  }
  return o;
}

int RunServe(const ServeFlags& f) {
  RealClock clock;
  const Logger boot_log(f.common.log.Options(&clock));  // before the config is loaded
  auto web = Resolve(f);
  if (!web.ok()) return Fatal(boot_log, web.status());
  LiveOptions queue;
  queue.queue_max_batches = f.queue_batches;
  auto qb = ParseByteSize(f.queue_bytes);
  if (!qb.ok()) {
    return Fatal(boot_log, absl::InvalidArgumentError(
                               absl::StrCat("--queue-bytes: ", qb.status().message())));
  }
  queue.queue_max_bytes = *qb;
  return RunLive(
      "serve", f.common, queue,
      [&](const Config& config, Context ctx) -> absl::StatusOr<std::unique_ptr<LiveSource>> {
        WebhookOptions o = *web;
        if (absl::Status s = AddForwarder(f, config, ctx, o); !s.ok()) return s;
        auto src = WebhookSource::Create(std::move(o), ctx);
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
      "a batch was processed (and spooled), 429 with Retry-After when the engine is behind.");
  f->common.AddTo(serve, /*live=*/true);
  serve->add_option("--listen", f->web.listen, "host:port to listen on (port 0: any free port)")
      ->capture_default_str();
  serve->add_option("--path", f->web.path, "URL path of the webhook")->capture_default_str();
  serve->add_option("--tls-cert", f->web.tls_cert, "Server certificate (PEM)");
  serve->add_option("--tls-key", f->web.tls_key, "Server private key (PEM)");
  serve->add_option("--client-ca", f->web.client_ca,
                    "Require client certificates signed by this CA bundle (PEM): the client "
                    "certificate of kube-apiserver's webhook kubeconfig");
  serve->add_option("--token-file", f->web.token_file,
                    "Require 'Authorization: Bearer <token>' with the token in this file");
  serve->add_flag("--insecure-http", f->web.insecure_http,
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
  serve->add_option("--threads", f->web.threads, "Connections served at once")
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
      ->add_option("--retry-after", f->web.retry_after_seconds,
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
