#include "src/kafka/kafka_source.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/common/logger.h"
#include "src/common/strings.h"
#include "src/kafka/kafka_client.h"

namespace kaudit {
namespace {

using TopicPartition = std::pair<std::string, int32_t>;

// One consumed message on its way through the pipeline (or to the repartition topic).
struct Pending {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::atomic<bool> done{false};  // the batch was processed (ticket is then set)
  uint64_t ticket = 0;            // alerts to settle before the offset may be stored
  // Repartition mode: the message body (kept to produce it again after a failure) and the
  // delivery reports of its events.
  std::string body;
  std::shared_ptr<DeliveryGroup> group;
};

// A message taken from librdkafka but not yet accepted by the pipeline (queue full).
struct Held {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string body;
};

constexpr size_t kMaxForwardInFlight = 10000;  // repartition: messages awaiting their acks
// --exit-at-eof: without a message for this long, the brokers are asked whether every assigned
// partition is at its end (each query waits up to kEndCheckTimeoutMs).
constexpr auto kEndCheckIdle = std::chrono::seconds(2);
constexpr int kEndCheckTimeoutMs = 2000;

class KafkaSource final : public LiveSource, private KafkaLogRelay {
 public:
  KafkaSource(KafkaSourceOptions options, Context ctx)
      : KafkaLogRelay(ctx.logger, "consumer"), opts_(std::move(options)), ctx_(ctx) {}
  ~KafkaSource() override {
    Stop();
    Close();
  }

  absl::Status Init() {
    std::map<std::string, std::string> defaults = {
        {"client.id", "kaudit"},
        {"auto.offset.reset", "earliest"},  // audit events are not skipped by default
        {"enable.auto.commit", "true"},     // commits what was stored, in the background
        {"auto.commit.interval.ms", "1000"},
        {"queued.max.messages.kbytes", "16384"},  // prefetch bound per partition
    };
    std::map<std::string, std::string> forced = {
        {"group.id", opts_.group_id},
        {"enable.auto.offset.store", "false"},
        {"enable.partition.eof", opts_.exit_at_eof ? "true" : "false"},
    };
    auto conf = NewKafkaConf(opts_.brokers, defaults, opts_.properties, forced, "kafka");
    if (!conf.ok()) return conf.status();
    Install(*conf);
    rd_kafka_conf_set_rebalance_cb(*conf, &KafkaSource::RebalanceCb);
    rd_kafka_conf_set_error_cb(*conf, &KafkaSource::ErrorCb);
    rd_kafka_conf_set_offset_commit_cb(*conf, &KafkaSource::CommitCb);
    char err[512];
    rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, *conf, err, sizeof(err));
    if (rk_ == nullptr) {
      rd_kafka_conf_destroy(*conf);
      return absl::InvalidArgumentError(absl::StrCat("kafka: cannot create a consumer: ", err));
    }
    rd_kafka_poll_set_consumer(rk_);
    rd_kafka_topic_partition_list_t* topics =
        rd_kafka_topic_partition_list_new(static_cast<int>(opts_.topics.size()));
    for (const std::string& t : opts_.topics) {
      rd_kafka_topic_partition_list_add(topics, t.c_str(), RD_KAFKA_PARTITION_UA);
    }
    rd_kafka_resp_err_t e = rd_kafka_subscribe(rk_, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::InvalidArgumentError(absl::StrCat("kafka: cannot subscribe to ",
                                                     absl::StrJoin(opts_.topics, ","), ": ",
                                                     rd_kafka_err2str(e)));
    }
    ctx_.logger->Info("kafka",
                      absl::StrCat("kafka: consuming ", absl::StrJoin(opts_.topics, ","), " from ",
                                   JoinBrokers(opts_.brokers), " as group ", opts_.group_id,
                                   opts_.forwarder ? absl::StrCat(" (repartition to ",
                                                                  opts_.repartition_topic, ")")
                                                   : std::string()),
                      {LogField("group", opts_.group_id).JsonOnly()});
    return absl::OkStatus();
  }

