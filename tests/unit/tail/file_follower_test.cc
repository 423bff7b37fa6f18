// FileFollower: rename rotation, copy-truncate, partial lines, oversize lines, and resuming from
// a position in the active file, a renamed backup or a gzipped one; Checkpoint round trips.
#include "src/tail/file_follower.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "src/common/clock.h"
#include "src/tail/checkpoint.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::GzipCompress;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

std::string Line(int n) {
  return absl::StrCat(R"({"kind":"Event","auditID":"id-)", n, R"(","stage":"ResponseComplete"})",
                      "\n");
}
std::string Lines(int from, int to) {
  std::string s;
  for (int i = from; i <= to; ++i) s += Line(i);
  return s;
}
void Append(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << data;
}

class FollowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    path_ = dir_ + "/audit.log";
  }
  std::unique_ptr<FileFollower> Open(bool from_beginning = true,
                                     std::optional<TailPosition> resume = std::nullopt,
                                     uint64_t max_line = 1 << 20) {
    FollowerOptions o;
    o.path = path_;
    o.from_beginning = from_beginning;
    o.max_line_bytes = max_line;
    o.chunk_bytes = 64;  // small chunks: lines straddle reads
    o.ctx = Context{&clock_, testing::TestContext().logger};
    auto f = FileFollower::Open(o, resume);
    EXPECT_TRUE(f.ok()) << f.status();
    return std::move(*f);
  }
  // Everything available now.
  static std::string Drain(FileFollower& f) {
    std::string all, run;
    while (f.Next(&run)) {
      EXPECT_FALSE(run.empty());
      EXPECT_EQ(run.back(), '\n');
      all += run;
      run.clear();
    }
    return all;
  }

  RealClock clock_;
  std::string dir_, path_;
};

TEST_F(FollowerTest, HoldsPartialLineUntilFinished) {
  WriteFile(path_, Line(1) + R"({"kind":"Ev)");
  auto f = Open();
  EXPECT_EQ(Drain(*f), Line(1));
  EXPECT_EQ(f->stats().partial_line_bytes, 11u);
  EXPECT_EQ(f->position().offset, Line(1).size());
  Append(path_, std::string(Line(2)).substr(11));
  EXPECT_EQ(Drain(*f), Line(2).substr(0, 11) + Line(2).substr(11));
  EXPECT_EQ(f->stats().partial_line_bytes, 0u);
  EXPECT_EQ(f->stats().lines, 2u);
}

TEST_F(FollowerTest, StartsAtEndByDefault) {
  WriteFile(path_, Lines(1, 3) + "{\"partial");
  auto f = Open(/*from_beginning=*/false);
  EXPECT_EQ(Drain(*f), "");
  Append(path_, "\"}\n" + Line(4));
  // The partial line was being written when we started: its rest is not a line start, but it
  // is delivered whole, never split.
  EXPECT_EQ(Drain(*f), "{\"partial\"}\n" + Line(4));
}

TEST_F(FollowerTest, RenameRotationReadsOldFileToItsEndFirst) {
  WriteFile(path_, Lines(1, 3));
  auto f = Open();
  EXPECT_EQ(Drain(*f), Lines(1, 3));
  Append(path_, Line(4));  // written before the rotation, not read yet
  ASSERT_EQ(rename(path_.c_str(), (dir_ + "/audit-2026-01-02T03-04-05.678.log").c_str()), 0);
  WriteFile(path_, Lines(5, 6));
  EXPECT_EQ(Drain(*f), Lines(4, 6));
  EXPECT_EQ(f->stats().rotations_rename, 1u);
  // Several rotations between two looks: the file in the middle is read too, in order.
  ASSERT_EQ(rename(path_.c_str(), (dir_ + "/audit-2026-01-02T03-04-06.000.log").c_str()), 0);
  WriteFile(path_, Lines(7, 8));
  ASSERT_EQ(rename(path_.c_str(), (dir_ + "/audit-2026-01-02T03-04-07.000.log").c_str()), 0);
  WriteFile(path_, Lines(9, 9));
  EXPECT_EQ(Drain(*f), Lines(7, 9));
  EXPECT_EQ(f->stats().rotations_rename, 2u);
}

