#pragma once

#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/sinks/alert_format.h"
#include "src/sinks/queued_sink.h"

namespace kaudit {

// Alert lines to standard output or to a file, rotated by size (path, path.1 ... path.N).
struct StreamTransportOptions {
  std::string path;  // "" or "-" = stdout
  AlertFormat format = AlertFormat::kJson;
  FormatOptions format_options;
  uint64_t max_bytes = 0;  // rotate when the file would exceed this (0 = never)
  int max_files = 5;       // rotated files kept
};
[[nodiscard]] absl::StatusOr<std::unique_ptr<Transport>> NewStreamTransport(
    StreamTransportOptions options);

// HTTP(S) POST of alert batches.
enum class HttpKind {
  kWebhook,        // generic: one JSON document per request when batch_max is 1 (falcosidekick),
                   // else newline-delimited JSON
  kSplunkHec,      // Splunk HEC: concatenated envelopes, "Authorization: Splunk <token>"
  kElasticsearch,  // _bulk: action + ECS document per alert; item errors fail the batch
};
struct HttpTransportOptions {
  HttpKind kind = HttpKind::kWebhook;
  std::string url;  // scheme://host[:port]/path
  AlertFormat format = AlertFormat::kJson;
  FormatOptions format_options;
  std::map<std::string, std::string> headers;
  std::string token;          // HEC token, or a bearer token for webhooks
  std::string index;          // Elasticsearch index / Splunk index
  bool batch_single = false;  // one alert per request
  absl::Duration timeout = absl::Seconds(10);
  std::string ca_file;  // verify the server with this CA bundle
  bool insecure_skip_verify = false;
};
[[nodiscard]] absl::StatusOr<std::unique_ptr<Transport>> NewHttpTransport(
    HttpTransportOptions options);

}  // namespace kaudit
