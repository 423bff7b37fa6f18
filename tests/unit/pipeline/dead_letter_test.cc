#include "src/pipeline/dead_letter.h"

#include <gtest/gtest.h>

#include "tests/support/test_util.h"

namespace kaudit {
namespace {

TEST(DeadLetterTest, AFullDiskFailsTheFirstWriteAndNothingIsCountedAsKept) {
  auto w = DeadLetterWriter::Open("/dev/full", testing::TestContext());
  ASSERT_TRUE(w.ok()) << w.status();
  Location where{"in.log", 3, 120, -1};
  // Each line is flushed: the write that hit the full disk reports it, not the close.
  EXPECT_FALSE((*w)->Write(InvalidReason::kMalformedJson, where, "bad", "{"));
  EXPECT_FALSE((*w)->Write(InvalidReason::kMalformedJson, where, "bad", "{"));
  EXPECT_EQ((*w)->written(), 0u);
}

TEST(DeadLetterTest, LinesAreOnDiskAsSoonAsTheyAreWritten) {
  std::string path = testing::TempDir() + "/dead.jsonl";
  auto w = DeadLetterWriter::Open(path, testing::TestContext());
  ASSERT_TRUE(w.ok()) << w.status();
  Location where{"in.log", 7, 0, 2};
  EXPECT_TRUE((*w)->Write(InvalidReason::kOversize, where, "too big", "{\"a\":1}"));
  EXPECT_EQ((*w)->written(), 1u);
  std::string got = testing::ReadFile(path);  // before the writer is closed
  EXPECT_NE(got.find(R"("line":7)"), std::string::npos) << got;
  EXPECT_NE(got.find(R"("item":2)"), std::string::npos) << got;
  EXPECT_NE(got.find(R"("reason":"oversize")"), std::string::npos) << got;
}

}  // namespace
}  // namespace kaudit
