#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/sinks/alert_format.h"
#include "src/sinks/queued_sink.h"

namespace kaudit {

class Logger;

// Alerts produced to a Kafka topic: one message per alert in the sink's format, keyed by the
// actor (user.username), by an idempotent producer with acks=all. Deliver() returns once every
// message of the batch has its delivery report; any failure fails the batch, so QueuedSink
// retries it (and counts the attempt). A retried batch may repeat alerts that were written
// before the failure (at-least-once).
struct KafkaTransportOptions {
  std::string name;                // sink name, for errors
  const Logger* logger = nullptr;  // librdkafka's log lines (null: librdkafka's stderr)
  std::vector<std::string> brokers;
  std::string topic;
  std::map<std::string, std::string> properties;  // passed to librdkafka (SASL, SSL, ...)
  AlertFormat format = AlertFormat::kJson;
  FormatOptions format_options;
  absl::Duration timeout = absl::Seconds(10);  // per delivery (message.timeout.ms)
};
[[nodiscard]] absl::StatusOr<std::unique_ptr<Transport>> NewKafkaTransport(
    KafkaTransportOptions options);

}  // namespace kaudit
