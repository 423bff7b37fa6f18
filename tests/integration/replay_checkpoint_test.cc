// kaudit replay --checkpoint with the real binary (issue #8): a replay of three real-data files
// (one gzipped) is kill -9'ed once its checkpoint shows it in the second file, then started
// again with the same flags. The alerts file then holds exactly the alerts of an uninterrupted
// run (the same multiset: nothing lost, nothing twice) and the summary counts the whole
// replay. A checkpoint of other inputs, and standard input, are startup errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "src/tail/checkpoint.h"
#include "tests/support/process.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::GzipCompress;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ReadFile;
using testing::RunKaudit;
using testing::SourcePath;
using testing::StartKaudit;
using testing::TempDir;
using testing::WriteFile;

// The value of `key` in a replay checkpoint (-1 when absent or unreadable).
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

// `copies` copies of real audit events (a kube-apiserver log of the audit2rbac demo and the
// Falco corpus' exec, attach, anonymous and privileged-pod events), each copy's auditIDs made
// unique with a suffix.
std::string RealEvents(int first_copy, int copies) {
  std::vector<std::string> lines;
  for (const char* f :
       {"tests/data/public/audit2rbac_demo_v1_2022.log",
        "tests/data/falco/k8s_audit__exec_pod.json", "tests/data/falco/k8s_audit__attach_pod.json",
        "tests/data/falco/k8s_audit__anonymous_creates_namespace_foo.json",
        "tests/data/falco/k8s_audit__create_nginx_pod_privileged.json"}) {
    for (absl::string_view l : absl::StrSplit(ReadFile(SourcePath(f)), '\n', absl::SkipEmpty())) {
      lines.emplace_back(l);
    }
  }
  std::string out;
  for (int c = first_copy; c < first_copy + copies; ++c) {
    for (const std::string& l : lines) {
      const size_t at = l.find("\"auditID\":\"");
      const size_t end = l.find('"', at + 11);
      absl::StrAppend(&out, l.substr(0, end), "-", c, l.substr(end), "\n");
    }
  }
  return out;
}

// The alert lines, sorted, without their detection times (each run's own clock).
std::vector<std::string> SortedLines(const std::string& s) {
  std::vector<std::string> out =
      absl::StrSplit(testing::WithoutDetectionTimes(s), '\n', absl::SkipEmpty());
  std::sort(out.begin(), out.end());
  return out;
}

// The integer after `"key":` in a JSON summary (-1 when absent).
int64_t SummaryValue(const std::string& json, const std::string& key) {
  const size_t p = json.find("\"" + key + "\":");
  if (p == std::string::npos) return -1;
  return std::atoll(json.c_str() + p + key.size() + 3);
}

class ReplayCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    // resource_activity alerts on every event: each auditID must come out exactly once. The
    // persistent detectors (first_seen, ...) stay on: their state is in the checkpoint.
    WriteFile(dir_ + "/kaudit.yaml", absl::StrCat(R"(input: {chunk_bytes: 64KiB}
output: {format: json}
detectors:
  resource_activity: {enabled: true}
)",
                                                  kWindowedOff));
    // Read oldest first (logrotate numbering): audit.log.2.gz, audit.log.1, audit.log.
    WriteFile(dir_ + "/audit.log.2.gz", GzipCompress(RealEvents(0, 60)));
    WriteFile(dir_ + "/audit.log.1", RealEvents(60, 60));
    WriteFile(dir_ + "/audit.log", RealEvents(120, 400));
  }
  std::vector<std::string> Args(const std::string& out, const std::string& summary,
                                const std::string& threads = "2") const {
    return {"replay",
            "-c",
            dir_ + "/kaudit.yaml",
            "-o",
            out,
            "--summary-file",
            summary,
            "--no-progress",
            "--threads",
            threads,
            dir_ + "/audit.log.2.gz",
            dir_ + "/audit.log.1",
            dir_ + "/audit.log"};
  }
  void KillNineAndRerun(const std::string& threads);
  // The detectors with windows that are not persisted (detectors/README.md, "Persistent
  // state"), off: a resume forgets a window straddling the checkpoint.
  static constexpr const char* kWindowedOff = R"(  create_then_exec: {enabled: false}
  grant_then_first_use: {enabled: false}
  anonymous_then_write: {enabled: false}
  exec_session_duration: {enabled: false}
  secret_enumeration: {enabled: false}
  csr_self_approval: {enabled: false}
  csr_approved_then_used: {enabled: false}
  role_then_workload: {enabled: false}
  permission_enumeration: {enabled: false}
  denied_burst_by_ip: {enabled: false}
  secret_denied_burst: {enabled: false}
  discovery_burst: {enabled: false}
  mass_deletion: {enabled: false}
  offensive_user_agent: {enabled: false}
  secret_read_by_workload: {enabled: false}
  anonymous_probe: {enabled: false}
  threat_intel_source: {enabled: false}
  system_identity_untrusted_source: {enabled: false}
)";

  std::string dir_;
};

