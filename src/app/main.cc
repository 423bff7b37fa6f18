// kaudit: analyzer for Kubernetes API audit logs.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "detectors/registry.h"
#include "src/common/clock.h"
#include "src/common/context.h"
#include "src/common/json_writer.h"
#include "src/common/rate_limited_log.h"
#include "src/common/strings.h"
#include "src/common/time_util.h"
#include "src/config/config.h"
#include "src/parse/event_reader.h"
#include "src/pipeline/replay.h"
#include "src/pipeline/sinks_from_config.h"
#include "src/telemetry/metrics.h"
#include "src/telemetry/status_server.h"

#ifndef KAUDIT_VERSION
#define KAUDIT_VERSION "dev"
#endif

namespace kaudit {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFatal = 1;

int Fatal(const absl::Status& s) {
  LogLine("error", ToStd(s.message()));
  return kExitFatal;
}

absl::StatusOr<Config> LoadConfig(const std::string& path) {
  if (path.empty()) return Config();
  return LoadConfigFile(path);
}

struct ReplayFlags {
  std::string config;
  std::vector<std::string> inputs;
  std::string since, until;
  std::string format;
  std::string output;
  std::string min_severity;
  std::string summary_file;
  std::string dead_letter;
  std::string max_event_bytes;
  std::string metrics_addr;
  std::string metrics_linger;
  bool progress = false, no_progress = false, quiet = false;
};

int RunReplay(const ReplayFlags& f) {
  RealClock clock;
  auto config_or = LoadConfig(f.config);
  if (!config_or.ok()) return Fatal(config_or.status());
  Config config = *std::move(config_or);
  // Flags override the config file.
  if (!f.format.empty()) config.output.format = f.format;
  if (!f.output.empty()) config.output.file = f.output;
  if (!f.dead_letter.empty()) config.input.dead_letter_file = f.dead_letter;
  if (!f.min_severity.empty()) {
    auto sev = ParseSeverity(f.min_severity);
    if (!sev) {
      return Fatal(absl::InvalidArgumentError(absl::StrCat(
          "--min-severity: expected info, low, medium, high or critical, got ", f.min_severity)));
    }
    config.output.min_severity = *sev;
  }
  if (!f.max_event_bytes.empty()) {
    auto v = ParseByteSize(f.max_event_bytes);
    if (!v.ok())
      return Fatal(
          absl::InvalidArgumentError(absl::StrCat("--max-event-bytes: ", v.status().message())));
    config.input.max_event_bytes = *v;
  }
  ReplayOptions opts;
  opts.inputs = f.inputs;
  if (!f.since.empty()) {
    auto t = ParseTimeBound(f.since, clock.Now());
    if (!t.ok())
      return Fatal(absl::InvalidArgumentError(absl::StrCat("--since: ", t.status().message())));
    opts.since = *t;
  }
  if (!f.until.empty()) {
    auto t = ParseTimeBound(f.until, clock.Now());
    if (!t.ok())
      return Fatal(absl::InvalidArgumentError(absl::StrCat("--until: ", t.status().message())));
    opts.until = *t;
  }
  opts.progress = !f.no_progress && (f.progress || isatty(STDERR_FILENO));
  auto sinks = BuildSinks(config, isatty(STDOUT_FILENO));
  if (!sinks.ok()) return Fatal(sinks.status());

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
      return Fatal(
          absl::InvalidArgumentError(absl::StrCat("--metrics-linger: ", d.status().message())));
    linger = *d;
  }
  if (!f.metrics_addr.empty()) {
    ProcessInfo info{KAUDIT_VERSION, ParserInfo(), "replay"};
    SinkSet* set = sinks->get();
    auto server = StatusServer::Start(f.metrics_addr, [&, info, set] {
      std::lock_guard<std::mutex> l(snapshot_mu);
      RunSummary copy = snapshot;
      copy.sinks = set->stats();
      std::string page = RenderMetrics(copy, info, finished);
      if (finished) final_scraped = true;
      return page;
    });
    if (!server.ok()) return Fatal(server.status());
    status = std::move(*server);
    status->SetReady(true);
    LogLine("info",
            absl::StrCat("metrics on http://", f.metrics_addr.substr(0, f.metrics_addr.rfind(':')),
                         ":", status->port(), "/metrics"));
    opts.on_snapshot = [&](const RunSummary& s) {
      std::lock_guard<std::mutex> l(snapshot_mu);
      snapshot = s;
    };
  }
  auto replayer = Replayer::Create(config, sinks->get(), Context{&clock});
  if (!replayer.ok()) return Fatal(replayer.status());
  auto summary = (*replayer)->Run(opts);
  if (!summary.ok()) return Fatal(summary.status());
  summary->sinks = (*sinks)->stats();
  if (!f.quiet) std::fputs(summary->ToText().c_str(), stderr);
  if (!f.summary_file.empty()) {
    FILE* out = std::fopen(f.summary_file.c_str(), "we");
    if (out == nullptr) {
      return Fatal(absl::NotFoundError(absl::StrCat(f.summary_file, ": cannot write summary")));
    }
    std::string json = summary->ToJson();
    json.push_back('\n');
    std::fwrite(json.data(), 1, json.size(), out);
    std::fclose(out);
  }
  {
    std::lock_guard<std::mutex> l(snapshot_mu);
    snapshot = *summary;
    finished = true;
  }
  if (status && linger > absl::ZeroDuration()) {
    // Serve until a scrape has seen the final counters, or the linger time is up.
    LogLine("info", absl::StrCat("replay finished; serving metrics until the next scrape, at most ",
                                 absl::FormatDuration(linger)));
    const absl::Time deadline = clock.Now() + linger;
    while (!final_scraped && clock.Now() < deadline) absl::SleepFor(absl::Milliseconds(50));
    absl::SleepFor(absl::Milliseconds(200));  // let that scrape's response be written
  }
  return kExitOk;
}

