#pragma once

// Shared librdkafka plumbing for the Kafka components (src/kafka only: nothing else includes
// librdkafka). Configuration from kaudit's config, and a producer that waits for the delivery
// reports of a group of messages.
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/common/logger.h"
#include "src/common/rate_limited_log.h"

namespace kaudit {

// "a:9092,b:9092".
std::string JoinBrokers(const std::vector<std::string>& brokers);

// A librdkafka configuration: `defaults` first, then the user's `properties` (which may override
// them), then `forced` (what kaudit's guarantees rest on). Errors name `what` and the property.
[[nodiscard]] absl::StatusOr<rd_kafka_conf_t*> NewKafkaConf(
    const std::vector<std::string>& brokers, const std::map<std::string, std::string>& defaults,
    const std::map<std::string, std::string>& properties,
    const std::map<std::string, std::string>& forced, std::string_view what);

// Routes librdkafka's own log lines (broker connection failures, group coordinator state, the
// output of the `debug` property) through kaudit's logger, so that they follow --log-format
// (JSON lines stay parseable) and are rate-limited like kaudit's own warnings. The object that
// kaudit hands librdkafka as its opaque derives from this class: Install() sets the opaque to
// this base and the log callback; the other callbacks get the owner back with FromOpaque.
// Levels: syslog 0-3 are errors, 4 warnings, 5-6 info; 7 (debug, only emitted when the
// `debug` property is set) is logged at info so that asking librdkafka for it is enough.
class KafkaLogRelay {
 public:
  // `logger` may be null: librdkafka then prints its lines to stderr itself.
  explicit KafkaLogRelay(const Logger* logger, std::string_view client)
      : logger_(logger), client_(client) {}
  KafkaLogRelay(const KafkaLogRelay&) = delete;
  KafkaLogRelay& operator=(const KafkaLogRelay&) = delete;

  void Install(rd_kafka_conf_t* conf);
  static KafkaLogRelay* FromOpaque(void* opaque) { return static_cast<KafkaLogRelay*>(opaque); }

  // What LogCb writes for one librdkafka line; public for tests.
  void Relay(int level, std::string_view facility, std::string_view message);

 protected:
  ~KafkaLogRelay() = default;

 private:
  static void LogCb(const rd_kafka_t* rk, int level, const char* facility, const char* buf);

  const Logger* logger_;
  std::string client_;  // "consumer", "sink kafka-0", "forward", ...
  LogLimiter limiter_{20};
};

// The delivery reports of one group of produced messages (one sink batch, one forwarded body).
class DeliveryGroup {
 public:
  void Add() {
    std::lock_guard<std::mutex> l(mu_);
    ++outstanding_;
  }
  void Report(rd_kafka_resp_err_t err);
  // Waits until every message was reported or `timeout` passed; error if any failed.
  [[nodiscard]] absl::Status Wait(absl::Duration timeout);
  // Without waiting: true once every message was reported; `*result` then says whether all
  // were delivered.
  bool Finished(absl::Status* result);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t outstanding_ = 0;
  uint64_t failed_ = 0;
  std::string first_error_;
};

struct KafkaProducerOptions {
  std::string name;                // for errors and logs ("sink kafka-0", "repartition")
  const Logger* logger = nullptr;  // librdkafka's log lines (null: librdkafka's stderr)
  std::vector<std::string> brokers;
  std::string topic;
  std::map<std::string, std::string> properties;
  absl::Duration timeout = absl::Seconds(30);  // per message (message.timeout.ms)
};

struct KafkaProducerStats {
  uint64_t produced = 0;  // acknowledged by the brokers (acks=all)
  uint64_t failed = 0;    // delivery reports with an error
};

// An idempotent producer (enable.idempotence=true, acks=all) with a thread serving its
// delivery reports. Thread-safe.
class KafkaProducer : private KafkaLogRelay {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<KafkaProducer>> Create(
      KafkaProducerOptions options);
  ~KafkaProducer();

  // Queues one message (waiting while librdkafka's queue is full, up to the timeout); its
  // delivery report goes to `group`.
  [[nodiscard]] absl::Status Produce(const std::shared_ptr<DeliveryGroup>& group,
                                     std::string_view key, std::string_view value);
  // Waits for the reports of `group` (bounded by the message timeout).
  [[nodiscard]] absl::Status Wait(DeliveryGroup& group);

  KafkaProducerStats stats() const {
    return {produced_.load(std::memory_order_relaxed), failed_.load(std::memory_order_relaxed)};
  }
  const KafkaProducerOptions& options() const { return opts_; }

 private:
  explicit KafkaProducer(KafkaProducerOptions options)
      : KafkaLogRelay(options.logger, options.name), opts_(std::move(options)) {}
  static void OnDelivery(rd_kafka_t* rk, const rd_kafka_message_t* m, void* opaque);

  KafkaProducerOptions opts_;
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_topic_t* topic_ = nullptr;
  std::atomic<bool> stop_{false};
  std::thread poller_;
  std::atomic<uint64_t> produced_{0}, failed_{0};
};

}  // namespace kaudit
