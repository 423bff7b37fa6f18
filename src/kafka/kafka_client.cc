#include "src/kafka/kafka_client.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/common/rate_limited_log.h"
#include "src/common/strings.h"

namespace kaudit {

std::string JoinBrokers(const std::vector<std::string>& brokers) {
  return absl::StrJoin(brokers, ",");
}

absl::StatusOr<rd_kafka_conf_t*> NewKafkaConf(const std::vector<std::string>& brokers,
                                              const std::map<std::string, std::string>& defaults,
                                              const std::map<std::string, std::string>& properties,
                                              const std::map<std::string, std::string>& forced,
                                              std::string_view what) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  auto set = [&](const std::string& k, const std::string& v) -> absl::Status {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
      return absl::InvalidArgumentError(
          absl::StrCat(ToAbsl(what), ".properties.", k, ": ", static_cast<const char*>(err)));
    }
    return absl::OkStatus();
  };
  absl::Status s = set("bootstrap.servers", JoinBrokers(brokers));
  for (const auto& [k, v] : defaults) {
    if (s.ok()) s = set(k, v);
  }
  for (const auto& [k, v] : properties) {
    if (s.ok()) s = set(k, v);
  }
  for (const auto& [k, v] : forced) {
    if (s.ok()) s = set(k, v);
  }
  if (!s.ok()) {
    rd_kafka_conf_destroy(conf);
    return s;
  }
  return conf;
}

void KafkaLogRelay::Install(rd_kafka_conf_t* conf) {
  rd_kafka_conf_set_opaque(conf, this);
  if (logger_ != nullptr) rd_kafka_conf_set_log_cb(conf, &KafkaLogRelay::LogCb);
}

void KafkaLogRelay::LogCb(const rd_kafka_t* rk, int level, const char* facility, const char* buf) {
  // rd_kafka_opaque takes a non-const handle but only reads it.
  void* opaque = rd_kafka_opaque(const_cast<rd_kafka_t*>(rk));
  if (opaque == nullptr) return;
  FromOpaque(opaque)->Relay(level, facility != nullptr ? facility : "", buf != nullptr ? buf : "");
}

void KafkaLogRelay::Relay(int level, std::string_view facility, std::string_view message) {
  if (logger_ == nullptr) return;
  const LogLevel l = level <= 3   ? LogLevel::kError
                     : level == 4 ? LogLevel::kWarning
                                  : LogLevel::kInfo;
  const std::string msg =
      absl::StrCat("librdkafka (", client_, "): ", ToAbsl(facility), ": ", ToAbsl(message));
  const std::initializer_list<LogField> fields = {LogField("client", client_).JsonOnly(),
                                                  LogField("facility", facility).JsonOnly(),
                                                  LogField("syslog_level", level).JsonOnly()};
  if (level >= 7) {
    // Asked for with the `debug` property: every line.
    logger_->Log(l, "rdkafka", msg, fields);
  } else {
    logger_->LogLimited(limiter_, l, "rdkafka", msg, fields);
  }
}

void DeliveryGroup::Report(rd_kafka_resp_err_t err) {
  std::lock_guard<std::mutex> l(mu_);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (failed_++ == 0) first_error_ = rd_kafka_err2str(err);
  }
  if (--outstanding_ == 0) cv_.notify_all();
}

absl::Status DeliveryGroup::Wait(absl::Duration timeout) {
  std::unique_lock<std::mutex> l(mu_);
  const bool done =
      cv_.wait_for(l, absl::ToChronoMilliseconds(timeout), [&] { return outstanding_ == 0; });
  if (!done) {
    return absl::DeadlineExceededError(absl::StrCat(outstanding_,
                                                    " message(s) without a delivery report after ",
                                                    absl::FormatDuration(timeout)));
  }
  if (failed_ > 0) {
    return absl::UnavailableError(
        absl::StrCat(failed_, " message(s) not delivered: ", first_error_));
  }
  return absl::OkStatus();
}

bool DeliveryGroup::Finished(absl::Status* result) {
  std::lock_guard<std::mutex> l(mu_);
  if (outstanding_ > 0) return false;
  *result = failed_ == 0 ? absl::OkStatus()
                         : absl::UnavailableError(
                               absl::StrCat(failed_, " message(s) not delivered: ", first_error_));
  return true;
}