void ReplayCheckpointTest::KillNineAndRerun(const std::string& threads) {
  // The reference: one uninterrupted run, no checkpoint.
  auto ref = RunKaudit(Args(dir_ + "/ref.jsonl", dir_ + "/ref.json", threads));
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  const std::vector<std::string> want = SortedLines(ReadFile(dir_ + "/ref.jsonl"));
  const std::string ref_summary = ReadFile(dir_ + "/ref.json");
  ASSERT_GT(want.size(), 1000u);

  // The same replay with a checkpoint after every chunk, killed once it is in the second file.
  const std::string cp = dir_ + "/replay.checkpoint";
  std::vector<std::string> args = Args(dir_ + "/alerts.jsonl", dir_ + "/s1.json", threads);
  for (const char* a : {"--checkpoint-interval", "0s"}) args.emplace_back(a);
  args.push_back("--checkpoint");
  args.push_back(cp);
  auto p = StartKaudit(args);
  bool killed = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline && p->running()) {
    if (CheckpointValue(cp, "file") >= 1 && CheckpointValue(cp, "offset") > 0) {
      p->Signal(SIGKILL);
      killed = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_TRUE(killed) << "the replay ended before its checkpoint reached the second file\n"
                      << p->err();
  EXPECT_EQ(p->Wait(10), -1);
  ASSERT_TRUE(std::filesystem::exists(cp));
  const int64_t at_file = CheckpointValue(cp, "file");
  EXPECT_GE(at_file, 1);
  // The kill probably left alerts after the checkpoint in the file: the rerun cuts them off.
  const int64_t cp_output = CheckpointValue(cp, "output_bytes");
  EXPECT_GT(cp_output, 0);

  // Started again with the same flags: it continues from the checkpoint.
  args[6] = dir_ + "/s2.json";  // the summary file
  auto r = RunKaudit(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("replay: resuming from checkpoint " + cp + ": input " +
                               std::to_string(at_file + 1) + " of 3"));
  EXPECT_FALSE(std::filesystem::exists(cp)) << "a completed replay removes its checkpoint";

  // Exactly the uninterrupted run's alerts: nothing lost, nothing written twice.
  const std::vector<std::string> got = SortedLines(ReadFile(dir_ + "/alerts.jsonl"));
  EXPECT_EQ(got.size(), want.size());
  EXPECT_TRUE(got == want) << "the alerts differ from an uninterrupted run's";

  // The summary covers the whole replay, both runs together.
  const std::string s = ReadFile(dir_ + "/s2.json");
  for (const char* key : {"inputs", "bytes", "documents", "events", "invalid_events", "alerts",
                          "duplicates", "alerts_sink_failed"}) {
    EXPECT_EQ(SummaryValue(s, key), SummaryValue(ref_summary, key)) << key;
  }
  EXPECT_EQ(SummaryValue(s, "alerts"), static_cast<int64_t>(want.size()));
  const std::string cs = s.substr(s.find("\"checkpoint\":{"));
  EXPECT_EQ(SummaryValue(cs, "resumes"), 1);
  EXPECT_GE(SummaryValue(cs, "writes"), 2);
  EXPECT_EQ(SummaryValue(cs, "errors"), 0);
  EXPECT_THAT(s, HasSubstr(absl::StrCat(R"("output":{"accepted":)", want.size())));
}

// The parallel reader (parse threads, events handed over in input order) and the sequential
// one give the same resume points.
TEST_F(ReplayCheckpointTest, KillNineAndRerunGiveTheAlertsOfAnUninterruptedRun) {
  KillNineAndRerun("2");
}

TEST_F(ReplayCheckpointTest, KillNineAndRerunWithOneThread) { KillNineAndRerun("1"); }

TEST_F(ReplayCheckpointTest, ACompletedReplayRemovesItsCheckpointAndARerunStartsOver) {
  const std::string cp = dir_ + "/replay.checkpoint";
  std::vector<std::string> args = Args(dir_ + "/alerts.jsonl", dir_ + "/s.json");
  args.push_back("--checkpoint");
  args.push_back(cp);
  auto r = RunKaudit(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(std::filesystem::exists(cp));
  const int64_t alerts = SummaryValue(ReadFile(dir_ + "/s.json"), "alerts");
  EXPECT_GT(alerts, 1000);
  auto again = RunKaudit(args);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.err, Not(HasSubstr("resuming")));
  const std::string s = ReadFile(dir_ + "/s.json");
  EXPECT_EQ(SummaryValue(s, "alerts"), alerts);
  EXPECT_THAT(s, HasSubstr(R"("checkpoint":{"writes":)"));
  EXPECT_EQ(SummaryValue(s.substr(s.find("\"checkpoint\":{")), "resumes"), 0);
}

TEST_F(ReplayCheckpointTest, ACheckpointOfOtherInputsIsAStartupErrorNamingTheFile) {
  const std::string cp = dir_ + "/replay.checkpoint";
  const std::string a = dir_ + "/audit.log.1", b = dir_ + "/audit.log";
  // A checkpoint of a replay of audit.log.1 (its real size; a CRC that is not its content's).
  auto write_cp = [&](const std::string& path, uint64_t crc) {
    WriteFile(cp, absl::StrCat("kaudit-replay-checkpoint 1\ninput 0 0 1024 ", crc, " ",
                               std::filesystem::file_size(path), " ", path,
                               "\nfile 0\noffset 0\noutput_bytes 0\noutput ", dir_,
                               "/alerts.jsonl\nend\n"));
  };
  write_cp(a, 12345);
  std::vector<std::string> base = {
      "replay",       "-c", dir_ + "/kaudit.yaml", "-o", dir_ + "/alerts.jsonl", "--no-progress",
      "--checkpoint", cp};
  // Another file than the checkpoint's.
  std::vector<std::string> args = base;
  args.push_back(b);
  auto r = RunKaudit(args);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("--checkpoint " + cp + ": input " + b +
                               " is not the checkpoint's input 1 (" + a + ")"));
  // The same path, other content.
  args = base;
  args.push_back(a);
  r = RunKaudit(args);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("input " + a + " does not start as it did"));
  // One more input than the checkpoint's (whose first file is right this time).
  write_cp(a, Crc32(ReadFile(a).substr(0, kFingerprintBytes)));
  args.push_back(b);
  r = RunKaudit(args);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("input " + b + " is not"));
  // Nothing was read and the checkpoint is left for the right inputs.
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/alerts.jsonl") &&
               std::filesystem::file_size(dir_ + "/alerts.jsonl") > 0);
  EXPECT_TRUE(std::filesystem::exists(cp));
  // A damaged checkpoint is an error too, not a silent restart.
  WriteFile(cp, "kaudit-replay-checkpoint 1\ninput 0 0 1024 1 2 ");
  r = RunKaudit(args);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("replay checkpoint " + cp));
}

TEST_F(ReplayCheckpointTest, StandardInputAndAnUnwritableCheckpointAreStartupErrors) {
  auto r =
      RunKaudit({"replay", "--no-progress", "--checkpoint", dir_ + "/cp", "-"}, RealEvents(0, 1));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("--checkpoint: standard input cannot be read again"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/cp"));
  // The first checkpoint is written before reading: a path that cannot take one stops the
  // replay at once instead of leaving it unprotected.
  const std::string cp = dir_ + "/no/such/dir/cp";
  r = RunKaudit({"replay", "--no-progress", "-o", dir_ + "/alerts.jsonl", "--checkpoint", cp,
                 dir_ + "/audit.log"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("--checkpoint " + cp + ": "));
  EXPECT_EQ(std::filesystem::file_size(dir_ + "/alerts.jsonl"), 0u);
}

}  // namespace
}  // namespace kaudit
