#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/common/context.h"
#include "src/config/config.h"
#include "src/pipeline/summary.h"
#include "src/sinks/sink.h"

namespace kaudit {

struct ReplayOptions {
  std::vector<std::string> inputs;  // files, directories, "-" for stdin
  std::optional<absl::Time> since;  // events with stageTimestamp before this are skipped
  std::optional<absl::Time> until;  // ... and at or after this
  bool progress = false;            // progress bar on stderr
  // Parse threads (EventReader, ReaderOptions::threads): 1 parses on the detector thread; N > 1
  // parses JSON lines on N threads while detectors run on this one, in input order, with the
  // same alerts and counts.
  int threads = 1;
  // Called with the counters so far, at most 4 times a second while reading (for /metrics).
  std::function<void(const RunSummary&)> on_snapshot;
  // The alert sinks' counters (the run summary's and the checkpoint's "sinks"); may be empty.
  std::function<std::vector<SinkStats>()> sink_stats;

  // --checkpoint FILE ("" = none): at most every checkpoint_interval, at a record boundary,
  // once every alert of the records before it is settled in the sinks, the position, the
  // primary output's size, the counters and the persistent detectors' state are written
  // there atomically. A replay that finds one for the same inputs continues from it (the
  // output cut back to its checkpointed size); one for other inputs is a startup error.
  // Removed when the replay completes with every alert written.
  std::string checkpoint_path;
  absl::Duration checkpoint_interval = absl::Seconds(1);
  std::string output_file;  // the primary alert output (-o), "" = stdout
  // The process exits after this run: the detectors' state is left to the OS rather than freed
  // entry by entry (Engine::AbandonDetectorsForExit), which saves that serial tail of a replay.
  // The Replayer must only be destroyed afterwards.
  bool process_exits_after = false;
};

// Forensic replay: reads inputs in time order through the parser, runs every enabled detector
// and hands alerts to the sink.
class Replayer {
 public:
  // Builds the detectors from the config; errors name the config key.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Replayer>> Create(const Config& config,
                                                                        AlertSink* sink,
                                                                        Context ctx);
  ~Replayer();
  // Fails before reading anything if an input is missing or the dead-letter file cannot be
  // opened; bad input inside files is counted, reported and skipped.
  [[nodiscard]] absl::StatusOr<RunSummary> Run(const ReplayOptions& options);

 private:
  class Impl;
  explicit Replayer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kaudit
