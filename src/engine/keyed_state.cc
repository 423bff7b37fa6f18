#include "src/engine/keyed_state.h"

#include <algorithm>

namespace kaudit {

DistinctWindowCounter::KeyState& DistinctWindowCounter::Add(std::string_view key,
                                                            std::string_view value, absl::Time t,
                                                            std::string_view audit_id) {
  KeyState& s = Touch(key, t);
  AddValue(s, value, t, audit_id);
  return s;
}

DistinctWindowCounter::KeyState& DistinctWindowCounter::Touch(std::string_view key, absl::Time t) {
  bool inserted = false;
  KeyState& s = keys_.Touch(key, &inserted);
  if (inserted) s.first_seen = t;
  s.last_seen = std::max(s.last_seen, t);
  // Drop values that left the window (exact count for the decision that follows).
  DropOlder(s, t - opts_.window);
  return s;
}

void DistinctWindowCounter::DropOlder(KeyState& s, absl::Time horizon) {
  if (s.oldest > horizon) return;
  absl::Time oldest = absl::InfiniteFuture();
  absl::erase_if(s.values, [&](const auto& kv) {
    if (kv.second <= horizon) {
      if (int tag = TagOf(kv.first); tag >= 0) --s.tagged[tag];
      return true;
    }
    oldest = std::min(oldest, kv.second);
    return false;
  });
  s.oldest = oldest;
}

int DistinctWindowCounter::TagOf(std::string_view value) const {
  if (!opts_.tagged || value.empty() || static_cast<unsigned char>(value[0]) >= kMaxTags) {
    return -1;
  }
  return value[0];
}

void DistinctWindowCounter::AddValue(KeyState& s, std::string_view value, absl::Time t,
                                     std::string_view audit_id) {
  ++s.events;
  // A value recorded at t is already outside a zero window: as Add() would, drop it again.
  if (opts_.window <= absl::ZeroDuration()) DropOlder(s, t - opts_.window);
  auto it = s.values.find(value);
  if (it != s.values.end()) {
    it->second = std::max(it->second, t);
  } else {
    if (s.values.size() >= opts_.max_values_per_key) {
      auto oldest =
          std::min_element(s.values.begin(), s.values.end(),
                           [](const auto& a, const auto& b) { return a.second < b.second; });
      if (int tag = TagOf(oldest->first); tag >= 0) --s.tagged[tag];
      s.values.erase(oldest);
      ++value_evictions_;
    }
    s.values.emplace(std::string(value), t);
    s.oldest = std::min(s.oldest, t);
    if (int tag = TagOf(value); tag >= 0) ++s.tagged[tag];
  }
  if (!audit_id.empty()) s.audit_ids.Add(audit_id, opts_.max_audit_ids);
}

void DistinctWindowCounter::Expire(absl::Time watermark) {
  const absl::Time horizon = watermark - opts_.window;
  keys_.EraseOldestWhile(
      [&](const KeyState& s) { return s.last_seen <= horizon && s.quiet_until <= watermark; });
}

void DistinctWindowCounter::Reset(KeyState& s) {
  s.values.clear();
  s.tagged = {};
  s.oldest = absl::InfiniteFuture();
  s.audit_ids.clear();
  s.events = 0;
}

}  // namespace kaudit