// Issue #8: the active file was opened while empty and rotated (renamed, then gzipped) before
// any of it was read. The renamed file is read through the open descriptor; its .gz is the
// same content and must not be read a second time (nor may the new active file, named like the
// renamed one, be taken for it when the backup is marked as read).
TEST_F(FollowerTest, FileOpenedEmptyAndRotatedBeforeReadingIsReadOnce) {
  WriteFile(path_, "");
  auto f = Open();
  EXPECT_EQ(Drain(*f), "");
  EXPECT_EQ(f->position().file.fp_len, 0u);
  Append(path_, Lines(1, 3));
  const std::string b1 = dir_ + "/audit-2026-01-02T03-04-05.678.log";
  ASSERT_EQ(rename(path_.c_str(), b1.c_str()), 0);
  WriteFile(b1 + ".gz", GzipCompress(ReadFile(b1)));
  std::filesystem::remove(b1);
  WriteFile(path_, Lines(4, 5));
  EXPECT_EQ(Drain(*f), Lines(1, 5));
  // The next rotation of the new active file is read once too.
  ASSERT_EQ(rename(path_.c_str(), (dir_ + "/audit-2026-01-02T03-04-06.000.log").c_str()), 0);
  WriteFile(path_, Line(6));
  EXPECT_EQ(Drain(*f), Line(6));
  // And a restart from there reads nothing again.
  const TailPosition end = f->position();
  f.reset();
  auto g = Open(false, end);
  EXPECT_EQ(Drain(*g), "");
}

// Issue #8: checkpointed while the active file was still empty (nothing known of its content),
// then copy-truncated while kaudit was down: the copy is read first, then the active file.
TEST_F(FollowerTest, ResumeInEmptyActiveFileFindsItsCopyTruncatedContent) {
  WriteFile(path_, "");
  TailPosition pos;
  {
    auto f = Open();
    EXPECT_EQ(Drain(*f), "");
    pos = f->position();
  }
  ASSERT_EQ(pos.file.fp_len, 0u);
  Append(path_, Lines(1, 3));
  std::filesystem::copy_file(path_, dir_ + "/audit.log.1");
  ASSERT_EQ(truncate(path_.c_str(), 0), 0);
  Append(path_, Lines(4, 5));
  auto f = Open(false, pos);
  EXPECT_EQ(Drain(*f), Lines(1, 5));
}

// Issue #8: the active file was opened while empty and copy-truncated before any line of it
// was read (left empty: neither its size nor its first bytes show it). The copy is read.
TEST_F(FollowerTest, FileOpenedEmptyAndCopyTruncatedBeforeReadingIsReadFromTheCopy) {
  WriteFile(path_, "");
  // An mtime clearly in the past: the writes below change it even with coarse timestamps.
  std::filesystem::last_write_time(
      path_, std::filesystem::file_time_type::clock::now() - std::chrono::seconds(10));
  auto f = Open();
  EXPECT_EQ(Drain(*f), "");
  EXPECT_EQ(Drain(*f), "");  // unchanged: nothing to look for
  Append(path_, Lines(1, 3));
  std::filesystem::copy_file(path_, dir_ + "/audit.log.1");
  ASSERT_EQ(truncate(path_.c_str(), 0), 0);
  EXPECT_EQ(Drain(*f), Lines(1, 3));
  Append(path_, Lines(4, 5));
  EXPECT_EQ(Drain(*f), Lines(4, 5));
  EXPECT_EQ(f->stats().truncate_unrecovered, 0u);
}

