#include "src/pipeline/engine.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "detectors/registry.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/state_io.h"

namespace kaudit {
namespace {

std::string StatePath(const std::string& dir, std::string_view id) {
  return absl::StrCat(dir, "/", ToAbsl(id), ".state");
}

// Loads each persistent detector's state from `dir` (a missing file is a fresh start).
absl::Status LoadDetectorState(const std::string& dir, std::vector<DetectorSlot>& slots) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("engine.state_dir: cannot create ", dir, ": ", ec.message()));
  }
  for (auto& slot : slots) {
    Detector& d = *slot.detector;
    if (!d.persistent()) continue;
    std::string path = StatePath(dir, d.info().id);
    auto data = ReadWholeFile(path);
    if (absl::IsNotFound(data.status())) continue;
    if (!data.ok()) return data.status();
    KAUDIT_ASSIGN_OR_RETURN(StateReader reader, StateReader::Parse(*data, d.info().id, path));
    if (absl::Status s = d.LoadState(reader); !s.ok()) {
      return absl::DataLossError(
          absl::StrCat("engine.state_dir: ", s.message(), " (move the file away to start afresh)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(const Config& config, AlertSink* sink,
                                                       Context ctx, bool load_state_dir) {
  KAUDIT_ASSIGN_OR_RETURN(std::vector<DetectorSlot> slots, BuildDetectors(config.detectors));
  if (load_state_dir && !config.engine.state_dir.empty()) {
    KAUDIT_RETURN_IF_ERROR(LoadDetectorState(config.engine.state_dir, slots));
  }
  std::unique_ptr<DeadLetterWriter> dead_letter;
  if (!config.input.dead_letter_file.empty()) {
    KAUDIT_ASSIGN_OR_RETURN(dead_letter,
                            DeadLetterWriter::Open(config.input.dead_letter_file, ctx));
  }
  return std::unique_ptr<Engine>(
      new Engine(config, sink, ctx, std::move(slots), std::move(dead_letter)));
}

Engine::Engine(const Config& config, AlertSink* sink, Context ctx, std::vector<DetectorSlot> slots,
               std::unique_ptr<DeadLetterWriter> dead_letter)
    : engine_config_(config.engine),
      min_severity_(config.output.min_severity),
      sink_(sink),
      ctx_(ctx),
      dispatcher_(std::move(slots),
                  DispatcherOptions{config.engine.dedup_entries, config.engine.allowed_lateness,
                                    config.engine.aggregate_max_keys}),
      dead_letter_(std::move(dead_letter)) {
  for (auto& l : limiters_) l = std::make_unique<LogLimiter>(config.input.error_log_burst);
  for (int i = 0; i < kNumInvalidReasons; ++i) {
    invalid_messages_[i] = absl::StrCat(
        "invalid event (", ToAbsl(InvalidReasonName(static_cast<InvalidReason>(i))), ")");
  }
}

void Engine::OnEvent(AuditEvent& e) {
  if ((since_ && e.stage_timestamp < *since_) || (until_ && e.stage_timestamp >= *until_)) {
    ++summary_.out_of_range;
    return;
  }
  dispatcher_.Dispatch(e, alerts_);
  if (!alerts_.empty()) Deliver();
  // Periodic save on event-time advance (one comparison per event; I/O once per interval).
  if (!engine_config_.state_dir.empty() && dispatcher_.max_event_time() >= next_state_save_) {
    if (next_state_save_ != absl::InfinitePast()) SaveState();
    next_state_save_ = dispatcher_.max_event_time() + engine_config_.state_save_interval;
  }
}

void Engine::SaveState() {
  if (engine_config_.state_dir.empty()) return;
  for (size_t i = 0; i < dispatcher_.num_detectors(); ++i) {
    const Detector& d = dispatcher_.detector(i);
    if (!d.persistent()) continue;
    StateWriter w(d.info().id, 1);
    absl::Status s = d.SaveState(w);
    if (s.ok())
      s = WriteFileAtomically(StatePath(engine_config_.state_dir, d.info().id), w.Finish());
    if (s.ok()) {
      ++state_saves_;
    } else {
      ++state_save_failures_;
      ctx_.logger->Error(
          "engine", absl::StrCat("engine.state_dir: saving ", d.info().id),
          {LogField("error", s.message()), LogField("detector", d.info().id).JsonOnly()});
    }
  }
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Engine::SerializeState() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i < dispatcher_.num_detectors(); ++i) {
    const Detector& d = dispatcher_.detector(i);
    if (!d.persistent()) continue;
    StateWriter w(d.info().id, 1);
    if (absl::Status s = d.SaveState(w); !s.ok()) {
      return absl::InternalError(
          absl::StrCat("saving the state of ", d.info().id, ": ", s.message()));
    }
    out.emplace_back(std::string(d.info().id), w.Finish());
  }
  return out;
}

absl::Status Engine::RestoreState(const std::vector<std::pair<std::string, std::string>>& state,
                                  std::string_view origin) {
  for (const auto& [id, data] : state) {
    Detector* d = nullptr;
    for (size_t i = 0; i < dispatcher_.num_detectors(); ++i) {
      if (dispatcher_.detector(i).info().id == id && dispatcher_.detector(i).persistent()) {
        d = &dispatcher_.mutable_detector(i);
      }
    }
    if (d == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat(ToAbsl(origin), ": holds the state of detector ", id,
                       ", which is not enabled (or keeps no state) in this configuration"));
    }
    KAUDIT_ASSIGN_OR_RETURN(StateReader reader,
                            StateReader::Parse(data, id, absl::StrCat(ToAbsl(origin), " ", id)));
    KAUDIT_RETURN_IF_ERROR(d->LoadState(reader));
  }
  return absl::OkStatus();
}

void Engine::OnInvalid(InvalidReason reason, const Location& where, std::string_view detail,
                       std::string_view raw) {
  // Rate-limited per reason: one atomic increment when the line is not written.
  const int r = static_cast<int>(reason);
  ctx_.logger->LogLimited(*limiters_[r], LogLevel::kWarning, "input", invalid_messages_[r],
                          {LogField("path", where.source), LogField("line", where.line),
                           LogField("item", where.item).If(where.item >= 0),
                           LogField("offset", where.offset).JsonOnly(),
                           LogField("reason", InvalidReasonName(reason)).JsonOnly(),
                           LogField("error", detail).If(!detail.empty())});
  if (dead_letter_) dead_letter_->Write(reason, where, detail, raw);
}

void Engine::Finish() {
  dispatcher_.Finish(alerts_);
  if (!alerts_.empty()) Deliver();
  SaveState();
}

void Engine::Deliver() {
  // Alerts below the output threshold are counted, not written.
  size_t kept = 0;
  for (size_t i = 0; i < alerts_.size(); ++i) {
    if (alerts_[i].severity < min_severity_) {
      ++summary_.alerts_below_min_severity;
      continue;
    }
    if (kept != i) alerts_[kept] = std::move(alerts_[i]);
    ++kept;
  }
  alerts_.resize(kept);
  if (!alerts_.empty()) {
    // One clock read per delivered batch, and only for events that raised alerts.
    const absl::Time now = ctx_.clock->Now();
    for (Alert& a : alerts_) a.detection_time = now;
    offered_ += alerts_.size();
    if (absl::Status s = sink_->Send(alerts_); !s.ok()) {
      summary_.alerts_sink_failed += alerts_.size();
      ctx_.logger->LogLimited(sink_errors_, LogLevel::kError, "sink", "alert output",
                              {LogField("error", s.message())});
    } else {
      summary_.alerts_emitted += alerts_.size();
    }
  }
  alerts_.clear();
}

RunSummary Engine::Snapshot(const ReaderStats& stats, absl::Time start) const {
  RunSummary out = summary_;
  out.reader = stats;
  out.duplicates = dispatcher_.stats().duplicates;
  out.last_event_time = dispatcher_.max_event_time();
  out.dead_letters = dead_letter_ ? dead_letter_->written() : 0;
  out.aggregation_evictions = dispatcher_.aggregator().evictions();
  out.seconds = absl::ToDoubleSeconds(ctx_.clock->Now() - start);
  for (size_t i = 0; i < dispatcher_.num_detectors(); ++i) {
    const Detector& d = dispatcher_.detector(i);
    const DetectorCounters& c = dispatcher_.counters(i);
    DetectorSummary ds;
    ds.id = d.info().id;
    ds.events = c.events;
    ds.allowed = c.allowed;
    ds.alerts = c.alerts;
    ds.not_judged = d.events_not_judged();
    ds.not_judged_reason = d.info().not_judged_reason;
    ds.state_entries = d.state_entries();
    ds.state_evictions = d.state_evictions();
    ds.alerts_aggregated = c.aggregated;
    out.detectors.push_back(std::move(ds));
  }
  return out;
}

void Engine::LogInactiveDetectors() const {
  std::vector<std::string> inactive;
  std::string ids;
  for (size_t i = 0; i < dispatcher_.num_detectors(); ++i) {
    const DetectorInfo& info = dispatcher_.detector(i).info();
    if (info.interest.stages != 0) continue;
    inactive.push_back(info.activated_by.empty()
                           ? info.id
                           : absl::StrCat(info.id, " (set its ", info.activated_by, ")"));
    absl::StrAppend(&ids, ids.empty() ? "" : ",", info.id);
  }
  if (inactive.empty()) return;
  ctx_.logger->Info("engine",
                    absl::StrCat(inactive.size(), " enabled detector",
                                 inactive.size() == 1 ? " watches" : "s watch",
                                 " no events until configured: ", absl::StrJoin(inactive, "; ")),
                    {LogField("inactive_detectors", ids).JsonOnly()});
}

void Engine::LogNotJudged(const RunSummary& summary) const {
  // Detectors that lacked the object: one hint naming the resources to audit at Request level.
  // Detectors with their own reason: one line each.
  std::string not_judged;
  std::vector<std::string> resources;
  uint64_t most = 0;
  for (size_t i = 0; i < summary.detectors.size(); ++i) {
    const DetectorSummary& ds = summary.detectors[i];
    if (ds.not_judged == 0) continue;
    if (!ds.not_judged_reason.empty()) {
      ctx_.logger->Warning(
          "engine",
          absl::StrCat(ds.id, ": ", ds.not_judged, " events not judged: ", ds.not_judged_reason),
          {LogField("detector", ds.id).JsonOnly(),
           LogField("not_judged", ds.not_judged).JsonOnly()});
      continue;
    }
    absl::StrAppend(&not_judged, not_judged.empty() ? "" : ", ", ds.id, "=", ds.not_judged);
    most = std::max(most, ds.not_judged);
    if (i < dispatcher_.num_detectors() && dispatcher_.detector(i).info().id == ds.id) {
      for (const std::string& r : dispatcher_.detector(i).info().interest.resources) {
        if (std::find(resources.begin(), resources.end(), r) == resources.end()) {
          resources.push_back(r);
        }
      }
    }
  }
  if (not_judged.empty()) return;
  std::sort(resources.begin(), resources.end());
  ctx_.logger->Warning(
      "engine",
      absl::StrCat("up to ", most,
                   " events could not be judged because they carry no request or response "
                   "object (audit level Metadata); raise the audit policy to Request for ",
                   resources.empty() ? std::string("the resources these detectors read")
                                     : absl::StrJoin(resources, ", "),
                   ". Per detector: ", not_judged),
      {LogField("not_judged_max", most).JsonOnly(), LogField("detectors", not_judged).JsonOnly()});
}

}  // namespace kaudit
