#include "src/kafka/event_forwarder.h"

#include "absl/strings/str_cat.h"
#include "src/common/strings.h"
#include "src/kafka/kafka_client.h"

namespace kaudit {
namespace {

class ProduceHandler final : public EventHandler {
 public:
  ProduceHandler(KafkaProducer& producer, const std::shared_ptr<DeliveryGroup>& group,
                 ForwardResult& result)
      : producer_(producer), group_(group), result_(result) {}

  void OnEvent(AuditEvent& e) override {
    if (!status_.ok()) return;
    status_ = producer_.Produce(group_, e.username, e.raw);
    if (status_.ok()) ++result_.events;
  }
  void OnInvalid(InvalidReason reason, const Location& where, std::string_view detail,
                 std::string_view raw) override {
    if (result_.invalid++ == 0) {
      result_.first_invalid = absl::StrCat(where.ToString(), ": ",
                                           ToAbsl(InvalidReasonName(reason)), ": ", ToAbsl(detail));
    }
  }
  const absl::Status& status() const { return status_; }

 private:
  KafkaProducer& producer_;
  const std::shared_ptr<DeliveryGroup>& group_;
  ForwardResult& result_;
  absl::Status status_;
};

}  // namespace

EventForwarder::EventForwarder(EventForwarderOptions options,
                               std::unique_ptr<KafkaProducer> producer)
    : opts_(std::move(options)), producer_(std::move(producer)) {}

EventForwarder::~EventForwarder() = default;

absl::StatusOr<std::unique_ptr<EventForwarder>> EventForwarder::Create(
    EventForwarderOptions options) {
  KafkaProducerOptions po;
  po.name = options.name;
  po.brokers = options.brokers;
  po.topic = options.topic;
  po.properties = options.properties;
  po.timeout = options.timeout;
  auto producer = KafkaProducer::Create(std::move(po));
  if (!producer.ok()) return producer.status();
  return std::unique_ptr<EventForwarder>(
      new EventForwarder(std::move(options), std::move(*producer)));
}

std::shared_ptr<DeliveryGroup> EventForwarder::NewGroup() {
  return std::make_shared<DeliveryGroup>();
}

absl::StatusOr<ForwardResult> EventForwarder::Produce(std::string_view body, std::string_view name,
                                                      const std::shared_ptr<DeliveryGroup>& group) {
  ForwardResult result;
  EventReader reader(opts_.reader);
  ProduceHandler handler(*producer_, group, result);
  reader.ParseBuffer(body, name, handler);
  bodies_.fetch_add(1, std::memory_order_relaxed);
  events_.fetch_add(result.events, std::memory_order_relaxed);
  invalid_.fetch_add(result.invalid, std::memory_order_relaxed);
  if (!handler.status().ok()) return handler.status();
  return result;
}

absl::Status EventForwarder::Wait(DeliveryGroup& group) { return producer_->Wait(group); }

absl::StatusOr<ForwardResult> EventForwarder::Forward(std::string_view body,
                                                      std::string_view name) {
  auto group = NewGroup();
  auto result = Produce(body, name, group);
  absl::Status waited = Wait(*group);
  if (!result.ok()) return result.status();
  if (!waited.ok()) return waited;
  return result;
}

ForwarderStats EventForwarder::stats() const {
  KafkaProducerStats p = producer_->stats();
  return {bodies_.load(), events_.load(), invalid_.load(), p.produced, p.failed};
}

}  // namespace kaudit