TEST_F(FollowerTest, CopyTruncateFinishesFromTheCopy) {
  WriteFile(path_, Lines(1, 2));
  auto f = Open();
  EXPECT_EQ(Drain(*f), Lines(1, 2));
  Append(path_, Line(3));
  std::filesystem::copy_file(path_, dir_ + "/audit.log.1");
  ASSERT_EQ(truncate(path_.c_str(), 0), 0);
  Append(path_, Line(4));
  EXPECT_EQ(Drain(*f), Lines(3, 4));
  EXPECT_EQ(f->stats().rotations_truncate, 1u);
  EXPECT_EQ(f->stats().truncate_unrecovered, 0u);
  // Truncated and regrown past the old offset before we looked: seen by the fingerprint.
  Append(path_, Lines(5, 5));
  EXPECT_EQ(Drain(*f), Line(5));
  std::filesystem::copy_file(path_, dir_ + "/audit.log.2");
  ASSERT_EQ(truncate(path_.c_str(), 0), 0);
  Append(path_, Lines(10, 14));
  EXPECT_EQ(Drain(*f), Lines(10, 14));
  EXPECT_EQ(f->stats().rotations_truncate, 2u);
}

TEST_F(FollowerTest, TruncateWithoutCopyStartsOverAndCounts) {
  WriteFile(path_, Lines(1, 2));
  auto f = Open();
  EXPECT_EQ(Drain(*f), Lines(1, 2));
  ASSERT_EQ(truncate(path_.c_str(), 0), 0);
  EXPECT_EQ(Drain(*f), "");
  Append(path_, Line(3));
  EXPECT_EQ(Drain(*f), Line(3));
  EXPECT_EQ(f->stats().rotations_truncate, 1u);
  EXPECT_EQ(f->stats().truncate_unrecovered, 1u);
}

TEST_F(FollowerTest, OversizeLineIsSkippedToItsNewline) {
  WriteFile(path_, Line(1) + std::string(300, 'x'));
  auto f = Open(true, std::nullopt, /*max_line=*/200);
  EXPECT_EQ(Drain(*f), Line(1));
  EXPECT_EQ(f->stats().oversize_lines, 1u);
  Append(path_, std::string(500, 'y') + "\n" + Line(2));
  EXPECT_EQ(Drain(*f), Line(2));
  EXPECT_EQ(f->stats().oversize_lines, 1u);
}

TEST_F(FollowerTest, ResumesInTheActiveFile) {
  WriteFile(path_, Lines(1, 4));
  TailPosition pos;
  {
    auto f = Open();
    std::string run;
    ASSERT_TRUE(f->Next(&run));
    pos = f->position();
    // Lines after `run` are not acknowledged: they are read again after the restart.
    pos.offset = Lines(1, 2).size();
  }
  auto f = Open(false, pos);
  EXPECT_EQ(Drain(*f), Lines(3, 4));
}

TEST_F(FollowerTest, ResumesInGzippedBackupThenNewerFiles) {
  WriteFile(path_, Lines(1, 4));
  TailPosition pos;
  {
    auto f = Open();
    EXPECT_EQ(Drain(*f), Lines(1, 4));
    pos = f->position();
  }
  pos.offset = Lines(1, 2).size();  // as if the checkpoint was taken after line 2
  // While down: rotated (renamed, then gzipped), a whole file came and went, a new one began.
  const std::string b1 = dir_ + "/audit-2026-01-02T03-04-05.678.log";
  ASSERT_EQ(rename(path_.c_str(), b1.c_str()), 0);
  WriteFile(b1 + ".gz", GzipCompress(ReadFile(b1)));
  std::filesystem::remove(b1);
  WriteFile(dir_ + "/audit-2026-01-02T03-04-06.000.log", Lines(5, 6));
  WriteFile(path_, Lines(7, 8));
  auto f = Open(false, pos);
  EXPECT_EQ(Drain(*f), Lines(3, 8));
  EXPECT_EQ(f->stats().checkpoint_not_found, 0u);
  // Restarting from the end position reads nothing again.
  const TailPosition end = f->position();
  f.reset();
  auto g = Open(false, end);
  EXPECT_EQ(Drain(*g), "");
}