  absl::Status Start(LivePipeline* pipeline) override {
    pipeline_ = pipeline;
    thread_ = std::thread([this] { Run(); });
    return absl::OkStatus();
  }

  void Stop() override {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (!held_.empty()) {
      ctx_.logger->Info("kafka",
                        absl::StrCat("kafka: ", held_.size(),
                                     " message(s) not yet accepted are left for redelivery"));
      held_.clear();
    }
  }

  // Everything submitted was processed and the sinks flushed: store, commit, leave the group.
  void Finished() override {
    if (rk_ == nullptr) return;
    if (opts_.forwarder) WaitForwards(absl::Seconds(60));
    SettleAndStore();
    Commit("exit");
    Close();
  }

  bool Exhausted() const override { return exhausted_.load(); }

  void AppendMetrics(std::vector<SourceMetric>& out) const override {
    out.push_back({"kaudit_kafka_messages_total",
                   "Kafka messages consumed",
                   false,
                   {},
                   static_cast<double>(messages_.load())});
    out.push_back({"kaudit_kafka_offsets_stored_total",
                   "Kafka messages acknowledged (offset stored after their alerts settled)",
                   false,
                   {},
                   static_cast<double>(stored_.load())});
    out.push_back({"kaudit_kafka_rebalances_total",
                   "Consumer group rebalances (assignments and revocations)",
                   false,
                   {},
                   static_cast<double>(rebalances_.load())});
    out.push_back({"kaudit_kafka_paused",
                   "1 while the assigned partitions are paused because the engine queue is full",
                   true,
                   {},
                   paused_.load() ? 1.0 : 0.0});
    out.push_back({"kaudit_kafka_redelivery_released_total",
                   "Messages taken but not accepted when their partition was revoked or the "
                   "process stopped (consumed again from the committed offset)",
                   false,
                   {},
                   static_cast<double>(released_.load())});
    std::lock_guard<std::mutex> l(mu_);
    out.push_back({"kaudit_kafka_assigned_partitions",
                   "Partitions assigned to this consumer",
                   true,
                   {},
                   static_cast<double>(assignment_.size())});
    for (const auto& [tp, lag] : lag_) {
      out.push_back({"kaudit_kafka_consumer_lag",
                     "Messages behind the partition's end (high watermark - position)",
                     true,
                     {{"topic", tp.first}, {"partition", absl::StrCat(tp.second)}},
                     static_cast<double>(lag)});
    }
    for (const auto& [tp, offset] : committed_) {
      out.push_back({"kaudit_kafka_committed_offset",
                     "Offset this member last committed for a partition it holds (where the "
                     "partition's next owner would start)",
                     true,
                     {{"topic", tp.first}, {"partition", absl::StrCat(tp.second)}},
                     static_cast<double>(offset)});
    }
    for (const auto& [kind, n] : errors_) {
      out.push_back({"kaudit_kafka_errors_total",
                     "Kafka client errors by kind",
                     false,
                     {{"kind", kind}},
                     static_cast<double>(n)});
    }
    if (opts_.forwarder) opts_.forwarder->AppendMetrics(out);
  }

