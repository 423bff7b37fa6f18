#include "src/pipeline/live.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "src/common/logger.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/pipeline/engine.h"

namespace kaudit {
namespace {

// Forwards to the engine and remembers the first invalid document of the batch (for the
// webhook's 400 answer).
class BatchHandler final : public EventHandler {
 public:
  explicit BatchHandler(Engine* engine) : engine_(engine) {}
  void Reset(BatchResult* result) { result_ = result; }
  void OnEvent(AuditEvent& e) override { engine_->OnEvent(e); }
  void OnInvalid(InvalidReason reason, const Location& where, std::string_view detail,
                 std::string_view raw) override {
    if (result_->first_detail.empty()) {
      result_->first_reason = reason;
      result_->first_detail = absl::StrCat(where.ToString(), ": ", ToAbsl(detail));
    }
    engine_->OnInvalid(reason, where, detail, raw);
  }

 private:
  Engine* engine_;
  BatchResult* result_ = nullptr;
};

}  // namespace

class LivePipeline::Impl {
 public:
  Impl(const Config& config, AlertSink* sink, Context ctx, LiveOptions options,
       std::unique_ptr<Engine> engine)
      : sink_(sink),
        ctx_(ctx),
        opts_(options),
        engine_(std::move(engine)),
        reader_(ReaderOptions{config.input.chunk_bytes, config.input.max_event_bytes,
                              config.input.max_document_bytes}),
        handler_(engine_.get()),
        start_(ctx.clock->Now()) {
    if (opts_.queue_max_batches == 0) opts_.queue_max_batches = 1;
    snapshot_ = engine_->Snapshot(reader_.stats(), start_);
    worker_ = std::thread([this] { Run(); });
  }

  ~Impl() { Stop(); }

  bool Enqueue(Batch& b, bool wait) {
    std::unique_lock<std::mutex> l(mu_);
    auto fits = [&] {
      // An empty queue takes any batch, so one larger than queue_max_bytes still gets in.
      return queue_.empty() || (queue_.size() < opts_.queue_max_batches &&
                                queue_bytes_ + b.data.size() <= opts_.queue_max_bytes);
    };
    if (wait) {
      room_.wait(l, [&] { return stopping_ || fits(); });
    } else if (!stopping_ && !fits()) {
      ++stats_.rejected_full;
      return false;
    }
    if (stopping_) return false;
    queue_bytes_ += b.data.size();
    queue_.push_back(std::move(b));
    work_.notify_one();
    return true;
  }

  RunSummary Stop() {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (!stopping_) {
        stopping_ = true;
        work_.notify_all();
        room_.notify_all();
      }
    }
    if (worker_.joinable()) worker_.join();
    std::lock_guard<std::mutex> l(snapshot_mu_);
    return snapshot_;
  }

  RunSummary Snapshot() const {
    std::lock_guard<std::mutex> l(snapshot_mu_);
    return snapshot_;
  }

  LiveStats Stats() const {
    std::lock_guard<std::mutex> l(mu_);
    LiveStats s = stats_;
    s.queue_batches = queue_.size();
    s.queue_bytes = queue_bytes_;
    return s;
  }

 private:
  void Run() {
    while (true) {
      Batch b;
      bool idle;
      {
        std::unique_lock<std::mutex> l(mu_);
        work_.wait(l, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) break;  // stopping and drained
        b = std::move(queue_.front());
        queue_.pop_front();
        queue_bytes_ -= b.data.size();
        room_.notify_all();
        idle = queue_.empty();
      }
      Process(b);
      {
        std::lock_guard<std::mutex> l(mu_);
        ++stats_.batches;
      }
      absl::Time now = ctx_.clock->Now();
      if (idle || now - last_snapshot_ >= absl::Milliseconds(250)) Publish(now);
    }
    engine_->Finish();
    if (absl::Status s = sink_->Flush(); !s.ok()) ctx_.logger->Error("sink", ToStd(s.message()));
    RunSummary final_summary = engine_->Snapshot(reader_.stats(), start_);
    engine_->LogNotJudged(final_summary);
    std::lock_guard<std::mutex> l(snapshot_mu_);
    snapshot_ = std::move(final_summary);
  }

  void Process(Batch& b) {
    BatchResult r;
    const ReaderStats before = reader_.stats();
    handler_.Reset(&r);
    reader_.ParseBuffer(b.data, b.source, handler_);
    const ReaderStats& after = reader_.stats();
    r.documents = after.documents - before.documents;
    r.events = after.events - before.events;
    r.invalid = after.invalid_total() - before.invalid_total();
    r.alert_ticket = engine_->alerts_offered();
    if (b.done) b.done(r);
  }

  void Publish(absl::Time now) {
    last_snapshot_ = now;
    RunSummary s = engine_->Snapshot(reader_.stats(), start_);
    std::lock_guard<std::mutex> l(snapshot_mu_);
    snapshot_ = std::move(s);
  }

  AlertSink* sink_;
  Context ctx_;
  LiveOptions opts_;
  std::unique_ptr<Engine> engine_;
  EventReader reader_;
  BatchHandler handler_;
  const absl::Time start_;
  absl::Time last_snapshot_ = absl::InfinitePast();

  mutable std::mutex mu_;
  std::condition_variable work_;  // a batch arrived / stopping
  std::condition_variable room_;  // a batch left the queue / stopping
  std::deque<Batch> queue_;
  uint64_t queue_bytes_ = 0;
  bool stopping_ = false;
  LiveStats stats_;

  mutable std::mutex snapshot_mu_;
  RunSummary snapshot_;

  std::thread worker_;  // last: starts after everything above exists
};

absl::StatusOr<std::unique_ptr<LivePipeline>> LivePipeline::Create(const Config& config,
                                                                   AlertSink* sink, Context ctx,
                                                                   LiveOptions options) {
  KAUDIT_ASSIGN_OR_RETURN(std::unique_ptr<Engine> engine, Engine::Create(config, sink, ctx));
  engine->LogInactiveDetectors();
  return std::unique_ptr<LivePipeline>(new LivePipeline(
      std::make_unique<Impl>(config, sink, ctx, options, std::move(engine)), sink));
}

LivePipeline::LivePipeline(std::unique_ptr<Impl> impl, AlertSink* sink)
    : impl_(std::move(impl)), sink_(sink) {}
LivePipeline::~LivePipeline() = default;

bool LivePipeline::TrySubmit(Batch& batch) { return impl_->Enqueue(batch, false); }
bool LivePipeline::Submit(Batch& batch) { return impl_->Enqueue(batch, true); }
RunSummary LivePipeline::Stop() { return impl_->Stop(); }
RunSummary LivePipeline::Snapshot() const { return impl_->Snapshot(); }
LiveStats LivePipeline::live_stats() const { return impl_->Stats(); }

}  // namespace kaudit
