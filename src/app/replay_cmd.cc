// kaudit replay: forensic replay of audit log files.
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "src/app/app_common.h"
#include "src/common/clock.h"
#include "src/common/context.h"
#include "src/common/logger.h"
#include "src/common/time_util.h"
#include "src/parse/event_reader.h"
#include "src/pipeline/replay.h"
#include "src/pipeline/sinks_from_config.h"
#include "src/telemetry/metrics.h"
#include "src/telemetry/status_server.h"

namespace kaudit {
namespace {

// Under AddressSanitizer (or LeakSanitizer) the leak check would report state left to the OS at
// exit. GCC defines __SANITIZE_ADDRESS__; clang answers __has_feature.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kLeakChecked = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
constexpr bool kLeakChecked = true;
#else
constexpr bool kLeakChecked = false;
#endif
#else
constexpr bool kLeakChecked = false;
#endif

struct ReplayFlags {
  CommonFlags common;
  std::vector<std::string> inputs;
  std::string since, until;
  std::string metrics_linger;
  std::string checkpoint;
  std::string checkpoint_interval = "1s";
  bool progress = false, no_progress = false;
  int threads = 0;  // 0 = one per core
};

int RunReplay(const ReplayFlags& f) {
  RealClock clock;
  const Logger boot_log(f.common.log.Options(&clock));
  auto config_or = f.common.Load();
  if (!config_or.ok()) return Fatal(boot_log, config_or.status());
  Config config = *std::move(config_or);
  const Logger log(f.common.log.Options(&clock, &config.log));
  const Context ctx{&clock, &log};
  ReplayOptions opts;
  opts.inputs = f.inputs;
  if (!f.since.empty()) {
    auto t = ParseTimeBound(f.since, clock.Now());
    if (!t.ok())
      return Fatal(log,
                   absl::InvalidArgumentError(absl::StrCat("--since: ", t.status().message())));
    opts.since = *t;
  }
  if (!f.until.empty()) {
    auto t = ParseTimeBound(f.until, clock.Now());
    if (!t.ok())
      return Fatal(log,
                   absl::InvalidArgumentError(absl::StrCat("--until: ", t.status().message())));
    opts.until = *t;
  }
  // The bar is for people: by default not among JSON log lines.
  opts.progress =
      !f.no_progress && (f.progress || (isatty(STDERR_FILENO) && log.format() == LogFormat::kText));
  opts.threads = f.threads > 0
                     ? f.threads
                     : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  opts.process_exits_after = !kLeakChecked;
  if (!f.checkpoint.empty()) {
    auto d = ParseDurationString(f.checkpoint_interval);
    if (!d.ok())
      return Fatal(log, absl::InvalidArgumentError(
                            absl::StrCat("--checkpoint-interval: ", d.status().message())));
    opts.checkpoint_path = f.checkpoint;
    opts.checkpoint_interval = *d;
    if (config.output.file != "-") opts.output_file = config.output.file;
  }
  auto sinks = BuildSinks(config, isatty(STDOUT_FILENO), ctx);
  if (!sinks.ok()) return Fatal(log, sinks.status());
  opts.sink_stats = [set = sinks->get()] { return set->stats(); };

  // /metrics, /healthz, /readyz on their own port, rendered from the latest snapshot.
  std::mutex snapshot_mu;
  RunSummary snapshot;
  bool finished = false;
  std::atomic<bool> final_scraped{false};  // a scrape has seen the finished run's counters
  std::unique_ptr<StatusServer> status;
  absl::Duration linger = absl::ZeroDuration();
  if (!f.metrics_linger.empty()) {
    auto d = ParseDurationString(f.metrics_linger);
    if (!d.ok())
      return Fatal(log, absl::InvalidArgumentError(
                            absl::StrCat("--metrics-linger: ", d.status().message())));
    linger = *d;
  }
  if (!f.common.metrics_addr.empty()) {
    ProcessInfo info{Version(), ParserInfo(), "replay"};
    SinkSet* set = sinks->get();
    auto server = StatusServer::Start(f.common.metrics_addr, [&, info, set] {
      std::lock_guard<std::mutex> l(snapshot_mu);
      RunSummary copy = snapshot;
      copy.sinks = set->stats();
      std::string page = RenderMetrics(copy, info, finished);
      if (finished) final_scraped = true;
      return page;
    });
    if (!server.ok()) return Fatal(log, server.status());
    status = std::move(*server);
    status->SetReady(true);
    const std::string& addr = f.common.metrics_addr;
    const std::string url =
        absl::StrCat("http://", addr.substr(0, addr.rfind(':')), ":", status->port(), "/metrics");
    log.Info("metrics", absl::StrCat("metrics on ", url), {LogField("url", url).JsonOnly()});
    opts.on_snapshot = [&](const RunSummary& s) {
      std::lock_guard<std::mutex> l(snapshot_mu);
      snapshot = s;
    };
  }
  auto replayer = Replayer::Create(config, sinks->get(), ctx);
  if (!replayer.ok()) return Fatal(log, replayer.status());
  auto summary = (*replayer)->Run(opts);
  if (!summary.ok()) return Fatal(log, summary.status());
  if (absl::Status s = ReportSummary(*summary, f.common); !s.ok()) return Fatal(log, s);
  int exit_status = kExitOk;
  if (absl::Status s = OutputComplete(*summary); !s.ok()) exit_status = Fatal(log, s);
  {
    std::lock_guard<std::mutex> l(snapshot_mu);
    snapshot = *summary;
    finished = true;
  }
  if (status && linger > absl::ZeroDuration()) {
    // Serve until a scrape has seen the final counters, or the linger time is up.
    log.Info("metrics", "replay finished; serving metrics until the next scrape",
             {LogField("at_most", absl::FormatDuration(linger))});
    const absl::Time deadline = clock.Now() + linger;
    while (!final_scraped && clock.Now() < deadline) absl::SleepFor(absl::Milliseconds(50));
    absl::SleepFor(absl::Milliseconds(200));  // let that scrape's response be written
  }
  return exit_status;
}

}  // namespace

Command AddReplayCommand(CLI::App& app) {
  auto f = std::make_shared<ReplayFlags>();
  auto* replay = app.add_subcommand(
      "replay",
      "Replay audit logs (JSON lines, EventList or JSON array; plain or gzip; '-' for stdin) "
      "through every enabled detector. Directories are expanded and rotated files ordered by "
      "time.");
  replay->add_option("inputs", f->inputs, "Files, directories, or - for stdin")->required();
  f->common.AddTo(replay, /*live=*/false);
  replay->add_option("--since", f->since,
                     "Skip events before this time (RFC 3339, a date, or a duration ago: 2h, 7d)");
  replay->add_option("--until", f->until, "Skip events at or after this time (same forms)");
  replay->add_option("--metrics-linger", f->metrics_linger,
                     "After the replay, keep serving metrics until one scrape has read the final "
                     "counters, at most this long (e.g. 5m)");
  replay->add_option("--checkpoint", f->checkpoint,
                     "Checkpoint FILE: record where the replay stands (atomically, at most every "
                     "--checkpoint-interval); a replay killed and started again with the same "
                     "inputs and flags continues from it, the -o file cut back so that no alert "
                     "is lost or written twice. Removed when the replay completes");
  replay->add_option("--checkpoint-interval", f->checkpoint_interval,
                     "At most this often (default 1s; 0s = after every chunk read)");
  replay->add_flag("--progress", f->progress,
                   "Show a progress bar on stderr (default on a terminal)");
  replay->add_flag("--no-progress", f->no_progress, "Never show a progress bar");
  replay
      ->add_option("--threads", f->threads,
                   "Threads for JSON lines (default: one per core): 1 reads, parses and detects "
                   "on one thread; N parses on N-1 threads while the detectors run on one more "
                   "in input order, so alerts are those of --threads 1")
      ->check(CLI::Range(0, 256));
  return Command{replay, [f] { return RunReplay(*f); }};
}

}  // namespace kaudit
