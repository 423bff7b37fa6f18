// The webhook spool's retention (--spool-max-bytes): the oldest files whose lines are all
// settled go first; a file holding unsettled lines is never deleted.
#include "src/server/spool.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>

#include "absl/time/time.h"
#include "src/common/clock.h"
#include "src/common/logger.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

namespace fs = std::filesystem;

std::set<std::string> SpoolFiles(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("spool-", 0) == 0) out.insert(name);
  }
  return out;
}

class SpoolRetentionTest : public ::testing::Test {
 protected:
  // Files of one 100-byte line each (max_file_bytes 100: every line starts a new file).
  std::unique_ptr<Spool> Open(uint64_t max_total_bytes) {
    SpoolOptions o;
    o.dir = dir_;
    o.fsync = FsyncPolicy::kNever;
    o.max_file_bytes = 100;
    o.max_total_bytes = max_total_bytes;
    auto s = Spool::Open(o, Context{&clock_, &logger_});
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  SpoolPosition Append(Spool& s) {
    clock_.Advance(absl::Seconds(1));
    auto pos = s.Append(std::string(99, 'x'));  // 99 bytes + newline
    EXPECT_TRUE(pos.ok()) << pos.status();
    return pos.ok() ? *pos : SpoolPosition{};
  }

  std::string dir_ = testing::TempDir() + "/spool";
  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  Logger logger_{LoggerOptions{.fd = -1}};
};

TEST_F(SpoolRetentionTest, DeletesOnlySettledFilesOldestFirst) {
  auto spool = Open(300);  // three files
  ASSERT_NE(spool, nullptr);
  std::vector<SpoolPosition> pos;
  for (int i = 0; i < 5; ++i) pos.push_back(Append(*spool));
  // Nothing settled yet: all five files stay, over the bound.
  EXPECT_EQ(SpoolFiles(dir_).size(), 5u);
  EXPECT_EQ(spool->total_bytes(), 500u);
  EXPECT_EQ(spool->files_deleted(), 0u);
  // Settled up to the end of the second file: only the first is wholly before the
  // checkpoint's file, so only it may go (400 bytes stay, still over the bound).
  ASSERT_TRUE(spool->WriteCheckpoint(pos[1]).ok());
  EXPECT_EQ(SpoolFiles(dir_).count(pos[0].file), 0u);
  EXPECT_EQ(SpoolFiles(dir_).size(), 4u);
  EXPECT_EQ(spool->files_deleted(), 1u);
  EXPECT_EQ(spool->total_bytes(), 400u);
  // Everything settled: the oldest go until 300 bytes are left; the newest file (being
  // written to, and the checkpoint's) stays.
  ASSERT_TRUE(spool->WriteCheckpoint(pos[4]).ok());
  const std::set<std::string> want = {pos[2].file, pos[3].file, pos[4].file};
  EXPECT_EQ(SpoolFiles(dir_), want);
  EXPECT_EQ(spool->total_bytes(), 300u);
  EXPECT_EQ(spool->files_deleted(), 2u);
  EXPECT_EQ(spool->bytes_deleted(), 200u);
  // The checkpoint points into a file that is still there: a restart reads on from it.
  auto cp = spool->ReadCheckpoint();
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->file, pos[4].file);
}

TEST_F(SpoolRetentionTest, ARestartCountsTheFilesThereAndPrunesAtItsFirstRotation) {
  std::vector<SpoolPosition> pos;
  {
    auto spool = Open(0);  // keep everything
    ASSERT_NE(spool, nullptr);
    for (int i = 0; i < 4; ++i) pos.push_back(Append(*spool));
    ASSERT_TRUE(spool->WriteCheckpoint(pos[3]).ok());
    EXPECT_EQ(SpoolFiles(dir_).size(), 4u) << "0 keeps every file";
    EXPECT_EQ(spool->files_deleted(), 0u);
  }
  auto spool = Open(200);
  ASSERT_NE(spool, nullptr);
  EXPECT_EQ(spool->total_bytes(), 400u) << "the files found at startup count";
  // The append rotates first: the three files before the checkpoint's are settled, and the two
  // oldest go to bring the 400 bytes down to 200; then the new line is written.
  const SpoolPosition last = Append(*spool);
  EXPECT_EQ(spool->files_deleted(), 2u);
  const std::set<std::string> want = {pos[2].file, pos[3].file, last.file};
  EXPECT_EQ(SpoolFiles(dir_), want);
  EXPECT_EQ(spool->total_bytes(), 300u);
  EXPECT_EQ(SpoolFiles(dir_).count(pos[3].file), 1u) << "the checkpoint's file stays";
}

}  // namespace
}  // namespace kaudit