TEST_F(FollowerTest, ResumesInRenamedBackupAndSkipsFilesAlreadyRead) {
  WriteFile(path_, Lines(1, 2));
  auto f = Open();
  EXPECT_EQ(Drain(*f), Lines(1, 2));
  ASSERT_EQ(rename(path_.c_str(), (dir_ + "/audit-1.log").c_str()), 0);
  WriteFile(path_, Lines(3, 5));
  std::string run;
  ASSERT_TRUE(f->Next(&run));
  EXPECT_EQ(run.substr(0, Line(3).size()), Line(3));
  TailPosition pos = f->position();
  pos.offset = Line(3).size();
  f.reset();
  // audit-1.log (read completely) is compressed now; audit.log was renamed.
  WriteFile(dir_ + "/audit-1.log.gz", GzipCompress(ReadFile(dir_ + "/audit-1.log")));
  std::filesystem::remove(dir_ + "/audit-1.log");
  ASSERT_EQ(rename(path_.c_str(), (dir_ + "/audit-2.log").c_str()), 0);
  WriteFile(path_, Line(6));
  auto g = Open(false, pos);
  EXPECT_EQ(Drain(*g), Lines(4, 6));
}

TEST(CheckpointTest, RoundTripsAndReplacesAtomically) {
  const std::string dir = TempDir();
  const std::string path = dir + "/tail.checkpoint";
  auto none = ReadCheckpoint(path);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  Checkpoint cp;
  cp.path = "/var/log/kubernetes/audit/audit.log";
  cp.file = {2049, 123456, 1024, 0xdeadbeef};
  cp.offset = 987654321;
  cp.skipping = true;
  cp.opened_unix = 1700000000;
  cp.seen = {{0, 0, 1024, 42}, {0, 0, 17, 0xffffffff}};
  cp.output = "/tmp/alerts.json";
  cp.output_bytes = 5555;
  cp.lines = 77;
  cp.events = 70;
  ASSERT_TRUE(WriteCheckpoint(path, cp).ok());
  cp.offset = 1;
  // A crash while writing the next one leaves a stray temporary file: the old one still reads.
  WriteFile(path + ".tmp", "kaudit-tail-checkpoint 1\noffset 12");
  auto got = ReadCheckpoint(path);
  ASSERT_TRUE(got.ok() && got->has_value());
  const Checkpoint& c = **got;
  EXPECT_EQ(c.path, cp.path);
  EXPECT_EQ(c.file.dev, 2049u);
  EXPECT_EQ(c.file.ino, 123456u);
  EXPECT_EQ(c.file.fp_len, 1024u);
  EXPECT_EQ(c.file.fp_crc, 0xdeadbeefu);
  EXPECT_EQ(c.offset, 987654321u);
  EXPECT_TRUE(c.skipping);
  EXPECT_EQ(c.opened_unix, 1700000000);
  ASSERT_EQ(c.seen.size(), 2u);
  EXPECT_EQ(c.seen[1].fp_len, 17u);
  EXPECT_EQ(c.seen[1].fp_crc, 0xffffffffu);
  EXPECT_EQ(c.output, cp.output);
  EXPECT_EQ(c.output_bytes, 5555u);
  EXPECT_EQ(c.lines, 77u);
  EXPECT_EQ(c.events, 70u);
  ASSERT_TRUE(WriteCheckpoint(path, cp).ok());
  EXPECT_EQ((*ReadCheckpoint(path))->offset, 1u);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

  WriteFile(path, "garbage\n");
  EXPECT_FALSE(ReadCheckpoint(path).ok());
  WriteFile(path, "kaudit-tail-checkpoint 1\noffset x\n");
  EXPECT_FALSE(ReadCheckpoint(path).ok());
}

}  // namespace
}  // namespace kaudit
