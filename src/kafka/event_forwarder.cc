#include "src/kafka/event_forwarder.h"

#include <vector>

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

// Skips the JSON value starting at s[i] (after whitespace); returns the index after it. A
// minimal scanner (strings with escapes, nesting): enough to cut valid JSON into values; what
// it cuts wrongly the parser then rejects and counts.
size_t SkipValue(std::string_view s, size_t i) {
  int depth = 0;
  bool in_string = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
        if (depth == 0) return i + 1;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth <= 0) return i + 1;
    } else if (depth == 0 && (c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t')) {
      return i;  // end of a scalar
    }
  }
  return s.size();
}

size_t SkipSpace(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t' ||
                          s[i] == ',' || s[i] == ':')) {
    ++i;
  }
  return i;
}

// The elements of the array starting at s[i] ('[').
void AppendElements(std::string_view s, size_t i, std::vector<std::string_view>& out) {
  i = SkipSpace(s, i + 1);
  while (i < s.size() && s[i] != ']') {
    const size_t end = SkipValue(s, i);
    out.push_back(s.substr(i, end - i));
    i = SkipSpace(s, end);
  }
}

// Cuts a body into single events' texts: each top-level document; an EventList (an object with
// an "items" array) or a JSON array contributes its elements. Events inside a list have no text
// of their own in the parser's view, and each forwarded message must be one whole event.
std::vector<std::string_view> SplitEvents(std::string_view body) {
  std::vector<std::string_view> out;
  size_t i = SkipSpace(body, 0);
  while (i < body.size()) {
    const size_t end = SkipValue(body, i);
    std::string_view doc = body.substr(i, end - i);
    if (!doc.empty() && doc[0] == '[') {
      AppendElements(body, i, out);
    } else if (!doc.empty() && doc[0] == '{') {
      // Look for "items": [ at depth 1.
      size_t j = SkipSpace(doc, 1);
      bool list = false;
      while (j < doc.size() && doc[j] == '"') {
        const size_t key_end = SkipValue(doc, j);
        const std::string_view key = doc.substr(j, key_end - j);
        j = SkipSpace(doc, key_end);
        if (j >= doc.size()) break;
        if (key == "\"items\"" && doc[j] == '[') {
          AppendElements(body, i + j, out);
          list = true;
          break;
        }
        j = SkipSpace(doc, SkipValue(doc, j));
      }
      if (!list) out.push_back(doc);
    } else if (!doc.empty()) {
      out.push_back(doc);
    }
    i = SkipSpace(body, end);
  }
  return out;
}

}  // namespace

EventForwarder::EventForwarder(EventForwarderOptions options,
                               std::unique_ptr<KafkaProducer> producer)
    : opts_(std::move(options)), producer_(std::move(producer)) {}

EventForwarder::~EventForwarder() = default;

absl::StatusOr<std::unique_ptr<EventForwarder>> EventForwarder::Create(
    EventForwarderOptions options) {
  KafkaProducerOptions po;
  po.name = options.name;
  po.logger = options.logger;
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
  for (std::string_view piece : SplitEvents(body)) {
    reader.ParseBuffer(piece, name, handler);
    if (!handler.status().ok()) break;
  }
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

void EventForwarder::AppendMetrics(std::vector<SourceMetric>& out) const {
  const ForwarderStats f = stats();
  out.push_back({"kaudit_kafka_forwarded_events_total",
                 "Events produced to the forward (or repartition) topic and acknowledged",
                 false,
                 {},
                 static_cast<double>(f.produced)});
  out.push_back({"kaudit_kafka_forward_failures_total",
                 "Events whose produce failed (produced again, or their request refused)",
                 false,
                 {},
                 static_cast<double>(f.failed)});
  out.push_back({"kaudit_kafka_forward_invalid_total",
                 "Documents that were not valid audit events (not forwarded)",
                 false,
                 {},
                 static_cast<double>(f.invalid)});
}

}  // namespace kaudit
