#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/parse/event_reader.h"
#include "src/pipeline/summary.h"

namespace kaudit {

class Logger;

class KafkaProducer;
class DeliveryGroup;

struct EventForwarderOptions {
  std::string name = "forward";    // for errors and logs
  const Logger* logger = nullptr;  // librdkafka's log lines (null: librdkafka's stderr)
  std::vector<std::string> brokers;
  std::string topic;
  std::map<std::string, std::string> properties;  // passed to librdkafka (SASL, SSL, ...)
  absl::Duration timeout = absl::Seconds(30);     // per message (message.timeout.ms)
  ReaderOptions reader;
};

struct ForwardResult {
  uint64_t events = 0;        // events produced (and acknowledged, after Wait)
  uint64_t invalid = 0;       // documents that were not valid events (not forwarded)
  std::string first_invalid;  // "name:line: reason" of the first one
};

struct ForwarderStats {
  uint64_t bodies = 0;
  uint64_t events = 0;    // events queued to the topic
  uint64_t invalid = 0;   // rejected documents (not forwarded)
  uint64_t produced = 0;  // acknowledged by the brokers
  uint64_t failed = 0;    // delivery failures
};

// Re-keys audit events for the stateful core: parses a body (an Event, an EventList, JSON
// lines: what the webhook receives or Fluent Bit writes) and produces each event's own JSON
// text as one message keyed by user.username, so that every event of one identity lands on one
// partition and is judged by one consumer. Thread-safe; one parser per call.
class EventForwarder {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<EventForwarder>> Create(
      EventForwarderOptions options);
  ~EventForwarder();

  // Parses and produces `body`, then waits until every event of it was acknowledged (acks=all).
  // An error means some events may not have been written: retry the whole body (the consumer
  // side dedups by auditID and stage within its window).
  [[nodiscard]] absl::StatusOr<ForwardResult> Forward(std::string_view body,
                                                      std::string_view name = "body");

  // The same in two steps, to acknowledge many bodies with one wait: Produce queues the events
  // and reports them to `group`; Wait(group) waits for their delivery reports.
  [[nodiscard]] absl::StatusOr<ForwardResult> Produce(std::string_view body, std::string_view name,
                                                      const std::shared_ptr<DeliveryGroup>& group);
  [[nodiscard]] absl::Status Wait(DeliveryGroup& group);
  static std::shared_ptr<DeliveryGroup> NewGroup();

  ForwarderStats stats() const;
  // kaudit_kafka_forwarded_events_total, ..._forward_failures_total, ..._forward_invalid_total.
  void AppendMetrics(std::vector<SourceMetric>& out) const;

 private:
  EventForwarder(EventForwarderOptions options, std::unique_ptr<KafkaProducer> producer);
  EventForwarderOptions opts_;
  std::unique_ptr<KafkaProducer> producer_;
  std::atomic<uint64_t> bodies_{0}, events_{0}, invalid_{0};
};

}  // namespace kaudit
