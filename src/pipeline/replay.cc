#include "src/pipeline/replay.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "detectors/registry.h"
#include "src/common/rate_limited_log.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/dispatcher.h"
#include "src/parse/byte_source.h"
#include "src/parse/event_reader.h"
#include "src/pipeline/dead_letter.h"
#include "src/pipeline/file_order.h"

namespace kaudit {
namespace {

// A one-line progress bar on stderr: bytes, events/s, ETA. Redrawn at most 4 times a second.
class Progress {
 public:
  Progress(const Clock* clock, uint64_t total_bytes)
      : clock_(clock), total_(total_bytes), start_(clock->Now()) {}

  void Update(uint64_t done_bytes, uint64_t events, bool force = false) {
    absl::Time now = clock_->Now();
    if (!force && now - last_ < absl::Milliseconds(250)) return;
    last_ = now;
    double secs = absl::ToDoubleSeconds(now - start_);
    double rate = secs > 0 ? static_cast<double>(events) / secs : 0;
    double mbps = secs > 0 ? static_cast<double>(done_bytes) / 1e6 / secs : 0;
    std::string line;
    if (total_ > 0) {
      double frac = std::min(1.0, static_cast<double>(done_bytes) / static_cast<double>(total_));
      int filled = static_cast<int>(frac * 30);
      std::string bar(static_cast<size_t>(filled), '#');
      bar.resize(30, '.');
      double eta = frac > 0 ? secs / frac - secs : 0;
      line = absl::StrFormat("\r[%s] %5.1f%% %8.1f/%.1f MB %10.0f ev/s %6.1f MB/s ETA %4.0fs ", bar,
                             frac * 100, static_cast<double>(done_bytes) / 1e6,
                             static_cast<double>(total_) / 1e6, rate, mbps, eta);
    } else {
      line = absl::StrFormat("\r%8.1f MB %10.0f ev/s %6.1f MB/s ",
                             static_cast<double>(done_bytes) / 1e6, rate, mbps);
    }
    std::fputs(line.c_str(), stderr);
  }
  void Done() { std::fputs("\n", stderr); }

 private:
  const Clock* clock_;
  uint64_t total_;
  absl::Time start_;
  absl::Time last_ = absl::InfinitePast();
};

}  // namespace

class Replayer::Impl final : public EventHandler {
 public:
  Impl(const Config& config, AlertSink* sink, Context ctx, std::vector<DetectorSlot> slots)
      : config_(config),
        sink_(sink),
        ctx_(ctx),
        dispatcher_(std::move(slots),
                    DispatcherOptions{config.engine.dedup_entries, config.engine.allowed_lateness,
                                      config.engine.aggregate_max_keys}) {
    for (auto& l : limiters_) l = std::make_unique<LogLimiter>(config.input.error_log_burst);
  }

  absl::StatusOr<RunSummary> Run(const ReplayOptions& opts);

  void OnEvent(AuditEvent& e) override {
    if ((since_ && e.stage_timestamp < *since_) || (until_ && e.stage_timestamp >= *until_)) {
      ++summary_.out_of_range;
      return;
    }
    dispatcher_.Dispatch(e, alerts_);
    if (!alerts_.empty()) Deliver();
  }

  void OnInvalid(InvalidReason reason, const Location& where, std::string_view detail,
                 std::string_view raw) override {
    uint64_t n = 0;
    if (limiters_[static_cast<int>(reason)]->ShouldLog(&n)) {
      LogLine("warning", absl::StrCat(where.ToString(), ": invalid event (",
                                      ToAbsl(InvalidReasonName(reason)), "): ", ToAbsl(detail),
                                      n > config_.input.error_log_burst
                                          ? absl::StrCat(" [", n, " so far; logging less often]")
                                          : ""));
    }
    if (dead_letter_) dead_letter_->Write(reason, where, detail, raw);
  }

 private:
  RunSummary Snapshot(const ReaderStats& stats, absl::Time start) const;

  void Deliver() {
    // Alerts below the output threshold are counted, not written.
    size_t kept = 0;
    for (size_t i = 0; i < alerts_.size(); ++i) {
      if (alerts_[i].severity < config_.output.min_severity) {
        ++summary_.alerts_below_min_severity;
        continue;
      }
      if (kept != i) alerts_[kept] = std::move(alerts_[i]);
      ++kept;
    }
    alerts_.resize(kept);
    if (!alerts_.empty()) {
      if (absl::Status s = sink_->Send(alerts_); !s.ok()) {
        summary_.alerts_sink_failed += alerts_.size();
        if (sink_errors_.ShouldLog()) LogLine("error", absl::StrCat("alert output: ", s.message()));
      } else {
        summary_.alerts_emitted += alerts_.size();
      }
    }
    alerts_.clear();
  }