absl::StatusOr<std::unique_ptr<KafkaProducer>> KafkaProducer::Create(KafkaProducerOptions o) {
  const std::string timeout_ms = absl::StrCat(absl::ToInt64Milliseconds(o.timeout));
  auto conf = NewKafkaConf(
      o.brokers, {{"linger.ms", "5"}, {"client.id", "kaudit"}}, o.properties,
      {{"enable.idempotence", "true"}, {"acks", "all"}, {"message.timeout.ms", timeout_ms}},
      o.name);
  if (!conf.ok()) return conf.status();
  std::unique_ptr<KafkaProducer> p(new KafkaProducer(std::move(o)));
  rd_kafka_conf_set_dr_msg_cb(*conf, &KafkaProducer::OnDelivery);
  p->Install(*conf);
  char err[512];
  p->rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, *conf, err, sizeof(err));
  if (p->rk_ == nullptr) {
    rd_kafka_conf_destroy(*conf);
    return absl::InvalidArgumentError(
        absl::StrCat(p->opts_.name, ": cannot create a Kafka producer: ", err));
  }
  p->topic_ = rd_kafka_topic_new(p->rk_, p->opts_.topic.c_str(), nullptr);
  if (p->topic_ == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(p->opts_.name, ".topic: ", p->opts_.topic, ": ",
                                                   rd_kafka_err2str(rd_kafka_last_error())));
  }
  KafkaProducer* raw = p.get();
  p->poller_ = std::thread([raw] {
    while (!raw->stop_.load()) rd_kafka_poll(raw->rk_, 100);
  });
  return p;
}

KafkaProducer::~KafkaProducer() {
  if (rk_ != nullptr) {
    rd_kafka_flush(rk_, static_cast<int>(absl::ToInt64Milliseconds(opts_.timeout)));
    // Whatever is left gets a (failed) report, so no group waits forever.
    rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(rk_, 1000);
  }
  stop_ = true;
  if (poller_.joinable()) poller_.join();
  if (topic_ != nullptr) rd_kafka_topic_destroy(topic_);
  if (rk_ != nullptr) rd_kafka_destroy(rk_);
}

void KafkaProducer::OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* self = static_cast<KafkaProducer*>(FromOpaque(opaque));
  auto* group = static_cast<std::shared_ptr<DeliveryGroup>*>(m->_private);
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    self->produced_.fetch_add(1, std::memory_order_relaxed);
  } else {
    self->failed_.fetch_add(1, std::memory_order_relaxed);
  }
  if (group != nullptr) {
    (*group)->Report(m->err);
    delete group;
  }
}

absl::Status KafkaProducer::Produce(const std::shared_ptr<DeliveryGroup>& group,
                                    std::string_view key, std::string_view value) {
  const auto deadline =
      std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(opts_.timeout);
  auto* ref = new std::shared_ptr<DeliveryGroup>(group);
  group->Add();
  while (true) {
    int rc = rd_kafka_produce(topic_, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
                              const_cast<char*>(value.data()), value.size(),
                              key.empty() ? nullptr : key.data(), key.size(), ref);
    if (rc == 0) return absl::OkStatus();
    rd_kafka_resp_err_t err = rd_kafka_last_error();
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || std::chrono::steady_clock::now() > deadline) {
      group->Report(err);
      delete ref;
      return absl::UnavailableError(absl::StrCat(opts_.name, ": cannot produce to ", opts_.topic,
                                                 ": ", rd_kafka_err2str(err)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // the poller frees room
  }
}

absl::Status KafkaProducer::Wait(DeliveryGroup& group) {
  // message.timeout.ms bounds every report; the margin covers the poller's latency.
  absl::Status s = group.Wait(opts_.timeout + absl::Seconds(5));
  if (!s.ok()) {
    return absl::Status(s.code(),
                        absl::StrCat(opts_.name, ": topic ", opts_.topic, ": ", s.message()));
  }
  return s;
}

}  // namespace kaudit
