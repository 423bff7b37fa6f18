#include "src/tail/tail_source.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "src/common/logger.h"
#include "src/common/strings.h"

namespace kaudit {
namespace {

uint64_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

}  // namespace

std::string TailSource::CheckpointPath(const std::string& state_dir) {
  return state_dir + "/tail.checkpoint";
}

absl::StatusOr<std::unique_ptr<TailSource>> TailSource::Create(TailOptions opts, Context ctx) {
  std::unique_ptr<TailSource> t(new TailSource(std::move(opts), ctx));
  const TailOptions& o = t->opts_;
  std::optional<TailPosition> resume;
  if (!o.state_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.state_dir, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("--state-dir ", o.state_dir, ": ", ec.message()));
    }
    auto cp = ReadCheckpoint(CheckpointPath(o.state_dir));
    if (!cp.ok()) return cp.status();
    if (cp->has_value()) {
      const Checkpoint& c = **cp;
      if (c.path != o.path) {
        return absl::InvalidArgumentError(
            absl::StrCat("--state-dir ", o.state_dir, " holds the checkpoint of ", c.path, ", not ",
                         o.path, ": give each followed file its own state directory"));
      }
      resume = TailPosition{c.file, c.offset, c.skipping, c.opened_unix, c.seen};
      t->lines_ = c.lines;
      t->events_ = c.events;
      // Alerts written after the checkpoint belong to lines that are read again now.
      if (!c.output.empty() && c.output == o.output_file) {
        const uint64_t size = FileSize(c.output);
        if (size > c.output_bytes) {
          if (truncate(c.output.c_str(), static_cast<off_t>(c.output_bytes)) != 0) {
            return absl::InternalError(
                absl::StrCat("tail: cannot cut ", c.output,
                             " back to its checkpointed size: ", std::strerror(errno)));
          }
          ctx.logger->Info(
              "tail",
              absl::StrCat("tail: removed the last ", size - c.output_bytes, " bytes of ", c.output,
                           " (alerts after the checkpoint; they are raised again)"),
              {LogField("path", c.output).JsonOnly()});
        } else if (size < c.output_bytes) {
          ctx.logger->Warning("tail",
                              absl::StrCat("tail: ", c.output,
                                           " is shorter than at the checkpoint (rotated or "
                                           "edited?); left as it is"),
                              {LogField("path", c.output).JsonOnly()});
        }
      }
      t->last_written_ = c;
    }
  }
  FollowerOptions fo;
  fo.path = o.path;
  fo.from_beginning = o.from_beginning;
  fo.max_line_bytes = o.max_line_bytes;
  fo.chunk_bytes = o.chunk_bytes;
  fo.ctx = ctx;
  auto f = FileFollower::Open(fo, resume);
  if (!f.ok()) return f.status();
  t->follower_ = std::move(*f);
  t->PublishStats();
  return t;
}

TailSource::~TailSource() {
  Stop();
  if (inotify_fd_ >= 0) close(inotify_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

absl::Status TailSource::Start(LivePipeline* pipeline) {
  pipeline_ = pipeline;
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) return absl::InternalError("tail: eventfd failed");
  if (opts_.use_inotify) {
    const size_t slash = opts_.path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : opts_.path.substr(0, slash + 1);
    inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (inotify_fd_ < 0 || inotify_add_watch(inotify_fd_, dir.c_str(),
                                             IN_MODIFY | IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO |
                                                 IN_DELETE | IN_CLOSE_WRITE) < 0) {
      const char* error = std::strerror(errno);
      ctx_.logger->Warning(
          "tail",
          absl::StrCat("tail: inotify on ", dir, " failed (", error, "); polling every ",
                       absl::FormatDuration(opts_.poll_interval)),
          {LogField("path", dir).JsonOnly(), LogField("error", error).JsonOnly()});
      if (inotify_fd_ >= 0) close(inotify_fd_);
      inotify_fd_ = -1;
    }
  }
  ctx_.logger->Info("tail",
                    absl::StrCat("tail: following ", opts_.path, " from ",
                                 follower_->current_name(), " byte ", follower_->position().offset),
                    {LogField("path", opts_.path).JsonOnly(),
                     LogField("file", follower_->current_name()).JsonOnly(),
                     LogField("offset", follower_->position().offset).JsonOnly()});
  thread_ = std::thread([this] { Run(); });
  started_ = true;
  return absl::OkStatus();
}

void TailSource::Stop() {
  stop_ = true;
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof(one));
  }
  if (thread_.joinable()) thread_.join();
}

void TailSource::Finished() {
  // The drain may have flushed alerts held by stateful detectors and aggregation: record the
  // output's final size so a restart keeps them.
  if (!opts_.state_dir.empty() && follower_ != nullptr) WriteCheckpointNow();
}

void TailSource::Run() {
  while (!stop_) {
    std::string data;
    const std::string source = follower_->current_name();
    if (follower_->Next(&data)) {
      if (!ProcessBatch(std::move(data), source)) break;
      PublishStats();
      if (ctx_.clock->Now() - last_checkpoint_ >= opts_.checkpoint_interval) {
        WriteCheckpointNow();
      }
      continue;
    }
    // Caught up: checkpoint if the position moved or lines were processed (a rotated file
    // read in between can leave the position where it was), then wait for the file to change.
    const TailPosition p = follower_->position();
    if (!last_written_.has_value() || last_written_->lines != lines_ ||
        last_written_->offset != p.offset || !last_written_->file.SameInode(p.file) ||
        last_written_->file.fp_crc != p.file.fp_crc || last_written_->skipping != p.skipping) {
      WriteCheckpointNow();
    }
    PublishStats();
    Wait();
  }
  PublishStats();
}