  const Config& config_;
  AlertSink* sink_;
  Context ctx_;
  Dispatcher dispatcher_;
  std::vector<Alert> alerts_;
  RunSummary summary_;
  std::optional<absl::Time> since_, until_;
  std::array<std::unique_ptr<LogLimiter>, kNumInvalidReasons> limiters_;
  LogLimiter sink_errors_{5};
  std::unique_ptr<DeadLetterWriter> dead_letter_;
};

absl::StatusOr<RunSummary> Replayer::Impl::Run(const ReplayOptions& opts) {
  KAUDIT_ASSIGN_OR_RETURN(std::vector<InputFile> files, ExpandInputs(opts.inputs));
  if (!config_.input.dead_letter_file.empty()) {
    KAUDIT_ASSIGN_OR_RETURN(dead_letter_, DeadLetterWriter::Open(config_.input.dead_letter_file));
  }
  since_ = opts.since;
  until_ = opts.until;
  summary_ = RunSummary();
  const absl::Time start = ctx_.clock->Now();

  ReaderOptions ropts;
  ropts.chunk_bytes = config_.input.chunk_bytes;
  ropts.max_event_bytes = config_.input.max_event_bytes;
  ropts.max_document_bytes = config_.input.max_document_bytes;
  EventReader reader(ropts);

  uint64_t total_bytes = 0;
  std::vector<std::unique_ptr<ByteSource>> sources;
  for (const auto& f : files) {
    KAUDIT_ASSIGN_OR_RETURN(auto src, OpenByteSource(f.path));
    total_bytes += src->total_bytes();
    sources.push_back(std::move(src));
  }
  std::unique_ptr<Progress> progress;
  uint64_t done_before = 0;
  if (opts.progress) progress = std::make_unique<Progress>(ctx_.clock, total_bytes);
  absl::Time last_snapshot = start;
  if (progress || opts.on_snapshot) {
    reader.set_progress([&](const ByteSource& s) {
      if (progress) progress->Update(done_before + s.consumed_bytes(), reader.stats().events);
      if (opts.on_snapshot && ctx_.clock->Now() - last_snapshot >= absl::Milliseconds(250)) {
        last_snapshot = ctx_.clock->Now();
        opts.on_snapshot(Snapshot(reader.stats(), start));
      }
    });
  }
  for (auto& src : sources) {
    ++summary_.inputs;
    if (absl::Status s = reader.Read(*src, *this); !s.ok()) {
      ++summary_.input_errors;
      LogLine("error", absl::StrCat(s.message(), " (events before this point were processed)"));
    }
    done_before += src->consumed_bytes();
    src.reset();  // close as we go
  }
  dispatcher_.Finish(alerts_);
  if (!alerts_.empty()) Deliver();
  if (absl::Status s = sink_->Flush(); !s.ok()) LogLine("error", ToStd(s.message()));
  if (progress) {
    progress->Update(done_before, reader.stats().events, true);
    progress->Done();
  }

  RunSummary out = Snapshot(reader.stats(), start);
  // One line for all detectors that met events without the object they judge.
  std::string not_judged;
  uint64_t most = 0;
  for (const auto& ds : out.detectors) {
    if (ds.not_judged == 0) continue;
    absl::StrAppend(&not_judged, not_judged.empty() ? "" : ", ", ds.id, "=", ds.not_judged);
    most = std::max(most, ds.not_judged);
  }
  if (!not_judged.empty()) {
    LogLine("warning",
            absl::StrCat("up to ", most,
                         " events could not be judged because they carry no request or response "
                         "object (audit level Metadata); raise the audit policy to Request for "
                         "pods, workloads and RBAC. Per detector: ",
                         not_judged));
  }
  return out;
}

RunSummary Replayer::Impl::Snapshot(const ReaderStats& stats, absl::Time start) const {
  RunSummary out = summary_;
  out.reader = stats;
  out.duplicates = dispatcher_.stats().duplicates;
  out.last_event_time = dispatcher_.max_event_time();
  out.dead_letters = dead_letter_ ? dead_letter_->written() : 0;
  out.aggregation_evictions = dispatcher_.aggregator().evictions();
  out.seconds = absl::ToDoubleSeconds(ctx_.clock->Now() - start);
  for (size_t i = 0; i < dispatcher_.num_detectors(); ++i) {
    const Detector& d = dispatcher_.detector(i);
    const DetectorCounters& c = dispatcher_.counters(i);
    DetectorSummary ds;
    ds.id = d.info().id;
    ds.events = c.events;
    ds.allowed = c.allowed;
    ds.alerts = c.alerts;
    ds.not_judged = d.events_not_judged();
    ds.state_entries = d.state_entries();
    ds.state_evictions = d.state_evictions();
    ds.alerts_aggregated = c.aggregated;
    out.detectors.push_back(std::move(ds));
  }
  return out;
}

Replayer::Replayer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Replayer::~Replayer() = default;

absl::StatusOr<std::unique_ptr<Replayer>> Replayer::Create(const Config& config, AlertSink* sink,
                                                           Context ctx) {
  KAUDIT_ASSIGN_OR_RETURN(std::vector<DetectorSlot> slots, BuildDetectors(config.detectors));
  return std::unique_ptr<Replayer>(
      new Replayer(std::make_unique<Impl>(config, sink, ctx, std::move(slots))));
}

absl::StatusOr<RunSummary> Replayer::Run(const ReplayOptions& options) {
  return impl_->Run(options);
}

}  // namespace kaudit
