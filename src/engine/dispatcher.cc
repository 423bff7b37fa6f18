#include "src/engine/dispatcher.h"

#include <algorithm>

namespace kaudit {

class Dispatcher::Emitter final : public AlertEmitter {
 public:
  Emitter(Dispatcher& d, size_t slot, std::vector<Alert>& out)
      : d_(d), slot_index_(slot), slot_(d.slots_[slot]), counters_(d.counters_[slot]), out_(out) {}
  void Emit(Alert alert) override {
    if (slot_.allow && slot_.allow->MatchesAlert(alert)) {
      ++counters_.allowed;
      return;
    }
    if (slot_.severity) alert.severity = *slot_.severity;
    if (slot_.aggregate > absl::ZeroDuration()) {
      const bool pass = d_.aggregator_.Offer(slot_index_, slot_.aggregate, alert, d_.summaries_);
      d_.DrainSummaries(out_);  // summaries of windows this alert closed or evicted
      if (!pass) {
        ++counters_.aggregated;
        return;
      }
    }
    counters_.alerts[static_cast<int>(alert.severity)]++;
    out_.push_back(std::move(alert));
  }

 private:
  Dispatcher& d_;
  size_t slot_index_;
  const DetectorSlot& slot_;
  DetectorCounters& counters_;
  std::vector<Alert>& out_;
};

Dispatcher::Dispatcher(std::vector<DetectorSlot> slots, DispatcherOptions options)
    : slots_(std::move(slots)),
      counters_(slots_.size()),
      opts_(options),
      aggregator_(options.aggregate_max_keys) {
  // Intern every resource some detector names; everything else maps to 0 ("other").
  for (const auto& slot : slots_) {
    for (const auto& r : slot.detector->info().interest.resources) {
      if (!resource_ids_.contains(r)) {
        resource_ids_.emplace(r, static_cast<uint16_t>(num_resources_++));
      }
    }
  }
  table_.resize(static_cast<size_t>(kNumStages) * kNumVerbs * num_resources_);
  for (size_t i = 0; i < slots_.size(); ++i) {
    const Interest& in = slots_[i].detector->info().interest;
    traits_.push_back(in.traits);
    if (slots_[i].detector->info().stateful) stateful_.push_back(static_cast<uint16_t>(i));
    if (slots_[i].aggregate > absl::ZeroDuration()) aggregating_ = true;
    for (int s = 0; s < kNumStages; ++s) {
      if (!(in.stages & (1u << s))) continue;
      for (int v = 0; v < kNumVerbs; ++v) {
        if (!(in.verbs & (1u << v))) continue;
        if (in.resources.empty()) {
          for (size_t r = 0; r < num_resources_; ++r) {
            table_[TableIndex(static_cast<Stage>(s), static_cast<Verb>(v), r)].push_back(
                static_cast<uint16_t>(i));
          }
        } else {
          for (const auto& res : in.resources) {
            table_[TableIndex(static_cast<Stage>(s), static_cast<Verb>(v), resource_ids_.at(res))]
                .push_back(static_cast<uint16_t>(i));
          }
        }
      }
    }
  }
  dedup_current_.reserve(std::min<size_t>(opts_.dedup_entries, 1 << 16));
}

bool Dispatcher::Contains(uint64_t key) const {
  return dedup_current_.contains(key) || dedup_previous_.contains(key);
}

void Dispatcher::RememberStarted(uint64_t key) {
  if (started_.size() >= opts_.dedup_entries) {
    started_previous_.swap(started_);
    started_.clear();
  }
  started_.insert(key);
}

bool Dispatcher::SeenBefore(uint64_t key) {
  if (Contains(key)) return true;
  if (dedup_current_.size() >= opts_.dedup_entries) {
    dedup_previous_.swap(dedup_current_);
    dedup_current_.clear();
  }
  dedup_current_.insert(key);
  return false;
}

namespace {
uint64_t KeyOf(const AuditEvent& e) {
  return e.delivery_key != 0 ? e.delivery_key : DeliveryKey(e);
}
uint64_t StartedKeyOf(const AuditEvent& e) {
  return e.started_key != 0 ? e.started_key : ResponseStartedKey(e.audit_id);
}
}  // namespace

void Dispatcher::Prefetch(const AuditEvent& e) const {
  const uint64_t k = KeyOf(e);
  dedup_current_.prefetch(k);
  if (!dedup_previous_.empty()) dedup_previous_.prefetch(k);
  if (e.stage == Stage::kResponseStarted || e.stage == Stage::kResponseComplete ||
      e.stage == Stage::kPanic) {
    const uint64_t s = StartedKeyOf(e);
    started_.prefetch(s);
    if (!started_previous_.empty()) started_previous_.prefetch(s);
  }
}

void Dispatcher::AdvanceWatermark(absl::Time t, std::vector<Alert>& out) {
  if (t > max_event_time_) max_event_time_ = t;
  absl::Time wm = max_event_time_ - opts_.allowed_lateness;
  if (wm <= watermark_) return;
  watermark_ = wm;
  if (aggregating_) {
    aggregator_.Advance(wm, summaries_);
    DrainSummaries(out);
  }
  // Tell stateful detectors at most once per second of event time.
  if (wm - last_watermark_call_ < absl::Seconds(1)) return;
  last_watermark_call_ = wm;
  for (uint16_t i : stateful_) {
    Emitter em(*this, i, out);
    slots_[i].detector->OnWatermark(wm, em);
  }
}

void Dispatcher::Dispatch(AuditEvent& e, std::vector<Alert>& out) {
  ++stats_.events;
  if (SeenBefore(KeyOf(e))) {
    ++stats_.duplicates;
    return;
  }
  if (e.stage_timestamp > max_event_time_) max_event_time_ = e.stage_timestamp;
  if (!stateful_.empty() || aggregating_) AdvanceWatermark(e.stage_timestamp, out);
  // Long-running requests (watch, exec, attach, port-forward) announce themselves with a
  // ResponseStarted event; their ResponseComplete is then not a second outcome.
  if (e.stage == Stage::kResponseStarted) RememberStarted(StartedKeyOf(e));

  size_t rid = 0;
  if (!e.object.resource.empty() && num_resources_ > 1) {
    auto it = resource_ids_.find(e.object.resource);
    if (it != resource_ids_.end()) rid = it->second;
  }
  const auto& targets = table_[TableIndex(e.stage, e.verb, rid)];
  if (targets.empty()) return;
  ++stats_.routed;
  switch (e.stage) {
    case Stage::kResponseStarted:
      e.first_outcome = true;
      break;
    case Stage::kResponseComplete:
    case Stage::kPanic: {
      const uint64_t k = StartedKeyOf(e);
      e.first_outcome = !started_.contains(k) && !started_previous_.contains(k);
      break;
    }
    default:
      e.first_outcome = false;
      break;
  }
  // Hashed once here rather than by each detector's pattern lists (the parallel reader hashed
  // them on a parse thread already).
  if (e.username_hash == 0) e.username_hash = HashText(e.username);
  if (e.user_agent_hash == 0) e.user_agent_hash = HashText(e.user_agent);
  uint32_t traits = 0;
  bool traits_known = false;
  for (uint16_t i : targets) {
    if (traits_[i] != 0) {
      if (!traits_known) {
        traits = EventTraits(e);
        traits_known = true;
      }
      if ((traits_[i] & ~traits) != 0) continue;
    }
    DetectorSlot& slot = slots_[i];
    if (slot.allow && slot.allow->Matches(e)) {
      ++counters_[i].allowed;
      continue;
    }
    ++counters_[i].events;
    Emitter em(*this, i, out);
    slot.detector->OnEvent(e, em);
  }
}

void Dispatcher::Finish(std::vector<Alert>& out) {
  const absl::Time end = absl::InfiniteFuture();
  for (uint16_t i : stateful_) {
    Emitter em(*this, i, out);
    slots_[i].detector->OnWatermark(end, em);
  }
  if (aggregating_) {
    aggregator_.Finish(summaries_);
    DrainSummaries(out);
  }
}

void Dispatcher::AbandonDetectors() {
  for (DetectorSlot& slot : slots_) (void)slot.detector.release();
}

void Dispatcher::DrainSummaries(std::vector<Alert>& out) {
  for (auto& s : summaries_) {
    counters_[s.slot].alerts[static_cast<int>(s.alert.severity)]++;
    out.push_back(std::move(s.alert));
  }
  summaries_.clear();
}

}  // namespace kaudit
