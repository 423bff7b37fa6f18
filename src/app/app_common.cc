#include "src/app/app_common.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "src/common/strings.h"
#include "src/parse/event_reader.h"

#ifndef KAUDIT_VERSION
#define KAUDIT_VERSION "dev"
#endif

namespace kaudit {

std::string Version() { return KAUDIT_VERSION; }

int Fatal(const Logger& log, const absl::Status& s) {
  log.Error("main", ToStd(s.message()),
            {LogField("code", absl::StatusCodeToString(s.code())).JsonOnly()});
  return kExitFatal;
}

void LogFlags::AddTo(CLI::App* sub) {
  sub->add_option("--log-format", format,
                  "kaudit's own log lines on stderr: text (default) or json (one object per "
                  "line; config log.format)")
      ->check(CLI::IsMember({"text", "json"}));
  sub->add_option("--log-level", level,
                  "Lowest log level written: debug, info (default), warning, error (config "
                  "log.level)")
      ->check(CLI::IsMember({"debug", "info", "warning", "error"}));
}

LoggerOptions LogFlags::Options(const Clock* clock, const LogConfig* config) const {
  LoggerOptions o;
  o.clock = clock;
  if (config != nullptr) {
    o.format = config->format;
    o.min_level = config->level;
  }
  // CLI11 already restricted the flags to the known names.
  if (auto f = ParseLogFormat(format)) o.format = *f;
  if (auto l = ParseLogLevel(level)) o.min_level = *l;
  return o;
}

absl::StatusOr<Config> LoadConfig(const std::string& path) {
  if (path.empty()) return Config();
  return LoadConfigFile(path);
}

void CommonFlags::AddTo(CLI::App* sub, bool live) {
  sub->add_option("-c,--config", config, "Config file (see configs/kaudit.yaml)");
  log.AddTo(sub);
  sub->add_option("--format", format,
                  "Alert format: auto (text on a terminal, else json), json, text, falco, ecs, hec")
      ->check(CLI::IsMember({"auto", "json", "text", "falco", "ecs", "hec"}));
  sub->add_option("-o,--output", output, "Write alerts to this file instead of stdout");
  sub->add_option("--min-severity", min_severity,
                  "Only output alerts at or above: info, low, medium, high, critical");
  sub->add_option("--dead-letter", dead_letter,
                  "Append rejected input documents (with location and reason) to this file");
  sub->add_option("--max-event-bytes", max_event_bytes,
                  "Skip (and count) events larger than this (e.g. 16MiB)");
  sub->add_option("--metrics-addr", metrics_addr,
                  live ? "Serve /metrics, /healthz and /readyz on host:port"
                       : "Serve /metrics, /healthz and /readyz on host:port while replaying");
  sub->add_option("--summary-file", summary_file,
                  live ? "At exit, write the run summary as JSON here"
                       : "Also write the run summary as JSON here");
  sub->add_flag("-q,--quiet", quiet, "Do not print the summary");
}

absl::StatusOr<Config> CommonFlags::Load() const {
  absl::StatusOr<Config> config_or = LoadConfig(config);
  if (!config_or.ok()) return config_or.status();
  Config c = *std::move(config_or);
  if (!format.empty()) c.output.format = format;
  if (!output.empty()) c.output.file = output;
  if (!dead_letter.empty()) c.input.dead_letter_file = dead_letter;
  if (!min_severity.empty()) {
    auto sev = ParseSeverity(min_severity);
    if (!sev) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--min-severity: expected info, low, medium, high or critical, got ", min_severity));
    }
    c.output.min_severity = *sev;
  }
  if (!max_event_bytes.empty()) {
    auto v = ParseByteSize(max_event_bytes);
    if (!v.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--max-event-bytes: ", v.status().message()));
    }
    c.input.max_event_bytes = *v;
  }
  return c;
}

absl::Status OutputComplete(const RunSummary& summary) {
  for (const SinkStats& s : summary.sinks) {
    if (s.name != "output" || s.dropped() == 0) continue;
    return absl::DataLossError(
        absl::StrCat(s.dropped(), " of ", s.accepted,
                     " alerts were not written to the alert output (its writes kept failing until "
                     "output.flush_timeout; see the sink error above)"));
  }
  return absl::OkStatus();
}

absl::Status ReportSummary(const RunSummary& summary, const CommonFlags& flags) {
  if (!flags.quiet) std::fputs(summary.ToText().c_str(), stderr);
  if (flags.summary_file.empty()) return absl::OkStatus();
  FILE* out = std::fopen(flags.summary_file.c_str(), "we");
  if (out == nullptr) {
    return absl::NotFoundError(absl::StrCat(flags.summary_file, ": cannot write summary"));
  }
  std::string json = summary.ToJson();
  json.push_back('\n');
  std::fwrite(json.data(), 1, json.size(), out);
  std::fclose(out);
  return absl::OkStatus();
}

}  // namespace kaudit
