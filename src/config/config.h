#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/common/logger.h"
#include "src/engine/alert.h"
#include "src/engine/params.h"

namespace kaudit {

// Typed configuration. configs/kaudit.yaml documents every key; loading is strict: an unknown
// key or a value of the wrong type fails at startup with the key's path.
struct InputConfig {
  uint64_t max_event_bytes = 16ull << 20;    // input.max_event_bytes
  uint64_t chunk_bytes = 256ull << 10;       // input.chunk_bytes
  uint64_t max_document_bytes = 1ull << 30;  // input.max_document_bytes
  std::string dead_letter_file;              // input.dead_letter_file
  uint64_t error_log_burst = 10;             // input.error_log_burst
};

struct EngineConfig {
  uint64_t dedup_entries = 1ull << 20;                 // engine.dedup_entries
  absl::Duration allowed_lateness = absl::Seconds(5);  // engine.allowed_lateness
  uint64_t aggregate_max_keys = 100000;                // engine.aggregate_max_keys
  // engine.state_dir: where stateful detectors keep first-seen sets and last-known specs
  // across restarts ("" = in memory only).
  std::string state_dir;
  // engine.state_save_interval: event time between periodic saves (also saved at the end).
  absl::Duration state_save_interval = absl::Minutes(5);
};

struct OutputConfig {
  std::string format = "auto";              // output.format: auto | json | text
  std::string file;                         // output.file ("" = stdout)
  Severity min_severity = Severity::kInfo;  // output.min_severity
  // output.flush_timeout: a failed write (disk full) is retried while the run lasts; at the end
  // of the run kaudit waits this long for the rest, then exits with status 1 naming what was
  // not written.
  absl::Duration flush_timeout = absl::Minutes(5);
};

// One alert destination (sinks: [...]). Every sink has its own queue, batching and retries.
struct SinkConfig {
  std::string name;             // sinks[i].name (default: type and index)
  std::string type;             // stdout | file | http | syslog | kafka
  std::string format = "json";  // json | text | falco | ecs | hec (auto for stdout)
  Severity min_severity = Severity::kInfo;
  std::vector<std::string> detectors;  // only these detector ids (empty = all)
  // file
  std::string path;
  uint64_t max_bytes = 0;  // rotate at this size (0 = never)
  uint64_t max_files = 5;
  // http
  std::string kind = "webhook";  // webhook | splunk_hec | elasticsearch
  std::string url;
  std::map<std::string, std::string> headers;
  std::string token;  // HEC token or bearer token (prefer token_file)
  std::string token_file;
  std::string index;  // Elasticsearch / Splunk index
  std::string ca_file;
  bool insecure_skip_verify = false;
  bool one_alert_per_request = false;  // e.g. for falcosidekick
  // syslog (RFC 5424)
  std::string address;           // host:port
  std::string protocol = "udp";  // udp | tcp
  int facility = 16;             // local0; names are resolved when loading
  std::string app_name = "kaudit";
  std::string hostname;               // "" = this machine's
  uint64_t max_message_bytes = 8192;  // udp: longer messages are truncated
  uint64_t batch_max = 100;
  uint64_t queue_max = 100000;
  // Network sinks: alerts beyond queue_max wait on disk here (kept across restarts).
  std::string buffer_dir;
  uint64_t buffer_max_bytes = 1ull << 30;
  absl::Duration timeout = absl::Seconds(10);
  absl::Duration flush_interval = absl::Milliseconds(200);
  absl::Duration retry_initial = absl::Milliseconds(200);
  absl::Duration retry_max = absl::Seconds(30);
  absl::Duration flush_timeout = absl::Seconds(30);
  // kafka (alerts produced to a topic, keyed by actor user)
  std::vector<std::string> brokers;               // host:port list
  std::string topic;                              // destination topic
  std::map<std::string, std::string> properties;  // librdkafka properties (SASL, SSL, ...)
};

// log: kaudit's own log lines on stderr (flags --log-format and --log-level override it).
struct LogConfig {
  LogFormat format = LogFormat::kText;  // log.format: text | json
  LogLevel level = LogLevel::kInfo;     // log.level: debug | info | warning | error
};

// kafka: the consumer of `kaudit consume` (flags --brokers --topic --group override it), and
// the producer of `kaudit serve` forwarding (flags --brokers --forward-to --no-detect).
struct KafkaConfig {
  std::vector<std::string> brokers;                   // kafka.brokers: host:port list
  std::vector<std::string> topics;                    // kafka.topics
  std::string group_id = "kaudit";                    // kafka.group_id
  std::map<std::string, std::string> properties;      // kafka.properties: passed to librdkafka
  absl::Duration revoke_timeout = absl::Seconds(60);  // kafka.revoke_timeout
  std::string forward_to;     // kafka.forward_to: serve produces accepted events to this topic
  bool forward_only = false;  // kafka.forward_only: ... and runs no detectors (the edge)
};

// serve: the audit webhook backend of `kaudit serve`; each key's flag (--listen for listen,
// --tls-cert for tls_cert, ...) overrides it when given.
struct ServeConfig {
  std::string listen = "0.0.0.0:8443";  // host:port; port 0 picks a free one
  std::string path = "/audit";
  std::string tls_cert, tls_key;  // PEM files; required unless insecure_http
  std::string client_ca;          // require client certificates signed by this CA bundle
  std::string token_file;         // require "Authorization: Bearer <token>"
  bool insecure_http = false;
  uint64_t max_body_bytes = 32ull << 20;
  absl::Duration read_timeout = absl::Seconds(10);
  absl::Duration ack_timeout = absl::Seconds(30);
  uint64_t threads = 8;           // connections served at once
  uint64_t queue_batches = 1024;  // batches waiting for the engine before 429
  uint64_t queue_bytes = 256ull << 20;
  absl::Duration retry_after = absl::Seconds(1);  // whole seconds, in 429 and 503 answers
  std::string spool_dir;                          // "" = no spool
  std::string spool_fsync = "interval";           // always | interval | never
  uint64_t spool_max_file_bytes = 128ull << 20;
  uint64_t spool_max_bytes = 8ull << 30;  // 0 = keep all
};

struct Config {
  std::string cluster_name;  // cluster_name
  InputConfig input;
  EngineConfig engine;
  OutputConfig output;
  std::vector<SinkConfig> sinks;  // more destinations besides `output`
  KafkaConfig kafka;              // kafka: (kaudit consume, kaudit serve --forward-to)
  ServeConfig serve;              // serve: (kaudit serve)
  LogConfig log;                  // log:
  // detectors_dir: a directory of per-detector tunables, one <id>.yaml (or <id>.yml) per
  // detector holding what detectors.<id> would. LoadConfigFile resolves a relative path against
  // the directory of the config file and stores the resolved path here.
  std::string detectors_dir;
  // detectors.<id>.<key> and the files of detectors_dir: per-detector tunables, validated when
  // detectors are built. A detector is configured in one place only.
  std::map<std::string, DetectorParams, std::less<>> detectors;
};

// Loads a config file and the files of its detectors_dir (sorted by name). Errors name the file
// and the key: "kaudit.yaml: input.chunk_bytes: ...", "detectors/pod_exec_attach.yaml: ...".
// Files of detectors_dir whose name is not a detector id are reported by BuildDetectors.
[[nodiscard]] absl::StatusOr<Config> LoadConfigFile(const std::string& path);
// Parses config text named `name` in errors. It does not touch the filesystem: detectors_dir is
// kept as written and its files are not read (LoadConfigFile reads them).
[[nodiscard]] absl::StatusOr<Config> LoadConfigString(std::string_view yaml, std::string_view name);

// Parses sizes such as 1048576, "64KiB", "16MiB", "1GiB" (also KB/MB/GB as powers of 1000).
[[nodiscard]] absl::StatusOr<uint64_t> ParseByteSize(std::string_view s);

}  // namespace kaudit
