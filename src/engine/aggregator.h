#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "absl/time/time.h"
#include "src/common/strings.h"
#include "src/engine/alert.h"

namespace kaudit {

// Folds repeated identical alerts into one. Two alerts are identical when they share the key
// (detector id, user, impersonated user, resource, subresource, namespace, name).
//
// The first alert of a key passes through at once and opens a window of `window` from its event
// time. Later alerts of the key with an event time before the window's end are absorbed: counted,
// their auditIDs kept (bounded by kMaxAlertAuditIds) and their times recorded. When the watermark
// reaches the window's end (or at Finish), a window that absorbed repeats yields one summary
// alert: the first repeat's fields, count = repeats absorbed, window_start/window_end = first
// and last event time of the repeats, the message prefixed "(x N in <window>) ", the repeats'
// auditIDs, and the highest severity among them. An alert after the window opens a new one.
//
// At most `max_keys` windows are open; opening one more evicts the least recently touched (its
// pending summary, if any, is emitted early) and counts the eviction. Time is event time only.
class Aggregator {
 public:
  explicit Aggregator(size_t max_keys) : max_keys_(max_keys ? max_keys : 1) {}
  Aggregator(const Aggregator&) = delete;
  Aggregator& operator=(const Aggregator&) = delete;

  // A summary alert together with the index of the detector slot it belongs to.
  struct Emitted {
    size_t slot;
    Alert alert;
  };

  // Offers `alert` of detector slot `slot` with aggregation window `window` (> 0). Returns true
  // when it is to be emitted now (first of its window), false when it was absorbed. Summaries of
  // evicted windows are appended to `out`.
  [[nodiscard]] bool Offer(size_t slot, absl::Duration window, Alert& alert,
                           std::vector<Emitted>& out);
  // Closes every window that ends at or before `watermark`, appending summaries to `out`.
  void Advance(absl::Time watermark, std::vector<Emitted>& out);
  // Closes every open window (end of input).
  void Finish(std::vector<Emitted>& out) { Advance(absl::InfiniteFuture(), out); }

  size_t size() const { return map_.size(); }
  size_t max_keys() const { return max_keys_; }
  uint64_t evictions() const { return evictions_; }
  uint64_t absorbed() const { return absorbed_; }

  // The aggregation key of an alert (exposed for tests).
  static std::string KeyOf(const Alert& a);

 private:
  struct Window {
    size_t slot = 0;
    absl::Duration length;
    absl::Time end;                // first alert's event time + length
    std::optional<Alert> summary;  // built from the first repeat
    absl::Time first = absl::InfiniteFuture(), last = absl::InfinitePast();  // of the repeats
    std::list<const std::string*>::iterator lru;
    std::set<std::pair<absl::Time, const std::string*>>::iterator by_end;
  };
  using Map = absl::node_hash_map<std::string, Window, StringHash, StringEq>;

  // Emits the window's summary (if it absorbed repeats) and forgets it.
  void Close(Map::iterator it, std::vector<Emitted>& out);

  size_t max_keys_;
  uint64_t evictions_ = 0;
  uint64_t absorbed_ = 0;
  Map map_;
  std::list<const std::string*> lru_;                         // front = most recently touched
  std::set<std::pair<absl::Time, const std::string*>> ends_;  // open windows by end time
};

}  // namespace kaudit
