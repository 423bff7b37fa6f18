// kaudit tail with the real binary: a writer appends real-shaped audit events (unique auditIDs)
// and rotates the log many times (lumberjack renames, gzipped backups, copy-truncate) while
// kaudit follows it; kaudit is kill -9'ed twice at different points (once while the writer
// rotates during the outage) and restarted. At the end every line was processed exactly once:
// each auditID is in the -o alerts file exactly once, the checkpoint's cumulative counts equal
// the lines written, and the final run's summary counts exactly the lines after the checkpoint
// it resumed from.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "tests/support/process.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::BackgroundProcess;
using testing::GzipCompress;
using testing::ReadFile;
using testing::SourcePath;
using testing::StartKaudit;
using testing::TempDir;
using testing::WriteFile;

// The value of `key` in a checkpoint file (-1 when absent).
int64_t CheckpointValue(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + " ", 0) == 0) {
      int64_t v = -1;
      if (absl::SimpleAtoi(line.substr(key.size() + 1), &v)) return v;
    }
  }
  return -1;
}

// The first auditID of each alert in an alerts file, in file order.
std::vector<std::string> AlertIds(const std::string& alerts) {
  std::vector<std::string> ids;
  for (size_t pos = 0; (pos = alerts.find("\"audit_ids\":[\"", pos)) != std::string::npos;) {
    pos += 14;
    const size_t end = alerts.find('"', pos);
    if (end == std::string::npos) break;
    ids.push_back(alerts.substr(pos, end - pos));
    pos = end;
  }
  return ids;
}

class TailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    log_dir_ = dir_ + "/audit";
    std::filesystem::create_directories(log_dir_);
    path_ = log_dir_ + "/audit.log";
    WriteFile(dir_ + "/kaudit.yaml", "detectors:\n  resource_activity:\n    enabled: true\n");
    std::string t = ReadFile(SourcePath("tests/data/falco/k8s_audit__create_configmap.json"));
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
    ASSERT_NE(t.find("155b887c-c27c-4fdb-9667-999f74512d0a"), std::string::npos);
    template_ = t;
  }
  std::string Event(int n) const {
    return absl::StrReplaceAll(template_, {{"155b887c-c27c-4fdb-9667-999f74512d0a",
                                            absl::StrCat("tail-", n, "-e")}}) +
           "\n";
  }
  void Append(int from, int to) {
    std::string s;
    for (int i = from; i < to; ++i) s += Event(i);
    std::ofstream out(path_, std::ios::app | std::ios::binary);
    out << s;
  }
  // One rotation, of kind rotation % 3: lumberjack rename, rename with the previous backup
  // gzipped, copy-truncate.
  void Rotate(int rotation) {
    const std::string backup =
        absl::StrCat(log_dir_, "/audit-2026-01-02T03-04-", 10 + rotation, ".000.log");
    switch (rotation % 3) {
      case 0:
        ASSERT_EQ(rename(path_.c_str(), backup.c_str()), 0);
        break;
      case 1: {
        ASSERT_EQ(rename(path_.c_str(), backup.c_str()), 0);
        WriteFile(backup + ".gz", GzipCompress(ReadFile(backup)));
        std::filesystem::remove(backup);
        break;
      }
      case 2: {
        const std::string copy = absl::StrCat(path_, ".", rotation);
        std::filesystem::copy_file(path_, copy);
        ASSERT_EQ(truncate(path_.c_str(), 0), 0);
        break;
      }
    }
    std::ofstream create(path_, std::ios::app);  // the new active file exists at once
  }
  std::unique_ptr<BackgroundProcess> Start(const std::string& summary) {
    auto p = StartKaudit({"tail", path_, "-c", dir_ + "/kaudit.yaml", "-o", alerts_, "--state-dir",
                          dir_ + "/state", "--from-beginning", "--poll-interval", "50ms",
                          "--checkpoint-interval", "100ms", "--summary-file", summary});
    EXPECT_TRUE(p->WaitForOutput("tail: following", 30)) << p->err();
    return p;
  }
  // Waits until the checkpoint stands at the start of the (still empty) active file: kaudit
  // is caught up and knows nothing of that file's content yet.
  bool WaitCheckpointAtEmptyActiveFile(int timeout_s = 60) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    while (std::chrono::steady_clock::now() < deadline) {
      struct stat st;
      if (stat(path_.c_str(), &st) == 0 &&
          CheckpointValue(cp_path(), "ino") == static_cast<int64_t>(st.st_ino) &&
          CheckpointValue(cp_path(), "offset") == 0 && CheckpointValue(cp_path(), "fp_len") == 0) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  // Waits until the checkpoint counts at least `lines` lines.
  bool WaitCheckpointLines(int64_t lines, int timeout_s = 60) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    while (std::chrono::steady_clock::now() < deadline) {
      if (CheckpointValue(cp_path(), "lines") >= lines) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  std::string cp_path() const { return dir_ + "/state/tail.checkpoint"; }

  std::string dir_, log_dir_, path_, template_;
  std::string alerts_ = "";
};

TEST_F(TailTest, RotationsAndKillNineProcessEveryLineExactlyOnce) {
  alerts_ = dir_ + "/alerts.json";
  constexpr int kLines = 2400;
  constexpr int kStep = 40;
  constexpr int kRotateEvery = 200;
  int written = 0, rotations = 0;
  auto write_until = [&](int target) {
    while (written < target) {
      Append(written, written + kStep);
      written += kStep;
      if (written % kRotateEvery == 0) Rotate(rotations++);
    }
  };
  write_until(200);
  auto kaudit = Start(dir_ + "/summary1.json");
  write_until(700);
  ASSERT_TRUE(WaitCheckpointLines(300)) << kaudit->err();
  // First crash: mid-stream, probably in the middle of a batch.
  kaudit->Signal(SIGKILL);
  EXPECT_EQ(kaudit->Wait(10), -1);
  write_until(1100);  // two rotations while kaudit is down (one gzipped)
  kaudit = Start(dir_ + "/summary2.json");
  write_until(1500);
  ASSERT_TRUE(WaitCheckpointLines(1200)) << kaudit->err();
  write_until(1700);
  kaudit->Signal(SIGKILL);  // second crash, later and at another point
  EXPECT_EQ(kaudit->Wait(10), -1);
  write_until(1900);
  const int64_t base_lines = CheckpointValue(cp_path(), "lines");
  const int64_t base_events = CheckpointValue(cp_path(), "events");
  ASSERT_GT(base_lines, 0);
  EXPECT_EQ(base_lines, base_events);
  kaudit = Start(dir_ + "/summary3.json");
  write_until(kLines);
  ASSERT_TRUE(WaitCheckpointLines(kLines)) << kaudit->err();
  kaudit->Signal(SIGTERM);
  ASSERT_EQ(kaudit->Wait(30), 0) << kaudit->err();
  ASSERT_GE(rotations, 10);

  // Every auditID exactly once in the alerts file (one alert per event, in its audit_ids).
  std::map<std::string, int> seen;
  const std::string alerts = ReadFile(alerts_);
  for (size_t pos = 0; (pos = alerts.find("\"audit_ids\":[\"", pos)) != std::string::npos;) {
    pos += 14;
    const size_t end = alerts.find('"', pos);
    ASSERT_NE(end, std::string::npos);
    ++seen[alerts.substr(pos, end - pos)];
    pos = end;
  }
  for (int i = 0; i < kLines; ++i) {
    EXPECT_TRUE(seen.count(absl::StrCat("tail-", i, "-e"))) << "no alert for line " << i;
  }
  int lines_alerts = 0;
  for (const auto& [id, n] : seen) {
    EXPECT_EQ(n, 1) << id;
    ++lines_alerts;
  }
  EXPECT_EQ(lines_alerts, kLines);
  size_t alert_lines = 0;
  for (char c : alerts) alert_lines += c == '\n';
  EXPECT_EQ(alert_lines, static_cast<size_t>(kLines));
  // Cumulative counts in the checkpoint: every line once.
  EXPECT_EQ(CheckpointValue(cp_path(), "lines"), kLines);
  EXPECT_EQ(CheckpointValue(cp_path(), "events"), kLines);
  // The final run processed exactly the lines after the checkpoint it resumed from.
  const std::string summary = ReadFile(dir_ + "/summary3.json");
  EXPECT_NE(summary.find(absl::StrCat("\"events\":", kLines - base_events, ",")), std::string::npos)
      << summary.substr(0, 300) << " base " << base_events;
  // The last restart crossed rotations made while kaudit was down: it resumed inside a rotated
  // file, or (when the crash came after that file was read to its end) went on with the rotated
  // files it had not read. Which one depends on where the checkpoint stood at the kill.
  const std::string err = kaudit->err();
  EXPECT_TRUE(err.find("resuming in rotated file") != std::string::npos ||
              err.find("reading rotated file") != std::string::npos)
      << err;
}

// Issue #8, deterministically: the active file is rotated before kaudit read a line of it.
// kaudit first checkpoints at the start of the empty active file and is then frozen (SIGSTOP)
// or killed while that file fills up and is rotated, so it can only know the file's content
// from the file itself. (1) Renamed and gzipped while kaudit holds it open: read once, not
// once through the open file and again from the .gz (the checkpoint counted 2600 lines for
// 2400 in the flaky runs). (2) Copy-truncated while kaudit was down: the copy is read, before
// the lines written after the truncation. (3) Copy-truncated and left empty while kaudit runs
// (the flaky test's last 200 lines, once in 40 runs after the first fix): the copy is read.
TEST_F(TailTest, FileRotatedBeforeItsFirstLineWasReadIsReadOnce) {
  alerts_ = dir_ + "/alerts.json";
  { std::ofstream create(path_); }
  auto kaudit = Start(dir_ + "/summary1.json");
  ASSERT_TRUE(WaitCheckpointAtEmptyActiveFile()) << kaudit->err();
  kaudit->Signal(SIGSTOP);
  Append(0, 100);
  Rotate(1);  // renamed, then gzipped (the renamed file removed)
  Append(100, 150);
  kaudit->Signal(SIGCONT);
  ASSERT_TRUE(WaitCheckpointLines(150)) << kaudit->err();
  kaudit->Signal(SIGTERM);
  ASSERT_EQ(kaudit->Wait(30), 0) << kaudit->err();
  EXPECT_EQ(CheckpointValue(cp_path(), "lines"), 150) << kaudit->err();

  Rotate(3);  // renamed: the restart finishes it and checkpoints at the new, empty file
  kaudit = Start(dir_ + "/summary2.json");
  ASSERT_TRUE(WaitCheckpointAtEmptyActiveFile()) << kaudit->err();
  kaudit->Signal(SIGKILL);
  EXPECT_EQ(kaudit->Wait(10), -1);
  Append(150, 200);
  Rotate(2);  // copy-truncate while kaudit is down
  Append(200, 220);
  kaudit = Start(dir_ + "/summary3.json");
  ASSERT_TRUE(WaitCheckpointLines(220)) << kaudit->err();

  // (3) The same while kaudit runs: copy-truncated (and left empty) while it is frozen.
  Rotate(6);  // renamed: kaudit finishes it and waits at the new, empty file
  ASSERT_TRUE(WaitCheckpointAtEmptyActiveFile()) << kaudit->err();
  kaudit->Signal(SIGSTOP);
  Append(220, 260);
  Rotate(5);  // copy-truncate
  // Whatever the file system's timestamp granularity, the active file's mtime shows a change.
  std::filesystem::last_write_time(
      path_, std::filesystem::file_time_type::clock::now() - std::chrono::seconds(10));
  kaudit->Signal(SIGCONT);
  ASSERT_TRUE(WaitCheckpointLines(260)) << kaudit->err();
  kaudit->Signal(SIGTERM);
  ASSERT_EQ(kaudit->Wait(30), 0) << kaudit->err();
  EXPECT_EQ(CheckpointValue(cp_path(), "lines"), 260) << kaudit->err();

  // Every line once, in the order written.
  std::vector<std::string> want;
  for (int i = 0; i < 260; ++i) want.push_back(absl::StrCat("tail-", i, "-e"));
  EXPECT_EQ(AlertIds(ReadFile(alerts_)), want);
}

}  // namespace
}  // namespace kaudit
