#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/common/context.h"
#include "src/common/logger.h"
#include "src/config/config.h"
#include "src/engine/dispatcher.h"
#include "src/parse/event_reader.h"
#include "src/pipeline/dead_letter.h"
#include "src/pipeline/summary.h"
#include "src/sinks/sink.h"

namespace kaudit {

// The part every mode shares (replay, serve, tail, Kafka): takes parsed events, runs the
// detectors through the dispatcher, hands alerts at or above output.min_severity to the sink,
// logs (rate-limited) and dead-letters invalid documents, and keeps the run's counters.
// Single-threaded: one Engine per pipeline thread.
class Engine final : public EventHandler {
 public:
  // Builds the detectors from the config (errors name the config key) and opens the
  // dead-letter file when one is configured.
  // `load_state_dir` false: start without engine.state_dir's saved state (a replay resumed from
  // a checkpoint restores the state saved with it instead); saves still go there.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Engine>> Create(const Config& config,
                                                                      AlertSink* sink, Context ctx,
                                                                      bool load_state_dir = true);

  // Events whose stageTimestamp is outside [since, until) are counted and skipped.
  void SetTimeRange(std::optional<absl::Time> since, std::optional<absl::Time> until) {
    since_ = since;
    until_ = until;
  }

  void OnEvent(AuditEvent& e) override;
  void Prefetch(const AuditEvent& e) override { dispatcher_.Prefetch(e); }
  void OnInvalid(InvalidReason reason, const Location& where, std::string_view detail,
                 std::string_view raw) override;

  // End of input: stateful detectors and aggregation windows emit what they hold, and
  // persistent detector state is saved (engine.state_dir).
  void Finish();
  // After Finish and the last Snapshot, for a process about to exit: see
  // Dispatcher::AbandonDetectors. Nothing but destruction may follow.
  void AbandonDetectorsForExit() { dispatcher_.AbandonDetectors(); }
  // Saves every persistent detector's state to engine.state_dir (no-op without one). Failures
  // are logged and counted (state_save_failures); the previous files stay intact.
  void SaveState();
  // The persistent detectors' state (the engine.state_dir files' contents, whether or not a
  // state_dir is configured), as (detector id, serialized state) pairs, for a replay checkpoint.
  [[nodiscard]] absl::StatusOr<std::vector<std::pair<std::string, std::string>>> SerializeState()
      const;
  // Loads state produced by SerializeState() into detectors that hold none yet (a fresh engine).
  [[nodiscard]] absl::Status RestoreState(
      const std::vector<std::pair<std::string, std::string>>& state, std::string_view origin);
  uint64_t state_saves() const { return state_saves_; }
  uint64_t state_save_failures() const { return state_save_failures_; }
  // Number of alerts handed to the sink so far (pass to AlertSink::WaitSettled).
  uint64_t alerts_offered() const { return offered_; }

  // The counters so far; `reader` holds the parser's counters, `start` when the run began.
  RunSummary Snapshot(const ReaderStats& reader, absl::Time start) const;
  // One warning naming the detectors that met events without the object they judge.
  void LogNotJudged(const RunSummary& summary) const;
  // One info line naming the enabled detectors that ask for no events as configured (an
  // address list left empty), with the parameters that would activate them. Called once per
  // run by the pipeline that creates the engine.
  void LogInactiveDetectors() const;

  RunSummary& summary() { return summary_; }
  const Dispatcher& dispatcher() const { return dispatcher_; }

 private:
  Engine(const Config& config, AlertSink* sink, Context ctx, std::vector<DetectorSlot> slots,
         std::unique_ptr<DeadLetterWriter> dead_letter);
  void Deliver();

  // What it reads of the config, copied: the engine does not depend on the Config's lifetime.
  const EngineConfig engine_config_;
  const Severity min_severity_;
  AlertSink* sink_;
  Context ctx_;
  Dispatcher dispatcher_;
  std::vector<Alert> alerts_;
  RunSummary summary_;
  uint64_t offered_ = 0;
  std::optional<absl::Time> since_, until_;
  std::array<std::unique_ptr<LogLimiter>, kNumInvalidReasons> limiters_;
  std::array<std::string, kNumInvalidReasons> invalid_messages_;  // "invalid event (<reason>)"
  LogLimiter sink_errors_{5};
  std::unique_ptr<DeadLetterWriter> dead_letter_;
  // Persistent state: next event time at which to save, and counters.
  absl::Time next_state_save_ = absl::InfinitePast();
  uint64_t state_saves_ = 0;
  uint64_t state_save_failures_ = 0;
};

}  // namespace kaudit
