#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/common/clock.h"
#include "src/common/logger.h"
#include "src/config/config.h"
#include "src/pipeline/summary.h"

namespace kaudit {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFatal = 1;

// A subcommand: its CLI11 node (true once parsed) and what runs it. Each command file defines
// one Add...Command(app); main.cc lists them.
struct Command {
  CLI::App* sub = nullptr;
  std::function<int()> run;
};

Command AddReplayCommand(CLI::App& app);
Command AddServeCommand(CLI::App& app);
Command AddTailCommand(CLI::App& app);
Command AddDetectorsCommand(CLI::App& app);
Command AddCheckConfigCommand(CLI::App& app);
Command AddVersionCommand(CLI::App& app);
Command AddConsumeCommand(CLI::App& app);

// Logs the error and returns kExitFatal.
int Fatal(const Logger& log, const absl::Status& s);
// The config file, or the defaults when `path` is empty.
[[nodiscard]] absl::StatusOr<Config> LoadConfig(const std::string& path);

// --log-format and --log-level, on every command that logs; they override the config's log:
// section.
struct LogFlags {
  std::string format;
  std::string level;

  void AddTo(CLI::App* sub);
  // The logger's options: the flags, else `config` (once loaded), else the defaults.
  LoggerOptions Options(const Clock* clock, const LogConfig* config = nullptr) const;
};

// Flags every mode shares; they override the config file.
struct CommonFlags {
  LogFlags log;
  std::string config;
  std::string format;
  std::string output;
  std::string min_severity;
  std::string dead_letter;
  std::string max_event_bytes;
  std::string metrics_addr;
  std::string summary_file;
  bool quiet = false;

  void AddTo(CLI::App* sub, bool live);
  // Loads the config and applies the flags; errors name the flag or config key.
  [[nodiscard]] absl::StatusOr<Config> Load() const;
};

// Prints the summary on stderr (unless quiet) and writes it as JSON to --summary-file.
[[nodiscard]] absl::Status ReportSummary(const RunSummary& summary, const CommonFlags& flags);
// DataLoss when the primary alert output (stdout or -o) could not take every alert: its
// writes kept failing (disk full) past output.flush_timeout. The run then exits with 1.
[[nodiscard]] absl::Status OutputComplete(const RunSummary& summary);

std::string Version();

}  // namespace kaudit
