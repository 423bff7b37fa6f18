#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/common/context.h"
#include "src/kafka/event_forwarder.h"
#include "src/pipeline/live.h"
#include "src/server/spool.h"

namespace kaudit {

struct WebhookOptions {
  std::string listen = "0.0.0.0:8443";  // host:port; port 0 picks a free one (logged)
  std::string path = "/audit";
  std::string tls_cert, tls_key;          // PEM files; required unless insecure_http
  std::string client_ca;                  // verify client certificates against this CA bundle
  std::string token_file;                 // require "Authorization: Bearer <token>"
  bool insecure_http = false;             // plain HTTP (tests, a TLS-terminating sidecar)
  uint64_t max_body_bytes = 32ull << 20;  // request body, also after gzip decoding
  absl::Duration read_timeout = absl::Seconds(10);  // slow clients
  absl::Duration ack_timeout = absl::Seconds(30);   // engine + sinks, else 503
  int threads = 8;                                  // connections served at once
  int retry_after_seconds = 1;                      // in 429 answers
  std::optional<SpoolOptions> spool;
  // `--forward-to`: every accepted body's events are also produced to a Kafka topic, one
  // message each keyed by user.username, and the answer waits for the brokers' acknowledgement
  // (acks=all); a failed or late produce answers 503. Without `detect` (`--no-detect`, the
  // edge) no detector runs here: the 200 means "in Kafka".
  std::shared_ptr<EventForwarder> forwarder;
  bool detect = true;
};

// `kaudit serve`'s input: the kube-apiserver audit webhook backend. An HTTPS server whose
// handler submits each request body (EventList, Event, or JSON array) as one batch and answers
// only once the pipeline processed it: 200 when it held audit events (after spooling them and,
// without a spool, after the sinks settled their alerts), 400 when it held none, 429 with
// Retry-After when the engine queue is full, 413 above the body limit, 401/403 for a bad
// client, 503 when the engine, the sinks, the spool or the Kafka forward could not keep the
// promise in time.
class WebhookSource final : public LiveSource {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<WebhookSource>> Create(WebhookOptions options,
                                                                             Context ctx);
  ~WebhookSource() override;

  // Re-submits spooled batches after the checkpoint, then listens.
  [[nodiscard]] absl::Status Start(LivePipeline* pipeline) override;
  void Stop() override;
  void Finished() override;
  bool Ready() const override;
  int port() const;  // the bound port (useful with port 0)
  void AppendMetrics(std::vector<SourceMetric>& out) const override;

  class Impl;

 private:
  explicit WebhookSource(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kaudit
