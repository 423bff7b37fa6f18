// kaudit tail: follows an audit log file across rotations, with a crash-safe checkpoint.
#include <memory>

#include "absl/strings/str_cat.h"
#include "src/app/app_common.h"
#include "src/app/live_runner.h"
#include "src/common/clock.h"
#include "src/common/time_util.h"
#include "src/tail/tail_source.h"

namespace kaudit {
namespace {

struct TailFlags {
  CommonFlags common;
  std::string path;
  std::string state_dir;
  bool from_beginning = false, from_end = false;
  std::string poll_interval = "250ms";
  std::string checkpoint_interval = "1s";
  bool no_inotify = false;
};

int RunTail(const TailFlags& f) {
  RealClock clock;
  const Logger boot_log(f.common.log.Options(&clock));  // before the config is loaded
  auto poll = ParseDurationString(f.poll_interval);
  if (!poll.ok() || *poll <= absl::ZeroDuration()) {
    return Fatal(boot_log, absl::InvalidArgumentError(absl::StrCat(
                               "--poll-interval: expected a duration such as 250ms, got '",
                               f.poll_interval, "'")));
  }
  auto cp_interval = ParseDurationString(f.checkpoint_interval);
  if (!cp_interval.ok() || *cp_interval < absl::ZeroDuration()) {
    return Fatal(boot_log, absl::InvalidArgumentError(absl::StrCat(
                               "--checkpoint-interval: expected a duration such as 1s, got '",
                               f.checkpoint_interval, "'")));
  }
  return RunLive(
      "tail", f.common, [](const Config&) { return LiveOptions{}; },
      [&](const Config& config, Context ctx) -> absl::StatusOr<std::unique_ptr<LiveSource>> {
        TailOptions o;
        o.path = f.path;
        o.state_dir = f.state_dir;
        o.from_beginning = f.from_beginning;
        o.poll_interval = *poll;
        o.use_inotify = !f.no_inotify;
        o.checkpoint_interval = *cp_interval;
        o.max_line_bytes = config.input.max_event_bytes;
        if (config.output.file != "-") o.output_file = config.output.file;
        auto t = TailSource::Create(o, ctx);
        if (!t.ok()) return t.status();
        return std::unique_ptr<LiveSource>(std::move(*t));
      });
}

}  // namespace

Command AddTailCommand(CLI::App& app) {
  auto f = std::make_shared<TailFlags>();
  auto* tail = app.add_subcommand(
      "tail",
      "Follow an audit log (e.g. /var/log/kubernetes/audit/audit.log) across rename and "
      "copy-truncate rotations, resuming from a checkpoint after a restart");
  tail->add_option("path", f->path, "The active audit log file")->required();
  f->common.AddTo(tail, /*live=*/true);
  tail->add_option("--state-dir", f->state_dir,
                   "Directory for the checkpoint (created if missing). Without it, every start "
                   "begins at --from-beginning/--from-end");
  auto* begin = tail->add_flag("--from-beginning", f->from_beginning,
                               "Without a checkpoint, read the file from its start");
  auto* end = tail->add_flag("--from-end", f->from_end,
                             "Without a checkpoint, read only lines written from now on "
                             "(the default)");
  begin->excludes(end);
  tail->add_option("--poll-interval", f->poll_interval,
                   "How often to look at the file when nothing signalled a change (the only "
                   "way with --no-inotify)")
      ->capture_default_str();
  tail->add_flag("--no-inotify", f->no_inotify,
                 "Poll instead of using inotify (e.g. on network file systems)");
  tail->add_option("--checkpoint-interval", f->checkpoint_interval,
                   "Write the checkpoint at most this often while behind (always when caught "
                   "up); bounds the work redone after a crash")
      ->capture_default_str();
  return Command{tail, [f] { return RunTail(*f); }};
}

}  // namespace kaudit
