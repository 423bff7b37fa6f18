#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/common/context.h"
#include "src/kafka/event_forwarder.h"
#include "src/pipeline/live.h"

namespace kaudit {

struct KafkaSourceOptions {
  std::vector<std::string> brokers;
  std::vector<std::string> topics;
  std::string group_id = "kaudit";
  std::map<std::string, std::string> properties;  // passed to librdkafka (SASL, SSL, ...)
  // End once every assigned partition reached its end (batch catch-up, tests).
  bool exit_at_eof = false;
  // On a rebalance, how long to wait for the revoked partitions' batches to be processed and
  // their alerts settled before letting go (what is not settled by then is redelivered).
  absl::Duration revoke_timeout = absl::Seconds(60);
  // Repartition mode: instead of running the detectors, produce every event keyed by its user
  // through this forwarder (offsets are stored once the produce was acknowledged).
  std::shared_ptr<EventForwarder> forwarder;
  std::string repartition_topic;  // for logs
};

// `kaudit consume`: a librdkafka high-level consumer in a consumer group. Each message (an
// Event, an EventList or JSON lines) becomes one Batch. A message's offset is stored only once
// its batch was processed and its alerts settled in every sink (enable.auto.offset.store=false;
// stored offsets are committed in the background and synchronously on revoke and at exit):
// at-least-once. When the engine queue is full the assigned partitions are paused until it has
// room again; nothing is dropped.
[[nodiscard]] absl::StatusOr<std::unique_ptr<LiveSource>> NewKafkaSource(KafkaSourceOptions options,
                                                                         Context ctx);

}  // namespace kaudit
