#include "src/engine/state_io.h"

#include <gtest/gtest.h>

#include "tests/support/test_util.h"

namespace kaudit {
namespace {

TEST(StateIoTest, RoundTripsRecordsWithTabsNewlinesAndBackslashes) {
  StateWriter w("first_seen", 3);
  w.Record({"i", "system:serviceaccount:ci:deployer", "a\tb\nc\\d"});
  w.RecordFields({"e", ""});
  std::string data = w.Finish();
  auto r = StateReader::Parse(data, "first_seen", "mem");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->version(), 3);
  std::vector<std::string> f;
  ASSERT_TRUE(r->Next(&f));
  EXPECT_EQ(f, (std::vector<std::string>{"i", "system:serviceaccount:ci:deployer", "a\tb\nc\\d"}));
  ASSERT_TRUE(r->Next(&f));
  EXPECT_EQ(f, (std::vector<std::string>{"e", ""}));
  EXPECT_FALSE(r->Next(&f));
}

TEST(StateIoTest, RejectsTruncationOtherDetectorsAndOtherFormats) {
  StateWriter w("role_diff", 1);
  w.Record({"r", "ClusterRole x", "get", "", "pods", "", ""});
  w.Record({"r", "ClusterRole y", "get", "", "pods", "", ""});
  std::string data = w.Finish();
  // Cut after the first record: the trailer is missing.
  std::string cut = data.substr(0, data.find("ClusterRole y"));
  cut = cut.substr(0, cut.rfind('\n') + 1);
  EXPECT_FALSE(StateReader::Parse(cut, "role_diff", "f").ok());
  EXPECT_FALSE(StateReader::Parse(data.substr(0, data.size() - 1), "role_diff", "f").ok());
  EXPECT_FALSE(StateReader::Parse(data, "first_seen", "f").ok());
  EXPECT_FALSE(
      StateReader::Parse("kaudit-state\t2\trole_diff\t1\nend\t0\n", "role_diff", "f").ok());
  EXPECT_FALSE(StateReader::Parse("", "role_diff", "f").ok());
  EXPECT_TRUE(StateReader::Parse(data, "role_diff", "f").ok());
}

TEST(StateIoTest, WritesAtomicallyAndReadsBack) {
  std::string dir = testing::TempDir();
  std::string path = dir + "/x.state";
  ASSERT_TRUE(WriteFileAtomically(path, "one").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "two").ok());
  auto got = ReadWholeFile(path);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "two");
  EXPECT_TRUE(absl::IsNotFound(ReadWholeFile(dir + "/missing").status()));
  EXPECT_FALSE(WriteFileAtomically("/nonexistent-dir/x.state", "x").ok());
}

TEST(StateIoTest, TimesRoundTripToTheNanosecond) {
  absl::Time t = absl::FromUnixNanos(1717200000123456789);
  absl::Time back;
  ASSERT_TRUE(TimeFromField(TimeToField(t), &back));
  EXPECT_EQ(back, t);
  EXPECT_FALSE(TimeFromField("x", &back));
}

}  // namespace
}  // namespace kaudit
