// The reader under input built to make it slow: a file where every line is bad JSON after a
// good object (an EventList's items pasted as lines, each ending with a comma). Restarting
// iterate_many after each bad line re-ran stage 1 over a whole 1 MB batch per line; the dense
// error path now parses such windows line by line (linear).
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "absl/strings/str_cat.h"
#include "src/parse/event_reader.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

std::string Item(int i) {
  return absl::StrCat(
      R"({"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"i-)", i,
      R"(","stage":"ResponseComplete","verb":"get","requestURI":"/api/v1/pods",)"
      R"("user":{"username":"u"},"requestReceivedTimestamp":"2024-01-01T00:00:00Z",)"
      R"("stageTimestamp":"2024-01-01T00:00:00Z"})");
}

TEST(EventReaderHostileTest, ManyBadLinesCostLinearTime) {
  constexpr int kLines = 100000;  // ~25 MB
  std::string data;
  for (int i = 0; i < kLines; ++i) absl::StrAppend(&data, Item(i), i % 2 ? ",\n" : "\n");
  absl::StrAppend(&data, Item(kLines), "\n");
  auto start = std::chrono::steady_clock::now();
  auto h = testing::ParseString(data);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Every line is accounted for: each one with a trailing comma as malformed, with its own
  // line number, and every good one as an event (a bad line that opens an iterate_many batch
  // may also be read as an event before its trailing comma is seen).
  EXPECT_EQ(h.invalid.size(), static_cast<size_t>(kLines / 2));
  EXPECT_GE(h.events.size(), static_cast<size_t>(kLines / 2 + 1));
  ASSERT_FALSE(h.invalid.empty());
  EXPECT_EQ(h.invalid.front().line, 2u);
  EXPECT_EQ(h.invalid.back().line, static_cast<uint64_t>(kLines));
  EXPECT_EQ(h.events.back().audit_id, absl::StrCat("i-", kLines));
  // Quadratic behaviour took minutes here; linear takes well under a second (generous bound
  // for a loaded CI machine and sanitizer builds).
  EXPECT_LT(secs, 20.0);
  std::printf("%d lines, half of them bad: %.2f s\n", kLines, secs);
}

}  // namespace
}  // namespace kaudit
