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

// A multi-line document (a pretty-printed EventList) that the input cuts off inside a string:
// iterate_many hands it out anyway, with a last token whose length runs past the buffer (an
// ASan SEGV found by the framing fuzz target). It is reported truncated at its position and
// nothing of it is extracted; a complete document before it is read as usual.
TEST(EventReaderHostileTest, AMultiLineDocumentCutOffInsideAStringIsTruncated) {
  const std::string list = absl::StrCat("{\n  \"kind\": \"EventList\",\n  \"items\": [\n    ",
                                        Item(1), ",\n    ", Item(2), "\n  ]\n}\n");
  const std::string cut = absl::StrCat("[\n  ", Item(3), ",\n  ", Item(4).substr(0, 60));
  auto whole = testing::ParseString(list + cut);
  ASSERT_EQ(whole.events.size(), 2u);
  EXPECT_EQ(whole.events[1].audit_id, "i-2");
  ASSERT_EQ(whole.invalid.size(), 1u);
  EXPECT_EQ(whole.invalid[0].reason, InvalidReason::kTruncated);
  EXPECT_EQ(whole.invalid[0].detail, "incomplete document at end of input");
  // Alone, the cut-off array yields nothing but that error, not its first (complete) item:
  // the document is not valid JSON.
  auto alone = testing::ParseString(cut);
  EXPECT_TRUE(alone.events.empty());
  ASSERT_EQ(alone.invalid.size(), 1u);
  EXPECT_EQ(alone.invalid[0].reason, InvalidReason::kTruncated);
  // The fuzzer's input: an array whose quotes do not pair up, its last string unclosed.
  // It used to make GetStringFast read far past the buffer; now it is counted as invalid.
  auto fuzzed = testing::ParseString(testing::ReadFile(testing::SourcePath(
      "tests/data/regress/framing/asan-unclosed-multiline-document-at-end-of-input")));
  EXPECT_TRUE(fuzzed.events.empty());
  EXPECT_FALSE(fuzzed.invalid.empty());
}

}  // namespace
}  // namespace kaudit
