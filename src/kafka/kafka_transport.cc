#include "src/kafka/kafka_transport.h"

#include "absl/strings/str_cat.h"
#include "src/kafka/kafka_client.h"

namespace kaudit {
namespace {

class KafkaTransport final : public Transport {
 public:
  KafkaTransport(KafkaTransportOptions options, std::unique_ptr<KafkaProducer> producer)
      : opts_(std::move(options)), producer_(std::move(producer)) {}

  absl::Status Deliver(std::span<const Alert> batch) override {
    auto group = std::make_shared<DeliveryGroup>();
    absl::Status first;
    for (const Alert& a : batch) {
      buf_.clear();
      AppendAlert(a, opts_.format, opts_.format_options, buf_);
      while (!buf_.empty() && buf_.back() == '\n') buf_.pop_back();
      absl::Status s = producer_->Produce(group, a.user, buf_);
      if (!s.ok()) {
        first = s;
        break;
      }
    }
    absl::Status waited = producer_->Wait(*group);
    if (!first.ok()) return first;
    return waited;
  }

 private:
  KafkaTransportOptions opts_;
  std::unique_ptr<KafkaProducer> producer_;
  std::string buf_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Transport>> NewKafkaTransport(KafkaTransportOptions options) {
  KafkaProducerOptions po;
  po.name = options.name;
  po.logger = options.logger;
  po.brokers = options.brokers;
  po.topic = options.topic;
  po.properties = options.properties;
  po.timeout = options.timeout;
  auto producer = KafkaProducer::Create(std::move(po));
  if (!producer.ok()) return producer.status();
  return std::make_unique<KafkaTransport>(std::move(options), std::move(*producer));
}

}  // namespace kaudit
