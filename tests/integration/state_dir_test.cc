// Persistent detector state (engine.state_dir): replaying part A of a log with a state
// directory and then part B in a new process raises the same alerts as replaying A and B in
// one run; replaying B once more raises none of the persisted detectors' alerts again (no
// re-learning, no re-alerting). The log is the attack scenario (tests/data/scenario), cut 10
// minutes before the attack: A holds the learning period of first_seen and the workload and
// role that workload_diff and role_diff later diff against.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/support/process.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::ReadFile;
using testing::RunKaudit;
using testing::SourcePath;
using testing::TempDir;
using testing::WriteFile;

// The attack starts at 2024-06-02T02:00:00; the retimed public logs at 01:55.
constexpr char kCut[] = "2024-06-02T01:50:00";

// The alert lines, sorted, without their detection times (each run's own clock).
std::vector<std::string> Alerts(const std::string& out) {
  std::vector<std::string> v;
  for (absl::string_view l :
       absl::StrSplit(testing::WithoutDetectionTimes(out), '\n', absl::SkipEmpty())) {
    v.emplace_back(l);
  }
  std::sort(v.begin(), v.end());
  return v;
}

int Count(const std::vector<std::string>& alerts, const std::string& detector) {
  return static_cast<int>(std::count_if(alerts.begin(), alerts.end(), [&](const std::string& a) {
    return a.find(absl::StrCat("\"detector\":\"", detector, "\"")) != std::string::npos;
  }));
}

class StateDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    std::string all = ReadFile(SourcePath("tests/data/scenario/attack.jsonl"));
    std::string a, b;
    const std::string cut = kCut;
    for (absl::string_view line : absl::StrSplit(all, '\n', absl::SkipEmpty())) {
      size_t p = line.find("\"stageTimestamp\":\"");
      if (p == absl::string_view::npos) p = line.find("\"timestamp\":\"");
      ASSERT_NE(p, absl::string_view::npos);
      absl::string_view t = line.substr(line.find(":\"", p) + 2, 19);
      absl::StrAppend(std::string(t) < cut ? &a : &b, line, "\n");
    }
    ASSERT_FALSE(a.empty());
    ASSERT_FALSE(b.empty());
    all_ = dir_ + "/all.jsonl";
    a_ = dir_ + "/a.jsonl";
    b_ = dir_ + "/b.jsonl";
    WriteFile(all_, all);
    WriteFile(a_, a);
    WriteFile(b_, b);
  }

  std::string Config(const std::string& state) {
    std::string path = absl::StrCat(dir_, "/kaudit-", std::hash<std::string>{}(state), ".yaml");
    WriteFile(path, absl::StrCat("engine:\n  state_dir: \"", state, "\"\n"));
    return path;
  }

  std::vector<std::string> Replay(const std::string& file, const std::string& state = "") {
    std::vector<std::string> args = {"replay", "--format", "json", "--no-progress", "--quiet"};
    if (!state.empty()) {
      args.push_back("-c");
      args.push_back(Config(state));
    }
    args.push_back(file);
    auto r = RunKaudit(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Alerts(r.out);
  }

  std::string dir_, all_, a_, b_;
};

TEST_F(StateDirTest, ARestartBetweenTwoPartsRaisesTheSameAlertsAsOneRun) {
  auto one_run = Replay(all_);
  ASSERT_EQ(Count(one_run, "role_diff"), 1);
  ASSERT_EQ(Count(one_run, "workload_diff"), 1);
  ASSERT_GE(Count(one_run, "first_seen"), 2);

  const std::string state = dir_ + "/state";
  auto part_a = Replay(a_, state);
  EXPECT_TRUE(std::filesystem::exists(state + "/first_seen.state"));
  EXPECT_TRUE(std::filesystem::exists(state + "/role_diff.state"));
  EXPECT_TRUE(std::filesystem::exists(state + "/workload_diff.state"));
  // What was learned survives the end of input (alice's deployment changes in part A).
  EXPECT_NE(ReadFile(state + "/sensitive_access_new_terms.state")
                .find("workload_change\tusername\talice\t"),
            std::string::npos);
  auto part_b = Replay(b_, state);
  std::vector<std::string> split = part_a;
  split.insert(split.end(), part_b.begin(), part_b.end());
  std::sort(split.begin(), split.end());
  EXPECT_EQ(split, one_run);

  // Without the state directory part B alone misses what needs the past.
  auto b_alone = Replay(b_);
  EXPECT_EQ(Count(b_alone, "role_diff"), 0);
  EXPECT_EQ(Count(b_alone, "workload_diff"), 0);
  EXPECT_EQ(Count(b_alone, "first_seen"), 0);  // still learning

  // Replaying B again with the state B left: nothing is new any more.
  auto b_again = Replay(b_, state);
  EXPECT_EQ(Count(b_again, "role_diff"), 0);
  EXPECT_EQ(Count(b_again, "workload_diff"), 0);
  EXPECT_EQ(Count(b_again, "first_seen"), 0);
}

TEST_F(StateDirTest, ACorruptStateFileStopsStartupNamingIt) {
  const std::string state = dir_ + "/bad";
  std::filesystem::create_directories(state);
  WriteFile(state + "/first_seen.state", "kaudit-state\t1\tfirst_seen\t1\ni\tx\n");
  auto r = RunKaudit({"replay", "-c", Config(state), "--no-progress", "--quiet", a_});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("first_seen.state"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace kaudit
