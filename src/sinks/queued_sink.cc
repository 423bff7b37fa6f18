#include "src/sinks/queued_sink.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "src/common/rate_limited_log.h"
#include "src/common/strings.h"

namespace kaudit {

QueuedSink::QueuedSink(QueuedSinkOptions options, std::unique_ptr<Transport> transport)
    : opts_(std::move(options)), transport_(std::move(transport)) {
  stats_.name = opts_.name;
  if (opts_.batch_max == 0) opts_.batch_max = 1;
  if (opts_.queue_max == 0) opts_.queue_max = 1;
  worker_ = std::thread([this] { Run(); });
}

QueuedSink::~QueuedSink() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  drained_.notify_all();
  if (worker_.joinable()) worker_.join();
}

bool QueuedSink::Wanted(const Alert& a) const {
  if (a.severity < opts_.min_severity) return false;
  return opts_.detectors.empty() || opts_.detectors.count(a.detector_id) > 0;
}

absl::Status QueuedSink::Send(std::span<const Alert> alerts) {
  std::unique_lock<std::mutex> l(mu_);
  for (const Alert& a : alerts) {
    if (!Wanted(a)) {
      ++stats_.filtered;
      continue;
    }
    if (queue_.size() >= opts_.queue_max) {
      if (opts_.block_when_full) {
        drained_.wait(l, [&] { return queue_.size() < opts_.queue_max || stop_; });
      } else {
        queue_.pop_front();  // the oldest goes: recent alerts matter most
        ++stats_.dropped_queue_full;
      }
    }
    queue_.push_back(a);
    ++stats_.accepted;
  }
  l.unlock();
  cv_.notify_one();
  return absl::OkStatus();
}

void QueuedSink::Run() {
  std::mt19937_64 rng(reinterpret_cast<uintptr_t>(this) ^
                      static_cast<uint64_t>(absl::ToUnixNanos(absl::Now())));
  std::vector<Alert> batch;
  absl::Duration backoff = opts_.retry_initial;
  LogLimiter failures(3);
  std::unique_lock<std::mutex> l(mu_);
  while (true) {
    cv_.wait_for(l, absl::ToChronoNanoseconds(opts_.flush_interval), [&] {
      return stop_ || queue_.size() >= opts_.batch_max || (flush_waiters_ > 0 && !queue_.empty());
    });
    if (queue_.empty()) {
      if (stop_) return;
      continue;
    }
    size_t n = std::min(opts_.batch_max, queue_.size());
    batch.assign(std::make_move_iterator(queue_.begin()),
                 std::make_move_iterator(queue_.begin() + n));
    queue_.erase(queue_.begin(), queue_.begin() + n);
    in_flight_ = n;
    drained_.notify_all();
    l.unlock();

    absl::Status s = transport_->Deliver(batch);

    l.lock();
    if (s.ok()) {
      stats_.sent += n;
      ++stats_.batches;
      backoff = opts_.retry_initial;
      in_flight_ = 0;
      drained_.notify_all();
      continue;
    }
    // Failed: put the batch back in front (unless newer alerts filled the buffer meanwhile,
    // in which case the oldest are dropped and counted) and wait before retrying.
    ++stats_.retries;
    if (failures.ShouldLog()) {
      LogLine("warning", ToStd(absl::StrCat("sink ", opts_.name,
                                            ": delivery failed, will retry: ", s.message())));
    }
    for (size_t i = n; i-- > 0;) queue_.push_front(std::move(batch[i]));
    while (queue_.size() > opts_.queue_max) {
      queue_.pop_front();
      ++stats_.dropped_queue_full;
    }
    in_flight_ = 0;
    drained_.notify_all();
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    absl::Duration wait = backoff * jitter(rng);
    backoff = std::min(backoff * 2, opts_.retry_max);
    cv_.wait_for(l, absl::ToChronoNanoseconds(wait), [&] { return stop_; });
    if (stop_) return;
  }
}

absl::Status QueuedSink::Flush() {
  std::unique_lock<std::mutex> l(mu_);
  ++flush_waiters_;
  cv_.notify_all();
  bool done = drained_.wait_for(l, absl::ToChronoNanoseconds(opts_.flush_timeout),
                                [&] { return queue_.empty() && in_flight_ == 0; });
  --flush_waiters_;
  if (done) return absl::OkStatus();
  uint64_t left = queue_.size() + in_flight_;
  stats_.dropped_shutdown += queue_.size();
  queue_.clear();
  return absl::UnavailableError(absl::StrCat("sink ", opts_.name, ": ", left,
                                             " alerts not delivered within the flush timeout"));
}

bool QueuedSink::WaitSettled(uint64_t count, absl::Duration timeout) {
  std::unique_lock<std::mutex> l(mu_);
  if (settled() >= count) return true;
  if (timeout <= absl::ZeroDuration()) return false;  // polled: settles within flush_interval
  ++flush_waiters_;
  cv_.notify_all();
  bool done = drained_.wait_for(l, absl::ToChronoNanoseconds(timeout),
                                [&] { return settled() >= count || stop_; });
  --flush_waiters_;
  return done && settled() >= count;
}

SinkStats QueuedSink::stats() const {
  std::lock_guard<std::mutex> l(mu_);
  SinkStats s = stats_;
  s.queue_depth = queue_.size() + in_flight_;
  return s;
}

absl::Status SinkSet::Send(std::span<const Alert> alerts) {
  for (auto& s : sinks_) (void)s->Send(alerts);
  return absl::OkStatus();
}

absl::Status SinkSet::Flush() {
  absl::Status first = absl::OkStatus();
  for (auto& s : sinks_) {
    absl::Status st = s->Flush();
    if (!st.ok() && first.ok()) first = st;
  }
  return first;
}

bool SinkSet::WaitSettled(uint64_t count, absl::Duration timeout) {
  // Every sink sees every alert, so the same count applies to each.
  const absl::Time deadline = absl::Now() + timeout;
  for (auto& s : sinks_) {
    if (!s->WaitSettled(count, std::max(absl::ZeroDuration(), deadline - absl::Now()))) {
      return false;
    }
  }
  return true;
}

std::vector<SinkStats> SinkSet::stats() const {
  std::vector<SinkStats> out;
  for (const auto& s : sinks_) out.push_back(s->stats());
  return out;
}

}  // namespace kaudit
