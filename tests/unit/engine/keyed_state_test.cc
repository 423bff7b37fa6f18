// BoundedLruMap: recency order, eviction of the least recently touched, erasure and expiry,
// the order a state save visits, and moves (the recency list links the map's own nodes).
#include "src/engine/keyed_state.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace kaudit {
namespace {

std::vector<std::string> OldestFirst(const BoundedLruMap<int>& m) {
  std::vector<std::string> keys;
  m.ForEachOldestFirst([&](const std::string& k, const int&) { keys.push_back(k); });
  return keys;
}

using Keys = std::vector<std::string>;

TEST(BoundedLruMapTest, TouchOrdersByRecencyAndEvictsTheOldest) {
  BoundedLruMap<int> m(3);
  bool inserted = false;
  m.Touch("a", &inserted) = 1;
  EXPECT_TRUE(inserted);
  m.Touch("b") = 2;
  m.Touch("c") = 3;
  EXPECT_EQ(OldestFirst(m), (Keys{"a", "b", "c"}));
  EXPECT_EQ(m.Touch("a", &inserted), 1);  // a becomes the newest
  EXPECT_FALSE(inserted);
  EXPECT_EQ(OldestFirst(m), (Keys{"b", "c", "a"}));
  m.Touch("c");  // touching the middle one
  EXPECT_EQ(OldestFirst(m), (Keys{"b", "a", "c"}));
  m.Touch("c");  // touching the newest changes nothing
  EXPECT_EQ(OldestFirst(m), (Keys{"b", "a", "c"}));
  m.Touch("d") = 4;  // full: b, the least recently touched, goes
  EXPECT_EQ(OldestFirst(m), (Keys{"a", "c", "d"}));
  EXPECT_EQ(m.evictions(), 1u);
  EXPECT_EQ(m.Find("b"), nullptr);
  ASSERT_NE(m.Find("d"), nullptr);
  EXPECT_EQ(*m.Find("d"), 4);
  EXPECT_EQ(m.size(), 3u);
}

TEST(BoundedLruMapTest, EraseAndExpiryKeepTheOrderOfTheRest) {
  BoundedLruMap<int> m(10);
  for (int i = 0; i < 6; ++i) m.Touch(std::to_string(i)) = i;
  m.Erase("0");  // the oldest
  m.Erase("5");  // the newest
  m.Erase("3");  // one in the middle
  m.Erase("nope");
  EXPECT_EQ(OldestFirst(m), (Keys{"1", "2", "4"}));
  EXPECT_EQ(m.EraseOldestWhile([](int v) { return v < 2; }), 1u);  // stops at the first kept
  EXPECT_EQ(OldestFirst(m), (Keys{"2", "4"}));
  EXPECT_EQ(m.EraseOldestWhile([](int) { return true; }), 2u);
  EXPECT_EQ(m.size(), 0u);
  EXPECT_EQ(OldestFirst(m), Keys{});
  m.Touch("x") = 7;  // usable again after being emptied
  EXPECT_EQ(OldestFirst(m), Keys{"x"});
  EXPECT_EQ(m.evictions(), 0u);  // erasure and expiry are not evictions
}

TEST(BoundedLruMapTest, AMovedMapKeepsItsEntriesAndOrder) {
  BoundedLruMap<int> m(3);
  m.Touch("a") = 1;
  m.Touch("b") = 2;
  m.Touch("a");
  BoundedLruMap<int> moved(std::move(m));
  EXPECT_EQ(OldestFirst(moved), (Keys{"b", "a"}));
  moved.Touch("c");
  moved.Touch("d");  // evicts b
  EXPECT_EQ(OldestFirst(moved), (Keys{"a", "c", "d"}));
  BoundedLruMap<int> assigned(1);
  assigned.Touch("z");
  assigned = std::move(moved);
  EXPECT_EQ(OldestFirst(assigned), (Keys{"a", "c", "d"}));
  EXPECT_EQ(assigned.max_entries(), 3u);
}

// Values leave the window exactly when their last sighting does, although they are dropped
// only once the oldest bound falls out of it; tagged counts follow every way a value goes.
TEST(RecentIdsTest, KeepsTheLastIdsOldestFirst) {
  RecentIds ids;
  auto all = [&] {
    std::vector<std::string> out;
    ids.ForEach([&](std::string_view id) { out.emplace_back(id); });
    return out;
  };
  for (int i = 0; i < 3; ++i) ids.Add(absl::StrCat("id", i), 4);
  EXPECT_EQ(all(), (std::vector<std::string>{"id0", "id1", "id2"}));
  for (int i = 3; i < 10; ++i) ids.Add(absl::StrCat("id", i), 4);
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_EQ(all(), (std::vector<std::string>{"id6", "id7", "id8", "id9"}));
  ids.Add("a-much-longer-audit-id-than-the-others-0123456789", 4);
  EXPECT_EQ(all(), (std::vector<std::string>{"id7", "id8", "id9",
                                             "a-much-longer-audit-id-than-the-others-0123456789"}));
  ids.clear();
  EXPECT_EQ(ids.size(), 0u);
  ids.Add("x", 4);
  EXPECT_EQ(all(), (std::vector<std::string>{"x"}));
  RecentIds none;
  none.Add("y", 0);
  EXPECT_EQ(none.size(), 0u);
}

TEST(DistinctWindowCounterTest, TaggedCountsFollowExpiryRefreshEvictionAndReset) {
  DistinctWindowCounter::Options o;
  o.window = absl::Seconds(10);
  o.max_values_per_key = 3;
  o.tagged = true;
  DistinctWindowCounter c(o);
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  auto at = [&](int s) { return t0 + absl::Seconds(s); };
  auto add = [&](char tag, std::string_view v, int s) -> DistinctWindowCounter::KeyState& {
    DistinctWindowCounter::KeyState& st = c.Touch("k", at(s));
    c.AddValue(st, absl::StrCat(absl::string_view(&tag, 1), ToAbsl(v)), at(s), "");
    return st;
  };
  add(0, "a", 0);
  add(1, "b", 1);
  DistinctWindowCounter::KeyState& st = add(0, "a", 8);  // a seen again: kept until 18
  EXPECT_EQ(st.tagged[0], 1u);
  EXPECT_EQ(st.tagged[1], 1u);
  c.Touch("k", at(11));  // b (last seen at 1) leaves
  EXPECT_EQ(st.values.size(), 1u);
  EXPECT_EQ(st.tagged[1], 0u);
  c.Touch("k", at(17));
  EXPECT_EQ(st.values.size(), 1u);
  EXPECT_EQ(st.tagged[0], 1u);
  c.Touch("k", at(18));  // a (last seen at 8) leaves
  EXPECT_TRUE(st.values.empty());
  EXPECT_EQ(st.tagged[0], 0u);
  // Past max_values_per_key the oldest value is evicted, and its tag's count with it.
  add(2, "x", 20);
  add(3, "y", 21);
  add(3, "z", 22);
  add(4, "w", 23);  // evicts x
  EXPECT_EQ(st.values.size(), 3u);
  EXPECT_EQ(st.tagged[2], 0u);
  EXPECT_EQ(st.tagged[3], 2u);
  EXPECT_EQ(st.tagged[4], 1u);
  EXPECT_EQ(c.evictions(), 1u);
  c.Reset(st);
  EXPECT_EQ(st.tagged[3], 0u);
  EXPECT_EQ(add(3, "y", 24).tagged[3], 1u);
}

}  // namespace
}  // namespace kaudit
