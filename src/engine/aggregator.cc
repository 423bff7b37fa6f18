#include "src/engine/aggregator.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace kaudit {

std::string Aggregator::KeyOf(const Alert& a) {
  // Unit separators keep ("ab", "c") and ("a", "bc") apart.
  return absl::StrCat(a.detector_id, "\x1f", a.user, "\x1f", a.impersonated_user, "\x1f",
                      a.resource, "\x1f", a.subresource, "\x1f", a.namespace_, "\x1f", a.name);
}

bool Aggregator::Offer(size_t slot, absl::Duration window, Alert& alert,
                       std::vector<Emitted>& out) {
  std::string key = KeyOf(alert);
  auto it = map_.find(key);
  if (it != map_.end() && alert.event_time >= it->second.end) {
    // The window is over in event time even if the watermark has not closed it yet.
    Close(it, out);
    it = map_.end();
  }
  if (it == map_.end()) {
    if (map_.size() >= max_keys_) {
      auto victim = map_.find(*lru_.back());
      ++evictions_;
      Close(victim, out);
    }
    auto [nit, inserted] = map_.try_emplace(std::move(key));
    Window& w = nit->second;
    w.slot = slot;
    w.length = window;
    w.end = alert.event_time + window;
    lru_.push_front(&nit->first);
    w.lru = lru_.begin();
    w.by_end = ends_.emplace(w.end, &nit->first).first;
    return true;
  }
  Window& w = it->second;
  lru_.splice(lru_.begin(), lru_, w.lru);
  ++absorbed_;
  w.first = std::min(w.first, alert.event_time);
  w.last = std::max(w.last, alert.event_time);
  if (!w.summary) {
    w.summary = std::move(alert);
    w.summary->count = 1;
    return false;
  }
  Alert& s = *w.summary;
  ++s.count;
  s.severity = std::max(s.severity, alert.severity);
  for (const auto& id : alert.audit_ids) {
    if (s.audit_ids.size() >= kMaxAlertAuditIds) break;
    s.audit_ids.push_back(id);
  }
  s.audit_id_count += alert.audit_id_count;
  return false;
}

void Aggregator::Advance(absl::Time watermark, std::vector<Emitted>& out) {
  while (!ends_.empty() && ends_.begin()->first <= watermark) {
    Close(map_.find(*ends_.begin()->second), out);
  }
}

void Aggregator::Close(Map::iterator it, std::vector<Emitted>& out) {
  Window& w = it->second;
  if (w.summary) {
    Alert& s = *w.summary;
    s.window_start = w.first;
    s.window_end = w.last;
    s.event_time = w.last;
    s.message =
        absl::StrCat("(x ", s.count, " in ", absl::FormatDuration(w.length), ") ", s.message);
    out.push_back(Emitted{w.slot, std::move(s)});
  }
  ends_.erase(w.by_end);
  lru_.erase(w.lru);
  map_.erase(it);
}

}  // namespace kaudit
