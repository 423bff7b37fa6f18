#include "src/pipeline/replay.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/common/logger.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/parse/byte_source.h"
#include "src/parse/event_reader.h"
#include "src/pipeline/engine.h"
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

class Replayer::Impl {
 public:
  Impl(const Config& config, AlertSink* sink, Context ctx, std::unique_ptr<Engine> engine)
      : config_(config), sink_(sink), ctx_(ctx), engine_(std::move(engine)) {}

  absl::StatusOr<RunSummary> Run(const ReplayOptions& opts);

 private:
  const Config& config_;
  AlertSink* sink_;
  Context ctx_;
  std::unique_ptr<Engine> engine_;
};

absl::StatusOr<RunSummary> Replayer::Impl::Run(const ReplayOptions& opts) {
  KAUDIT_ASSIGN_OR_RETURN(std::vector<InputFile> files, ExpandInputs(opts.inputs, ctx_));
  engine_->SetTimeRange(opts.since, opts.until);
  RunSummary& summary = engine_->summary();
  const absl::Time start = ctx_.clock->Now();

  ReaderOptions ropts;
  ropts.chunk_bytes = config_.input.chunk_bytes;
  ropts.max_event_bytes = config_.input.max_event_bytes;
  ropts.max_document_bytes = config_.input.max_document_bytes;
  ropts.threads = std::max(1, opts.threads);
  ropts.stage1_thread = false;  // --threads 1 is one thread
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
    reader.set_progress([&](uint64_t consumed) {
      if (progress) progress->Update(done_before + consumed, reader.stats().events);
      if (opts.on_snapshot && ctx_.clock->Now() - last_snapshot >= absl::Milliseconds(250)) {
        last_snapshot = ctx_.clock->Now();
        opts.on_snapshot(engine_->Snapshot(reader.stats(), start));
      }
    });
  }
  for (auto& src : sources) {
    ++summary.inputs;
    if (absl::Status s = reader.Read(*src, *engine_); !s.ok()) {
      ++summary.input_errors;
      ctx_.logger->Error("input",
                         absl::StrCat(s.message(), " (events before this point were processed)"),
                         {LogField("path", src->name()).JsonOnly()});
    }
    done_before += src->consumed_bytes();
    src.reset();  // close as we go
  }
  engine_->Finish();
  if (absl::Status s = sink_->Flush(); !s.ok()) ctx_.logger->Error("sink", ToStd(s.message()));
  if (progress) {
    progress->Update(done_before, reader.stats().events, true);
    progress->Done();
  }
  RunSummary out = engine_->Snapshot(reader.stats(), start);
  engine_->LogNotJudged(out);
  return out;
}

Replayer::Replayer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Replayer::~Replayer() = default;

absl::StatusOr<std::unique_ptr<Replayer>> Replayer::Create(const Config& config, AlertSink* sink,
                                                           Context ctx) {
  KAUDIT_ASSIGN_OR_RETURN(std::unique_ptr<Engine> engine, Engine::Create(config, sink, ctx));
  return std::unique_ptr<Replayer>(
      new Replayer(std::make_unique<Impl>(config, sink, ctx, std::move(engine))));
}

absl::StatusOr<RunSummary> Replayer::Run(const ReplayOptions& options) {
  return impl_->Run(options);
}

}  // namespace kaudit