 private:
  void Run() {
    auto last_lag = std::chrono::steady_clock::now();
    auto last_message = last_lag, last_end_check = last_lag;
    while (!stop_.load() && !exhausted_.load()) {
      SettleAndStore();
      if (!held_.empty() && OfferHeld()) Pause(false);
      const int timeout_ms = !held_.empty() ? 5 : !pending_.empty() ? 10 : 100;
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, timeout_ms);
      if (m != nullptr) {
        HandleMessage(m);
        rd_kafka_message_destroy(m);
      }
      if (m != nullptr) last_message = std::chrono::steady_clock::now();
      if (opts_.exit_at_eof && held_.empty()) {
        bool all = false;
        {
          std::lock_guard<std::mutex> l(mu_);
          all = !assignment_.empty();
          for (const auto& tp : assignment_) all = all && eof_.count(tp) > 0;
        }
        // librdkafka emits PARTITION_EOF only when a fetch reaches the end; when no message
        // came for a while, ask the brokers instead (a partition already at its end whose
        // fetcher never reported it kept a catch-up run waiting for good).
        const auto now = std::chrono::steady_clock::now();
        if (!all && now - last_message > kEndCheckIdle && now - last_end_check > kEndCheckIdle) {
          last_end_check = now;
          all = AllAssignedAtEnd();
        }
        if (all) {
          ctx_.logger->Info("kafka",
                            "kafka: every assigned partition reached its end (--exit-at-eof)");
          exhausted_ = true;
        }
      }
      auto now = std::chrono::steady_clock::now();
      if (now - last_lag > std::chrono::milliseconds(500)) {
        UpdateLag();
        last_lag = now;
      }
    }
    UpdateLag();
  }