int RunDetectors(const std::string& config_path, bool json) {
  auto config = LoadConfig(config_path);
  if (!config.ok()) return Fatal(config.status());
  auto slots = BuildDetectors(config->detectors);
  if (!slots.ok()) return Fatal(slots.status());
  std::string out;
  if (json) {
    JsonWriter w(out);
    w.BeginArray();
    for (const auto& s : *slots) {
      const DetectorInfo& i = s.detector->info();
      w.BeginObject();
      w.Field("id", i.id);
      w.Field("title", i.title);
      w.Field("severity", SeverityName(s.severity.value_or(i.severity)));
      w.Key("mitre").BeginArray();
      for (const auto& m : i.mitre) w.String(m);
      w.EndArray();
      w.Key("catalog").BeginArray();
      for (const auto& c : i.catalog_ids) w.String(c);
      w.EndArray();
      w.Field("stateful", i.stateful);
      w.Field("description", i.description);
      w.EndObject();
    }
    w.EndArray();
    out.push_back('\n');
  } else {
    absl::StrAppend(
        &out, absl::StrFormat("%-28s %-9s %-22s %s\n", "ID", "SEVERITY", "MITRE", "DESCRIPTION"));
    for (const auto& s : *slots) {
      const DetectorInfo& i = s.detector->info();
      absl::StrAppend(&out, absl::StrFormat("%-28s %-9s %-22s %s\n", i.id,
                                            ToAbsl(SeverityName(s.severity.value_or(i.severity))),
                                            absl::StrJoin(i.mitre, ","), i.description));
    }
  }
  std::fputs(out.c_str(), stdout);
  return kExitOk;
}

int RunCheckConfig(const std::string& path) {
  auto config = LoadConfigFile(path);
  if (!config.ok()) return Fatal(config.status());
  auto slots = BuildDetectors(config->detectors);
  if (!slots.ok())
    return Fatal(absl::InvalidArgumentError(absl::StrCat(path, ": ", slots.status().message())));
  std::printf("%s: OK (%zu detectors enabled)\n", path.c_str(), slots->size());
  return kExitOk;
}

int Main(int argc, char** argv) {
  CLI::App app{"kaudit: finds attacks and risky changes in Kubernetes API audit logs"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("kaudit ") + KAUDIT_VERSION);

  ReplayFlags rf;
  auto* replay = app.add_subcommand(
      "replay",
      "Replay audit logs (JSON lines, EventList or JSON array; plain or gzip; '-' for stdin) "
      "through every enabled detector. Directories are expanded and rotated files ordered by "
      "time.");
  replay->add_option("inputs", rf.inputs, "Files, directories, or - for stdin")->required();
  replay->add_option("-c,--config", rf.config, "Config file (see configs/kaudit.yaml)");
  replay->add_option("--since", rf.since,
                     "Skip events before this time (RFC 3339, a date, or a duration ago: 2h, 7d)");
  replay->add_option("--until", rf.until, "Skip events at or after this time (same forms)");
  replay
      ->add_option(
          "--format", rf.format,
          "Alert format: auto (text on a terminal, else json), json, text, falco, ecs, hec")
      ->check(CLI::IsMember({"auto", "json", "text", "falco", "ecs", "hec"}));
  replay->add_option("-o,--output", rf.output, "Write alerts to this file instead of stdout");
  replay->add_option("--min-severity", rf.min_severity,
                     "Only output alerts at or above: info, low, medium, high, critical");
  replay->add_option("--summary-file", rf.summary_file, "Also write the run summary as JSON here");
  replay->add_option("--dead-letter", rf.dead_letter,
                     "Append rejected input documents (with file:line and reason) to this file");
  replay->add_option("--max-event-bytes", rf.max_event_bytes,
                     "Skip (and count) events larger than this (e.g. 16MiB)");
  replay->add_option("--metrics-addr", rf.metrics_addr,
                     "Serve /metrics, /healthz and /readyz on host:port while replaying");
  replay->add_option("--metrics-linger", rf.metrics_linger,
                     "After the replay, keep serving metrics until one scrape has read the final "
                     "counters, at most this long (e.g. 5m)");
  replay->add_flag("--progress", rf.progress,
                   "Show a progress bar on stderr (default on a terminal)");
  replay->add_flag("--no-progress", rf.no_progress, "Never show a progress bar");
  replay->add_flag("-q,--quiet", rf.quiet, "Do not print the summary");

  std::string det_config;
  bool det_json = false;
  auto* detectors = app.add_subcommand("detectors", "List the enabled detectors");
  detectors->add_option("-c,--config", det_config, "Config file");
  detectors->add_flag("--json", det_json, "Print JSON instead of a table");

  std::string check_path;
  auto* check = app.add_subcommand("check-config",
                                   "Validate a config file: unknown keys and bad values are "
                                   "reported with their path");
  check->add_option("config", check_path, "Config file")->required();

  auto* version = app.add_subcommand("version", "Print the version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (*replay) return RunReplay(rf);
  if (*detectors) return RunDetectors(det_config, det_json);
  if (*check) return RunCheckConfig(check_path);
  if (*version) {
    std::printf("kaudit %s (%s)\n", KAUDIT_VERSION, ParserInfo().c_str());
    return kExitOk;
  }
  return kExitOk;
}

}  // namespace
}  // namespace kaudit

int main(int argc, char** argv) { return kaudit::Main(argc, argv); }
