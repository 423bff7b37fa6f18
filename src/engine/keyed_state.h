#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/time/time.h"
#include "src/common/strings.h"

namespace kaudit {

// A map with a hard bound on its number of keys: inserting into a full map evicts the least
// recently touched key, and every eviction is counted. State for stateful detectors lives in
// these, so that a cardinality attack (a million users) cannot grow memory without bound.
template <typename V>
class BoundedLruMap {
 public:
  explicit BoundedLruMap(size_t max_entries) : max_entries_(max_entries ? max_entries : 1) {}
  // The recency list links the map's nodes, whose addresses a move keeps: movable, not
  // copyable.
  BoundedLruMap(const BoundedLruMap&) = delete;
  BoundedLruMap& operator=(const BoundedLruMap&) = delete;
  BoundedLruMap(BoundedLruMap&& o) noexcept
      : max_entries_(o.max_entries_),
        evictions_(o.evictions_),
        map_(std::move(o.map_)),
        newest_(std::exchange(o.newest_, nullptr)),
        oldest_(std::exchange(o.oldest_, nullptr)) {
    o.map_.clear();
  }
  BoundedLruMap& operator=(BoundedLruMap&& o) noexcept {
    if (this != &o) {
      max_entries_ = o.max_entries_;
      evictions_ = o.evictions_;
      map_ = std::move(o.map_);
      newest_ = std::exchange(o.newest_, nullptr);
      oldest_ = std::exchange(o.oldest_, nullptr);
      o.map_.clear();
    }
    return *this;
  }

  // Finds or inserts `key` and marks it most recently used.
  V& Touch(std::string_view key, bool* inserted = nullptr) {
    auto it = map_.find(key);
    if (it != map_.end()) {
      Node& n = it->second;
      if (&n != newest_) {
        Unlink(n);
        PushNewest(n);
      }
      if (inserted) *inserted = false;
      return n.value;
    }
    if (map_.size() >= max_entries_) EvictOldest();
    auto [nit, ok] = map_.try_emplace(std::string(key));
    Node& n = nit->second;
    n.key = &nit->first;
    PushNewest(n);
    if (inserted) *inserted = true;
    return n.value;
  }

  V* Find(std::string_view key) {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second.value;
  }

  void Erase(std::string_view key) {
    auto it = map_.find(key);
    if (it == map_.end()) return;
    Unlink(it->second);
    map_.erase(it);
  }

  // Erases least recently touched entries while `pred(value)` holds (expiry by event time).
  template <typename Pred>
  size_t EraseOldestWhile(Pred pred) {
    size_t n = 0;
    while (oldest_ != nullptr && pred(oldest_->value)) {
      EraseNode(*oldest_);
      ++n;
    }
    return n;
  }

  // Visits (key, value) from least to most recently touched, so that touching them again in
  // this order (e.g. when loading saved state) restores the recency order.
  template <typename F>
  void ForEachOldestFirst(F f) const {
    for (const Node* n = oldest_; n != nullptr; n = n->newer) f(*n->key, n->value);
  }

  size_t size() const { return map_.size(); }
  size_t max_entries() const { return max_entries_; }
  uint64_t evictions() const { return evictions_; }

 private:
  // A map node, linked into the recency list (no allocation of its own).
  struct Node {
    V value{};
    const std::string* key = nullptr;
    Node* newer = nullptr;
    Node* older = nullptr;
  };

  void Unlink(Node& n) {
    (n.newer != nullptr ? n.newer->older : newest_) = n.older;
    (n.older != nullptr ? n.older->newer : oldest_) = n.newer;
    n.newer = n.older = nullptr;
  }
  void PushNewest(Node& n) {
    n.older = newest_;
    n.newer = nullptr;
    (newest_ != nullptr ? newest_->newer : oldest_) = &n;
    newest_ = &n;
  }
  void EraseNode(Node& n) {
    Unlink(n);
    map_.erase(map_.find(*n.key));
  }
  void EvictOldest() {
    EraseNode(*oldest_);
    ++evictions_;
  }

