#include "src/app/live_runner.h"

#include <signal.h>
#include <unistd.h>

#include <ctime>

#include "absl/strings/str_cat.h"
#include "src/common/clock.h"
#include "src/common/context.h"
#include "src/common/logger.h"
#include "src/parse/event_reader.h"
#include "src/pipeline/sinks_from_config.h"
#include "src/telemetry/metrics.h"
#include "src/telemetry/status_server.h"

namespace kaudit {
namespace {

void AppendPipelineMetrics(const LiveStats& s, std::vector<SourceMetric>& out) {
  out.push_back({"kaudit_pipeline_queue_batches",
                 "Batches waiting for the engine thread",
                 true,
                 {},
                 static_cast<double>(s.queue_batches)});
  out.push_back({"kaudit_pipeline_queue_bytes",
                 "Bytes of batches waiting for the engine thread",
                 true,
                 {},
                 static_cast<double>(s.queue_bytes)});
  out.push_back({"kaudit_pipeline_batches_total",
                 "Batches processed by the engine thread",
                 false,
                 {},
                 static_cast<double>(s.batches)});
  out.push_back({"kaudit_pipeline_rejected_full_total",
                 "Batches refused because the engine queue was full (back-pressure)",
                 false,
                 {},
                 static_cast<double>(s.rejected_full)});
}

}  // namespace

int RunLive(const std::string& mode, const CommonFlags& flags, const QueueOptions& queue,
            const SourceFactory& make_source) {
  // Signals are taken by sigtimedwait below; block them before any thread starts so that no
  // other thread receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  RealClock clock;
  const Logger boot_log(flags.log.Options(&clock));
  absl::StatusOr<Config> config_or = flags.Load();
  if (!config_or.ok()) return Fatal(boot_log, config_or.status());
  const Config config = *std::move(config_or);
  const Logger log(flags.log.Options(&clock, &config.log));
  const Context ctx{&clock, &log};
  auto sinks = BuildSinks(config, isatty(STDOUT_FILENO), ctx);
  if (!sinks.ok()) return Fatal(log, sinks.status());
  auto queue_options = queue(config);
  if (!queue_options.ok()) return Fatal(log, queue_options.status());
  auto pipeline = LivePipeline::Create(config, sinks->get(), ctx, *queue_options);
  if (!pipeline.ok()) return Fatal(log, pipeline.status());
  auto source = make_source(config, ctx);
  if (!source.ok()) return Fatal(log, source.status());

  auto gather = [&](const RunSummary& base) {
    RunSummary s = base;
    s.sinks = (*sinks)->stats();
    AppendPipelineMetrics((*pipeline)->live_stats(), s.source_metrics);
    (*source)->AppendMetrics(s.source_metrics);
    return s;
  };
  std::unique_ptr<StatusServer> status;
  if (!flags.metrics_addr.empty()) {
    ProcessInfo info{Version(), ParserInfo(), mode};
    auto server = StatusServer::Start(flags.metrics_addr, [&, info] {
      return RenderMetrics(gather((*pipeline)->Snapshot()), info, false);
    });
    if (!server.ok()) return Fatal(log, server.status());
    status = std::move(*server);
    const std::string& addr = flags.metrics_addr;
    const std::string url =
        absl::StrCat("http://", addr.substr(0, addr.rfind(':')), ":", status->port(), "/metrics");
    log.Info("metrics", absl::StrCat("metrics on ", url), {LogField("url", url).JsonOnly()});
  }
  if (absl::Status s = (*source)->Start(pipeline->get()); !s.ok()) return Fatal(log, s);
  if (status) status->SetReady((*source)->Ready());

  int sig = 0;
  while (true) {
    timespec tick{0, 200 * 1000 * 1000};
    sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig > 0) break;
    if ((*source)->Exhausted()) break;
    if (status) status->SetReady((*source)->Ready());
  }
  if (status) status->SetReady(false);
  if (sig > 0) {
    const char* name = sig == SIGTERM ? "SIGTERM" : "SIGINT";
    log.Info("main",
             absl::StrCat(name,
                          ": draining (no new input; queued events are processed and alerts "
                          "flushed)"),
             {LogField("signal", name).JsonOnly()});
  }
  (*source)->Stop();
  RunSummary summary = (*pipeline)->Stop();  // processes the queue, flushes the sinks
  (*source)->Finished();
  summary = gather(summary);
  if (absl::Status s = ReportSummary(summary, flags); !s.ok()) return Fatal(log, s);
  if (absl::Status s = OutputComplete(summary); !s.ok()) return Fatal(log, s);
  return kExitOk;
}

}  // namespace kaudit