  void HandleMessage(rd_kafka_message_t* m) {
    const std::string topic = m->rkt != nullptr ? rd_kafka_topic_name(m->rkt) : "";
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      std::lock_guard<std::mutex> l(mu_);
      eof_.insert({topic, m->partition});
      return;
    }
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      CountError("consume", absl::StrCat("kafka: consume error ", topic, "[", m->partition,
                                         "]: ", rd_kafka_message_errstr(m)));
      return;
    }
    messages_.fetch_add(1, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> l(mu_);
      eof_.erase({topic, m->partition});
    }
    Held h{topic, m->partition, m->offset,
           std::string(static_cast<const char*>(m->payload), m->len)};
    if (!held_.empty() || !Offer(h)) {
      held_.push_back(std::move(h));
      Pause(true);
    }
  }

  // Submits held messages in order; true once none is left.
  bool OfferHeld() {
    while (!held_.empty()) {
      if (!Offer(held_.front())) return false;
      held_.pop_front();
    }
    return true;
  }

  // Hands one message to the pipeline (or the forwarder); false when it has no room.
  bool Offer(Held& h) {
    auto p = std::make_shared<Pending>();
    p->topic = h.topic;
    p->partition = h.partition;
    p->offset = h.offset;
    if (opts_.forwarder) {
      if (pending_.size() >= kMaxForwardInFlight) return false;
      p->body = std::move(h.body);
      Forward(*p);
      pending_.push_back(std::move(p));
      return true;
    }
    Batch b;
    b.data = std::move(h.body);
    b.source = absl::StrCat("kafka ", h.topic, "[", h.partition, "]@", h.offset);
    b.done = [p](const BatchResult& r) {
      p->ticket = r.alert_ticket;
      p->done.store(true, std::memory_order_release);
    };
    if (!pipeline_->TrySubmit(b)) {
      h.body = std::move(b.data);  // left untouched by a refusal; keep the bytes
      return false;
    }
    pending_.push_back(std::move(p));
    return true;
  }

  void Forward(Pending& p) {
    p.group = EventForwarder::NewGroup();
    auto r = opts_.forwarder->Produce(
        p.body, absl::StrCat("kafka ", p.topic, "[", p.partition, "]@", p.offset), p.group);
    if (!r.ok()) CountError("produce", absl::StrCat("kafka: repartition: ", r.status().message()));
  }

  // True when the message's work is complete: processed and its alerts settled, or (repartition)
  // every event acknowledged. A failed forward is produced again.
  bool Settled(Pending& p) {
    if (opts_.forwarder) {
      absl::Status s;
      if (!p.group->Finished(&s)) return false;
      if (s.ok()) return true;
      CountError("produce", absl::StrCat("kafka: repartition ", p.topic, "[", p.partition, "]@",
                                         p.offset, ": ", s.message(), " (producing again)"));
      Forward(p);
      return false;
    }
    if (!p.done.load(std::memory_order_acquire)) return false;
    return pipeline_->sink()->WaitSettled(p.ticket, absl::ZeroDuration());
  }

  // Stores the offsets of the completed messages at the front (the pipeline completes in
  // order, so the front is the oldest).
  void SettleAndStore() {
    std::map<TopicPartition, int64_t> next;
    while (!pending_.empty() && Settled(*pending_.front())) {
      const Pending& p = *pending_.front();
      next[{p.topic, p.partition}] = p.offset + 1;
      pending_.pop_front();
      stored_.fetch_add(1, std::memory_order_relaxed);
    }
    if (next.empty()) return;
    rd_kafka_topic_partition_list_t* list =
        rd_kafka_topic_partition_list_new(static_cast<int>(next.size()));
    for (const auto& [tp, off] : next) {
      rd_kafka_topic_partition_list_add(list, tp.first.c_str(), tp.second)->offset = off;
    }
    rd_kafka_resp_err_t e = rd_kafka_offsets_store(rk_, list);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      CountError("offset_store",
                 absl::StrCat("kafka: cannot store offsets: ", rd_kafka_err2str(e)));
    }
    for (int i = 0; i < list->cnt; ++i) {
      if (list->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        CountError("offset_store", absl::StrCat("kafka: cannot store the offset of ",
                                                list->elems[i].topic, "[", list->elems[i].partition,
                                                "]: ", rd_kafka_err2str(list->elems[i].err)));
      }
    }
    rd_kafka_topic_partition_list_destroy(list);
  }

  // Waits (bounded) until every pending message completed, storing offsets as they do.
  void WaitPending(absl::Duration timeout) {
    const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(timeout);
    while (true) {
      SettleAndStore();
      if (pending_.empty()) return;
      if (std::chrono::steady_clock::now() > deadline) {
        ctx_.logger->Warning(
            "kafka", absl::StrCat("kafka: ", pending_.size(),
                                  " message(s) not settled in time; they will be consumed again"));
        pending_.clear();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  void WaitForwards(absl::Duration timeout) { WaitPending(timeout); }

  void Commit(std::string_view why) {
    rd_kafka_resp_err_t e = rd_kafka_commit(rk_, nullptr, 0);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR__NO_OFFSET) {
      CountError("commit",
                 absl::StrCat("kafka: commit (", ToAbsl(why), "): ", rd_kafka_err2str(e)));
    }
  }

  void Pause(bool pause) {
    if (paused_.load() == pause) return;
    rd_kafka_topic_partition_list_t* list = nullptr;
    if (rd_kafka_assignment(rk_, &list) != RD_KAFKA_RESP_ERR_NO_ERROR || list == nullptr) return;
    if (pause) {
      rd_kafka_pause_partitions(rk_, list);
    } else {
      rd_kafka_resume_partitions(rk_, list);
    }
    rd_kafka_topic_partition_list_destroy(list);
    paused_ = pause;
  }

  static void RebalanceCb(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* parts, void* opaque) {
    static_cast<KafkaSource*>(FromOpaque(opaque))->Rebalance(err, parts);
  }

  void Rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts) {
    rebalances_.fetch_add(1, std::memory_order_relaxed);
    std::vector<std::string> names;
    for (int i = 0; i < parts->cnt; ++i) {
      names.push_back(absl::StrCat(parts->elems[i].topic, "[", parts->elems[i].partition, "]"));
    }
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      rd_kafka_assign(rk_, parts);
      // A partition paused by us before a revocation stays paused in librdkafka: resume
      // explicitly, unless we are still waiting for room (then the new partitions wait too).
      if (!held_.empty()) {
        rd_kafka_pause_partitions(rk_, parts);
        paused_ = true;
      } else {
        rd_kafka_resume_partitions(rk_, parts);
      }
      std::lock_guard<std::mutex> l(mu_);
      assignment_.clear();
      eof_.clear();
      for (int i = 0; i < parts->cnt; ++i) {
        assignment_.emplace_back(parts->elems[i].topic, parts->elems[i].partition);
      }
      // What this member committed for partitions it holds again stays true (an eager
      // rebalance revokes everything first); the others' commits are no longer ours to show.
      std::erase_if(committed_, [&](const auto& kv) {
        return std::find(assignment_.begin(), assignment_.end(), kv.first) == assignment_.end();
      });
      ctx_.logger->Info("kafka", absl::StrCat("kafka: assigned ", parts->cnt,
                                              " partition(s): ", absl::StrJoin(names, " ")));
      return;
    }
    // Revoked: what was taken but not accepted is released (it is consumed again from the
    // committed offset by the next owner); what was accepted is processed, its alerts settled,
    // its offsets stored and committed before the partitions go.
    released_.fetch_add(held_.size(), std::memory_order_relaxed);
    held_.clear();
    if (paused_.load()) rd_kafka_resume_partitions(rk_, parts);
    WaitPending(opts_.revoke_timeout);
    Commit("revoke");
    rd_kafka_assign(rk_, nullptr);
    paused_ = false;
    {
      std::lock_guard<std::mutex> l(mu_);
      assignment_.clear();
      eof_.clear();
      lag_.clear();
    }
    ctx_.logger->Info("kafka",
                      absl::StrCat("kafka: revoked ", parts->cnt,
                                   " partition(s) after committing: ", absl::StrJoin(names, " ")));
  }

  // Results of the background (auto) commits and of Commit(), served by the poll thread.
  static void CommitCb(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                       rd_kafka_topic_partition_list_t* offsets, void* opaque) {
    if (offsets == nullptr) return;
    auto* self = static_cast<KafkaSource*>(FromOpaque(opaque));
    std::lock_guard<std::mutex> l(self->mu_);
    for (int i = 0; i < offsets->cnt; ++i) {
      const auto& el = offsets->elems[i];
      if (el.err != RD_KAFKA_RESP_ERR_NO_ERROR || el.offset < 0) continue;
      self->committed_[{el.topic, el.partition}] = el.offset;
    }
  }

  static void ErrorCb(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    auto* self = static_cast<KafkaSource*>(FromOpaque(opaque));
    const auto e = static_cast<rd_kafka_resp_err_t>(err);
    std::string kind = e == RD_KAFKA_RESP_ERR__TRANSPORT          ? "transport"
                       : e == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ? "all_brokers_down"
                       : e == RD_KAFKA_RESP_ERR__AUTHENTICATION   ? "authentication"
                       : e == RD_KAFKA_RESP_ERR__SSL              ? "ssl"
                       : e == RD_KAFKA_RESP_ERR__RESOLVE          ? "resolve"
                                                                  : "client";
    self->CountError(kind, absl::StrCat("kafka: ", rd_kafka_err2name(e), ": ", reason));
  }

  void CountError(const std::string& kind, std::string_view message) {
    {
      std::lock_guard<std::mutex> l(mu_);
      ++errors_[kind];
    }
    ctx_.logger->LogLimited(error_log_, LogLevel::kWarning, "kafka", message,
                            {LogField("kind", kind).JsonOnly()});
  }

  void UpdateLag() {
    std::vector<TopicPartition> assigned;
    {
      std::lock_guard<std::mutex> l(mu_);
      assigned = assignment_;
    }
    if (assigned.empty()) return;
    rd_kafka_topic_partition_list_t* list =
        rd_kafka_topic_partition_list_new(static_cast<int>(assigned.size()));
    for (const auto& tp : assigned) {
      rd_kafka_topic_partition_list_add(list, tp.first.c_str(), tp.second);
    }
    rd_kafka_position(rk_, list);
    std::map<TopicPartition, int64_t> lag;
    for (int i = 0; i < list->cnt; ++i) {
      const auto& el = list->elems[i];
      int64_t lo = -1, hi = -1;
      if (rd_kafka_get_watermark_offsets(rk_, el.topic, el.partition, &lo, &hi) !=
              RD_KAFKA_RESP_ERR_NO_ERROR ||
          hi < 0) {
        continue;
      }
      const int64_t pos = el.offset >= 0 ? el.offset : lo;
      if (pos < 0) continue;
      lag[{el.topic, el.partition}] = std::max<int64_t>(0, hi - pos);
    }
    rd_kafka_topic_partition_list_destroy(list);
    std::lock_guard<std::mutex> l(mu_);
    lag_ = std::move(lag);
  }

  // --exit-at-eof's check with the brokers: every assigned partition's position (or, before
  // its first fetch, its committed offset; else the log start, as auto.offset.reset=earliest
  // would) has reached the partition's high watermark. False when any query fails.
  bool AllAssignedAtEnd() {
    std::vector<TopicPartition> assigned;
    {
      std::lock_guard<std::mutex> l(mu_);
      assigned = assignment_;
    }
    if (assigned.empty()) return false;
    auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(assigned.size()));
    for (const auto& tp : assigned) {
      rd_kafka_topic_partition_list_add(list, tp.first.c_str(), tp.second);
    }
    rd_kafka_position(rk_, list);
    auto* committed = rd_kafka_topic_partition_list_copy(list);
    bool all = rd_kafka_committed(rk_, committed, kEndCheckTimeoutMs) == RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int i = 0; all && i < list->cnt; ++i) {
      const auto& el = list->elems[i];
      int64_t lo = -1, hi = -1;
      if (rd_kafka_query_watermark_offsets(rk_, el.topic, el.partition, &lo, &hi,
                                           kEndCheckTimeoutMs) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        all = false;
        break;
      }
      int64_t pos = el.offset;
      if (pos < 0) pos = committed->elems[i].offset;
      if (pos < 0) pos = lo;
      all = pos >= hi;
    }
    rd_kafka_topic_partition_list_destroy(committed);
    rd_kafka_topic_partition_list_destroy(list);
    return all;
  }

  void Close() {
    if (rk_ == nullptr) return;
    rd_kafka_consumer_close(rk_);
    rd_kafka_destroy(rk_);
    rk_ = nullptr;
  }

  KafkaSourceOptions opts_;
  const Context ctx_;
  rd_kafka_t* rk_ = nullptr;
  LivePipeline* pipeline_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> exhausted_{false};
  std::atomic<bool> paused_{false};
  // Owned by the poll thread (and the rebalance callback, which runs on it; Finished runs
  // after it ended).
  std::deque<Held> held_;
  std::deque<std::shared_ptr<Pending>> pending_;
  // Shared with /metrics.
  std::atomic<uint64_t> messages_{0}, stored_{0}, rebalances_{0}, released_{0};
  mutable std::mutex mu_;
  std::vector<TopicPartition> assignment_;
  std::set<TopicPartition> eof_;
  std::map<TopicPartition, int64_t> lag_;
  // This member's last successful commit per partition it holds (or held until the next
  // assignment).
  std::map<TopicPartition, int64_t> committed_;
  std::map<std::string, uint64_t> errors_;
  LogLimiter error_log_{20};
};

}  // namespace

absl::StatusOr<std::unique_ptr<LiveSource>> NewKafkaSource(KafkaSourceOptions options,
                                                           Context ctx) {
  if (options.brokers.empty()) {
    return absl::InvalidArgumentError("kafka.brokers: required (or --brokers)");
  }
  if (options.topics.empty()) {
    return absl::InvalidArgumentError("kafka.topics: required (or --topic)");
  }
  auto source = std::make_unique<KafkaSource>(std::move(options), ctx);
  if (absl::Status s = source->Init(); !s.ok()) return s;
  return source;
}

}  // namespace kaudit