  size_t max_entries_;
  uint64_t evictions_ = 0;
  absl::node_hash_map<std::string, Node, StringHash, StringEq> map_;
  Node* newest_ = nullptr;
  Node* oldest_ = nullptr;
};

class RepeatGate {
 public:
  RepeatGate(absl::Duration window, size_t max_keys) : window_(window), last_(max_keys) {}
  bool Pass(std::string_view key, absl::Time t) {
    if (window_ <= absl::ZeroDuration()) return true;
    bool inserted = false;
    absl::Time& last = last_.Touch(key, &inserted);
    if (!inserted && t - last < window_) return false;
    last = t;
    return true;
  }
  bool enabled() const { return window_ > absl::ZeroDuration(); }
  size_t size() const { return last_.size(); }
  uint64_t evictions() const { return last_.evictions(); }

 private:
  absl::Duration window_;
  BoundedLruMap<absl::Time> last_;
};

// The last `capacity` ids added (auditIDs kept as an alert's evidence), oldest first. A ring
// of strings whose capacity is reused: adding one allocates nothing once the ring is full.
class RecentIds {
 public:
  void Add(std::string_view id, size_t capacity) {
    if (capacity == 0) return;
    if (ring_.size() < capacity) {
      ring_.emplace_back(id);
      return;
    }
    ring_[head_].assign(id.data(), id.size());
    head_ = (head_ + 1) % ring_.size();
  }
  size_t size() const { return ring_.size(); }
  void clear() {
    ring_.clear();
    head_ = 0;
  }
  // Calls f(std::string_view) for each id, oldest first.
  template <typename F>
  void ForEach(F&& f) const {
    for (size_t i = 0; i < ring_.size(); ++i)
      f(std::string_view(ring_[(head_ + i) % ring_.size()]));
  }

 private:
  std::vector<std::string> ring_;
  size_t head_ = 0;  // the oldest id once the ring is full
};

// Counts, per key, the distinct values seen within a sliding event-time window: exact while
// the bounds hold (max keys, max values per key); evictions past a bound are counted.
class DistinctWindowCounter {
 public:
  static constexpr size_t kMaxTags = 8;
  struct Options {
    absl::Duration window = absl::Minutes(10);
    size_t max_keys = 100000;
    size_t max_values_per_key = 1000;
    size_t max_audit_ids = 32;  // evidence kept per key
    // Values start with a tag byte (0 to kMaxTags - 1) naming their kind; KeyState::tagged
    // counts the distinct values of each kind (a detector counting several kinds of value per
    // key reads them without a pass over the values).
    bool tagged = false;
  };
  struct KeyState {
    absl::flat_hash_map<std::string, absl::Time, StringHash, StringEq>
        values;                                  // value -> last seen
    std::array<uint32_t, kMaxTags> tagged = {};  // values by tag (Options::tagged)
    // No value was last seen before this (a bound, not the minimum: a value seen again moves
    // on): values are dropped only when it falls out of the window, not scanned every event.
    absl::Time oldest = absl::InfiniteFuture();
    absl::Time first_seen = absl::InfinitePast();
    absl::Time last_seen = absl::InfinitePast();
    absl::Time quiet_until = absl::InfinitePast();  // set by the detector after alerting
    RecentIds audit_ids;                            // the last max_audit_ids
    uint64_t events = 0;
  };

  explicit DistinctWindowCounter(Options o) : opts_(o), keys_(o.max_keys) {}

  // Records `value` for `key` at event time `t` and returns the key's state, with values older
  // than the window already removed (so values.size() is the exact distinct count).
  KeyState& Add(std::string_view key, std::string_view value, absl::Time t,
                std::string_view audit_id);
  // Add() in two steps, for several values of one key at one event time: Touch looks the key
  // up once (and drops values that left the window), AddValue records one value (the same
  // state as calling Add for each value).
  KeyState& Touch(std::string_view key, absl::Time t);
  void AddValue(KeyState& s, std::string_view value, absl::Time t, std::string_view audit_id);
  // Forgets keys idle for longer than the window.
  void Expire(absl::Time watermark);
  // Forgets one key's values (after an alert).
  void Reset(KeyState& s);

  size_t size() const { return keys_.size(); }
  uint64_t evictions() const { return keys_.evictions() + value_evictions_; }
  const Options& options() const { return opts_; }

 private:
  // Drops the values last seen at or before `horizon`.
  void DropOlder(KeyState& s, absl::Time horizon);
  // The tag of `value` (Options::tagged), or -1.
  int TagOf(std::string_view value) const;

  Options opts_;
  BoundedLruMap<KeyState> keys_;
  uint64_t value_evictions_ = 0;
};

}  // namespace kaudit
