#include "src/pipeline/replay.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/common/logger.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/parse/byte_source.h"
#include "src/parse/event_reader.h"
#include "src/pipeline/engine.h"
#include "src/pipeline/file_order.h"
#include "src/pipeline/replay_checkpoint.h"

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

namespace {

uint64_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

// Reads and drops the first `n` (decompressed) bytes of `src`: the records before a
// checkpoint. gzip has no index to seek with; a plain file is read from the page cache.
absl::Status SkipBytes(ByteSource& src, uint64_t n) {
  std::string buf(1 << 20, '\0');
  const uint64_t want = n;
  while (n > 0) {
    KAUDIT_ASSIGN_OR_RETURN(size_t r,
                            src.Read(buf.data(), static_cast<size_t>(std::min<uint64_t>(
                                                     n, static_cast<uint64_t>(buf.size())))));
    if (r == 0) {
      return absl::DataLossError(absl::StrCat(src.name(), ": ends after ", want - n,
                                              " bytes, before the checkpointed offset ", want));
    }
    n -= r;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RunSummary> Replayer::Impl::Run(const ReplayOptions& opts) {
  KAUDIT_ASSIGN_OR_RETURN(std::vector<InputFile> files, ExpandInputs(opts.inputs, ctx_));
  const bool checkpointing = !opts.checkpoint_path.empty();
  std::vector<ReplayInput> identities;
  std::optional<ReplayCheckpoint> resume;
  if (checkpointing) {
    for (const auto& f : files) {
      if (f.path == "-") {
        return absl::InvalidArgumentError(
            "--checkpoint: standard input cannot be read again after a restart; replay files "
            "(plain or gzip), or leave out --checkpoint");
      }
      KAUDIT_ASSIGN_OR_RETURN(ReplayInput in, IdentifyInput(f.path));
      identities.push_back(std::move(in));
    }
    KAUDIT_ASSIGN_OR_RETURN(resume, ReadReplayCheckpoint(opts.checkpoint_path));
    if (resume.has_value()) {
      KAUDIT_RETURN_IF_ERROR(CheckSameInputs(*resume, identities, opts.checkpoint_path));
      if (resume->output != opts.output_file) {
        return absl::FailedPreconditionError(
            absl::StrCat("--checkpoint ", opts.checkpoint_path, ": written with the alert output ",
                         resume->output.empty() ? "<stdout>" : resume->output, ", not ",
                         opts.output_file.empty() ? "<stdout>" : opts.output_file,
                         ": give the same -o, or remove the checkpoint to replay from the start"));
      }
      // The detectors' learned state as it was at the checkpoint (not engine.state_dir's,
      // which may be newer: it is saved on event time).
      KAUDIT_ASSIGN_OR_RETURN(engine_,
                              Engine::Create(config_, sink_, ctx_, /*load_state_dir=*/false));
      KAUDIT_RETURN_IF_ERROR(engine_->RestoreState(resume->state, opts.checkpoint_path));
      // Alerts written after the checkpoint belong to records that are read again now.
      if (!resume->output.empty()) {
        const uint64_t size = FileSize(resume->output);
        if (size > resume->output_bytes) {
          if (truncate(resume->output.c_str(), static_cast<off_t>(resume->output_bytes)) != 0) {
            return absl::InternalError(
                absl::StrCat("replay: cannot cut ", resume->output,
                             " back to its checkpointed size: ", std::strerror(errno)));
          }
          ctx_.logger->Info(
              "replay",
              absl::StrCat("replay: removed the last ", size - resume->output_bytes, " bytes of ",
                           resume->output, " (alerts after the checkpoint; they are raised again)"),
              {LogField("path", resume->output).JsonOnly()});
        } else if (size < resume->output_bytes) {
          ctx_.logger->Warning("replay",
                               absl::StrCat("replay: ", resume->output,
                                            " is shorter than at the checkpoint (edited?); "
                                            "left as it is"),
                               {LogField("path", resume->output).JsonOnly()});
        }
      }
      const std::string& at = resume->file < files.size() ? files[resume->file].path : "(end)";
      ctx_.logger->Info(
          "replay",
          absl::StrCat("replay: resuming from checkpoint ", opts.checkpoint_path, ": input ",
                       resume->file + 1, " of ", files.size(), " (", at, ") at byte ",
                       resume->offset),
          {LogField("checkpoint", opts.checkpoint_path).JsonOnly(), LogField("file", at).JsonOnly(),
           LogField("offset", resume->offset).JsonOnly()});
    }
  }
  engine_->SetTimeRange(opts.since, opts.until);
  RunSummary& summary = engine_->summary();
  const absl::Time start = ctx_.clock->Now();
  const std::vector<std::pair<std::string, uint64_t>> base =
      resume.has_value() ? resume->counters : std::vector<std::pair<std::string, uint64_t>>{};
  if (resume.has_value()) ++summary.resumes;

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

  // The counters so far: this run's, plus those of the runs before a resume.
  auto snapshot = [&] {
    RunSummary s = engine_->Snapshot(reader.stats(), start);
    s.checkpoint = checkpointing;
    if (opts.sink_stats) s.sinks = opts.sink_stats();
    AddSummaryCounters(base, s);
    return s;
  };

  size_t file_index = 0;
  uint64_t file_base = 0;         // bytes of the current file skipped to the checkpoint
  uint64_t file_start_bytes = 0;  // decompressed bytes of the files before it, all runs
  uint64_t base_bytes = 0;        // ... read by the runs before a resume
  for (const auto& [name, v] : base) {
    if (name == "bytes") base_bytes = v;
  }
  absl::Time last_checkpoint = start;
  auto write_checkpoint = [&](uint64_t offset) -> absl::Status {
    last_checkpoint = ctx_.clock->Now();
    // Every alert of the records before `offset` must be out of the process (the primary
    // output written and flushed) before the checkpoint says so.
    if (!sink_->WaitSettled(engine_->alerts_offered(), absl::Seconds(10))) {
      return absl::UnavailableError(
          "replay checkpoint postponed: alerts not delivered within 10 s");
    }
    ReplayCheckpoint cp;
    cp.inputs = identities;
    cp.file = file_index;
    cp.offset = offset;
    cp.output = opts.output_file;
    cp.output_bytes = opts.output_file.empty() ? 0 : FileSize(opts.output_file);
    KAUDIT_ASSIGN_OR_RETURN(cp.state, engine_->SerializeState());
    ++summary.checkpoint_writes;  // counted in the checkpoint it writes
    cp.counters = SummaryCounters(snapshot());
    // The reader counts the bytes it has read, some past `offset` (a partial line): those are
    // read again after a resume, so the checkpoint counts the bytes before `offset`.
    for (auto& [name, v] : cp.counters) {
      if (name == "bytes") v = file_start_bytes + offset;
    }
    absl::Status s = WriteReplayCheckpoint(opts.checkpoint_path, cp);
    if (!s.ok()) --summary.checkpoint_writes;
    return s;
  };
  auto checkpoint_or_log = [&](uint64_t offset) {
    if (absl::Status s = write_checkpoint(offset); !s.ok()) {
      ++summary.checkpoint_errors;
      ctx_.logger->Error("replay", ToStd(s.message()),
                         {LogField("checkpoint", opts.checkpoint_path).JsonOnly()});
    }
  };
  // Inputs counted in summary.inputs so far (when a file is started), all runs together: a
  // checkpoint's counters include the file it points into.
  size_t counted = resume.has_value() ? resume->file + 1 : 0;
  auto count_input = [&](size_t index) {
    if (counted > index) return;
    ++summary.inputs;
    counted = index + 1;
  };
  if (checkpointing && !resume.has_value()) {
    if (!files.empty()) count_input(0);
    // A first checkpoint before reading: an unwritable path fails now, not silently later, and
    // a replay killed before its next checkpoint resumes from the start with -o cut back to
    // what it held before this run.
    if (absl::Status s = write_checkpoint(0); !s.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("--checkpoint ", opts.checkpoint_path, ": ", s.message()));
    }
  }

  std::unique_ptr<Progress> progress;
  uint64_t done_before = 0;
  if (opts.progress) progress = std::make_unique<Progress>(ctx_.clock, total_bytes);
  absl::Time last_snapshot = start;
  if (progress || opts.on_snapshot || checkpointing) {
    reader.set_progress([&](uint64_t consumed) {
      if (progress) progress->Update(done_before + consumed, reader.stats().events);
      if (opts.on_snapshot && ctx_.clock->Now() - last_snapshot >= absl::Milliseconds(250)) {
        last_snapshot = ctx_.clock->Now();
        opts.on_snapshot(snapshot());
      }
      if (checkpointing && ctx_.clock->Now() - last_checkpoint >= opts.checkpoint_interval) {
        // Between chunks: every record before next_record_offset() went through the engine.
        if (std::optional<uint64_t> next = reader.next_record_offset(); next.has_value()) {
          checkpoint_or_log(file_base + *next);
        }
      }
    });
  }
  for (file_index = 0; file_index < sources.size(); ++file_index) {
    auto& src = sources[file_index];
    file_base = 0;
    if (resume.has_value() && file_index < resume->file) {  // read before the checkpoint
      done_before += src->total_bytes();
      src.reset();
      continue;
    }
    count_input(file_index);
    if (resume.has_value() && file_index == resume->file) {
      if (absl::Status s = SkipBytes(*src, resume->offset); !s.ok()) {
        return absl::FailedPreconditionError(
            absl::StrCat("--checkpoint ", opts.checkpoint_path, ": ", s.message()));
      }
      file_base = resume->offset;
    }
    file_start_bytes = base_bytes + reader.stats().bytes - file_base;
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
  absl::Status flushed = sink_->Flush();
  if (!flushed.ok()) ctx_.logger->Error("sink", ToStd(flushed.message()));
  if (progress) {
    progress->Update(done_before, reader.stats().events, true);
    progress->Done();
  }
  if (checkpointing) {
    if (flushed.ok() && summary.alerts_sink_failed == 0) {
      // Complete: a rerun replays from the start instead of finding nothing left to do.
      if (unlink(opts.checkpoint_path.c_str()) != 0 && errno != ENOENT) {
        ++summary.checkpoint_errors;
        ctx_.logger->Error("replay", absl::StrCat("replay checkpoint ", opts.checkpoint_path,
                                                  ": cannot remove: ", std::strerror(errno)));
      }
    } else {
      ctx_.logger->Warning("replay",
                           absl::StrCat("replay checkpoint ", opts.checkpoint_path,
                                        " kept: not every alert was written; a rerun with the "
                                        "same flags resumes from it"));
    }
  }
  RunSummary out = snapshot();
  engine_->LogNotJudged(out);
  if (opts.process_exits_after) engine_->AbandonDetectorsForExit();
  return out;
}

Replayer::Replayer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Replayer::~Replayer() = default;

absl::StatusOr<std::unique_ptr<Replayer>> Replayer::Create(const Config& config, AlertSink* sink,
                                                           Context ctx) {
  KAUDIT_ASSIGN_OR_RETURN(std::unique_ptr<Engine> engine, Engine::Create(config, sink, ctx));
  engine->LogInactiveDetectors();
  return std::unique_ptr<Replayer>(
      new Replayer(std::make_unique<Impl>(config, sink, ctx, std::move(engine))));
}

absl::StatusOr<RunSummary> Replayer::Run(const ReplayOptions& options) {
  return impl_->Run(options);
}

}  // namespace kaudit
