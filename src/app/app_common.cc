#include "src/app/app_common.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "src/common/rate_limited_log.h"
#include "src/common/strings.h"
#include "src/parse/event_reader.h"

#ifndef KAUDIT_VERSION
#define KAUDIT_VERSION "dev"
#endif

namespace kaudit {

std::string Version() { return KAUDIT_VERSION; }

int Fatal(const absl::Status& s) {
  LogLine("error", ToStd(s.message()));
  return kExitFatal;
}

absl::StatusOr<Config> LoadConfig(const std::string& path) {
  if (path.empty()) return Config();
  return LoadConfigFile(path);
}

void CommonFlags::AddTo(CLI::App* sub, bool live) {
  sub->add_option("-c,--config", config, "Config file (see configs/kaudit.yaml)");
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