bool TailSource::ProcessBatch(std::string data, const std::string& source) {
  struct Done {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    BatchResult result;
  };
  auto state = std::make_shared<Done>();
  const uint64_t lines = static_cast<uint64_t>(std::count(data.begin(), data.end(), '\n'));
  Batch b;
  b.data = std::move(data);
  b.source = source;
  b.done = [state](const BatchResult& r) {
    std::lock_guard<std::mutex> l(state->mu);
    state->result = r;
    state->done = true;
    state->cv.notify_all();
  };
  if (!pipeline_->Submit(b)) return false;
  BatchResult r;
  {
    std::unique_lock<std::mutex> l(state->mu);
    state->cv.wait(l, [&] { return state->done; });
    r = state->result;
  }
  int waits = 0;
  while (!pipeline_->sink()->WaitSettled(r.alert_ticket, absl::Seconds(1))) {
    if (stop_ && ++waits > 30) {
      ctx_.logger->Warning("tail",
                           "tail: alerts not settled 30 s after SIGTERM; the last lines will be "
                           "read again after a restart");
      return false;
    }
  }
  lines_ += lines;
  events_ += r.events;
  return true;
}

void TailSource::WriteCheckpointNow() {
  if (opts_.state_dir.empty()) return;
  const TailPosition p = follower_->position();
  Checkpoint cp;
  cp.path = opts_.path;
  cp.file = p.file;
  cp.offset = p.offset;
  cp.skipping = p.skipping;
  cp.opened_unix = p.opened_unix;
  cp.seen = p.seen;
  cp.output = opts_.output_file;
  cp.output_bytes = opts_.output_file.empty() ? 0 : FileSize(opts_.output_file);
  cp.lines = lines_;
  cp.events = events_;
  last_checkpoint_ = ctx_.clock->Now();
  absl::Status s = WriteCheckpoint(CheckpointPath(opts_.state_dir), cp);
  std::lock_guard<std::mutex> l(mu_);
  if (s.ok()) {
    ++checkpoint_writes_;
    last_written_ = std::move(cp);
  } else {
    ++checkpoint_errors_;
    ctx_.logger->Error("tail", ToStd(s.message()));
  }
}

void TailSource::Wait() {
  pollfd fds[2];
  int n = 0;
  fds[n++] = {wake_fd_, POLLIN, 0};
  if (inotify_fd_ >= 0) fds[n++] = {inotify_fd_, POLLIN, 0};
  const int timeout_ms =
      static_cast<int>(std::max<int64_t>(1, absl::ToInt64Milliseconds(opts_.poll_interval)));
  if (poll(fds, n, timeout_ms) <= 0) return;
  char buf[4096];
  if (inotify_fd_ >= 0) {
    while (read(inotify_fd_, buf, sizeof(buf)) > 0) {
    }
  }
}

void TailSource::PublishStats() {
  FollowerStats s = follower_->stats();
  std::lock_guard<std::mutex> l(mu_);
  fstats_ = s;
  lines_pub_ = lines_;
  events_pub_ = events_;
}

void TailSource::AppendMetrics(std::vector<SourceMetric>& out) const {
  std::lock_guard<std::mutex> l(mu_);
  const FollowerStats& s = fstats_;
  auto add = [&](std::string name, std::string help, bool gauge, double v,
                 std::vector<std::pair<std::string, std::string>> labels = {}) {
    out.push_back({std::move(name), std::move(help), gauge, std::move(labels), v});
  };
  add("kaudit_tail_bytes_read_total", "Bytes read from the followed file and its rotations", false,
      static_cast<double>(s.bytes_read));
  add("kaudit_tail_lines_total",
      "Lines processed with their alerts settled, counted across restarts (from the checkpoint)",
      false, static_cast<double>(lines_pub_));
  add("kaudit_tail_events_total",
      "Valid events among those lines, counted across restarts (from the checkpoint)", false,
      static_cast<double>(events_pub_));
  add("kaudit_tail_rotations_total", "Rotations noticed, by kind", false,
      static_cast<double>(s.rotations_rename), {{"kind", "rename"}});
  add("kaudit_tail_rotations_total", "Rotations noticed, by kind", false,
      static_cast<double>(s.rotations_truncate), {{"kind", "truncate"}});
  add("kaudit_tail_truncations_unrecovered_total",
      "Truncations with no copy found: unread lines before them are lost", false,
      static_cast<double>(s.truncate_unrecovered));
  add("kaudit_tail_oversize_lines_total",
      "Lines longer than --max-event-bytes, skipped to their newline", false,
      static_cast<double>(s.oversize_lines));
  add("kaudit_tail_checkpoint_writes_total", "Checkpoints written", false,
      static_cast<double>(checkpoint_writes_));
  add("kaudit_tail_checkpoint_errors_total", "Checkpoint writes that failed", false,
      static_cast<double>(checkpoint_errors_));
  add("kaudit_tail_checkpoint_not_found_total",
      "Restarts whose checkpointed file was gone (read from the start of the active file)", false,
      static_cast<double>(s.checkpoint_not_found));
  add("kaudit_tail_lag_bytes", "Bytes written but not read yet (active file and queued rotations)",
      true, static_cast<double>(s.lag_bytes));
  add("kaudit_tail_partial_line_bytes", "Bytes of an unfinished last line held back", true,
      static_cast<double>(s.partial_line_bytes));
  add("kaudit_tail_files_pending", "Rotated files queued to be read before the active one", true,
      static_cast<double>(s.files_pending));
}

}  // namespace kaudit
