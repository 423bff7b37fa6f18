// Per-key learned baselines of the burst detectors (DETECTIONS.md stateful #8): the configured
// threshold is the floor; a key that is always busy learns its level and alerts only above it;
// other keys keep the floor; the learned statistics survive a restart (SaveState/LoadState)
// and their store is bounded.
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "detectors/common/burst.h"
#include "detectors/registry.h"
#include "src/engine/state_io.h"
#include "tests/support/detector_harness.h"

namespace kaudit {
namespace {

using testing::FieldOf;
using testing::RunDetector;

int g_id = 0;

// A refused (403) secret list (or get of secret `name`) from `ip` at `seconds` after
// 2024-06-01T12:00:00Z.
std::string Refused(const std::string& ip, int64_t seconds, const std::string& name = "") {
  absl::Time t = absl::FromUnixSeconds(1717243200 + seconds);
  std::string ts = absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
  return absl::StrFormat(
      R"({"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"b0000000-0000-4000-8000-%012d",)"
      R"("stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/secrets%s","verb":"list",)"
      R"("user":{"username":"bob","groups":["system:authenticated"]},"sourceIPs":["%s"],)"
      R"("objectRef":{"resource":"secrets","namespace":"default","apiVersion":"v1"},)"
      R"("responseStatus":{"metadata":{},"status":"Failure","reason":"Forbidden","code":403},)"
      R"("annotations":{"authorization.k8s.io/decision":"forbid"},)"
      R"("requestReceivedTimestamp":"%s","stageTimestamp":"%s"})"
      "\n",
      ++g_id, name.empty() ? "" : "/" + name, ip, ts, ts);
}

// `per_window` refusals from `ip` in each of `windows` 10-minute windows from `start`.
std::string Steady(const std::string& ip, int windows, int per_window, int64_t start = 0) {
  std::string out;
  for (int w = 0; w < windows; ++w) {
    for (int i = 0; i < per_window; ++i)
      out += Refused(ip, start + w * 600 + i * (600 / per_window));
  }
  return out;
}

const std::map<std::string, std::string> kFastLearning = {{"learning_period", "1h"},
                                                          {"baseline_min_windows", "20"}};

TEST(BurstBaselineTest, ABusyKeyLearnsItsLevelOthersKeepTheFloor) {
  const std::string id = "denied_burst_by_ip";
  // 30 windows of 15 refusals: above the floor (10), so it alerts while learning.
  std::string learn = Steady("10.1.1.1", 30, 15);
  auto during = RunDetector(id, learn, kFastLearning);
  EXPECT_GT(during.alerts.size(), 0u);
  // After learning, its usual 15 per window is quiet ...
  std::string usual = Steady("10.1.1.1", 3, 15, 30 * 600);
  auto quiet = RunDetector(id, learn + usual, kFastLearning);
  EXPECT_EQ(quiet.alerts.size(), during.alerts.size());
  // ... 40 in one window is not, and names the learned threshold (above the usual 15; the
  // learned peaks vary a little with where the sliding window and the quiet periods fall).
  std::string storm = Steady("10.1.1.1", 1, 40, 30 * 600);
  auto loud = RunDetector(id, learn + storm, kFastLearning);
  ASSERT_EQ(loud.alerts.size(), during.alerts.size() + 1);
  int learned = std::stoi(FieldOf(loud.alerts.back(), "learned_threshold"));
  EXPECT_GT(learned, 15);
  EXPECT_LE(learned, 20);
  EXPECT_EQ(loud.alerts.back().count, static_cast<size_t>(learned));
  // Another address still alerts at the floor.
  auto other = RunDetector(id, learn + Steady("10.2.2.2", 1, 10, 30 * 600), kFastLearning);
  ASSERT_EQ(other.alerts.size(), during.alerts.size() + 1);
  EXPECT_EQ(FieldOf(other.alerts.back(), "learned_threshold"), "<none>");
  // Without the baseline the busy key keeps alerting at the floor.
  auto fixed = RunDetector(id, learn + usual, {{"baseline", "false"}});
  EXPECT_GT(fixed.alerts.size(), during.alerts.size());
  // A learned threshold is capped at baseline_cap x the floor.
  auto capped = RunDetector(id, Steady("10.3.3.3", 30, 50) + Steady("10.3.3.3", 1, 60, 30 * 600),
                            {{"learning_period", "1h"}, {"baseline_cap", "2"}});
  ASSERT_FALSE(capped.alerts.empty());
  EXPECT_EQ(FieldOf(capped.alerts.back(), "learned_threshold"), "20");
  // Strict validation.
  EXPECT_THROW(RunDetector(id, "", {{"baseline_cap", "0"}}), std::runtime_error);
  EXPECT_THROW(RunDetector(id, "", {{"baseline_sigmas", "x"}}), std::runtime_error);
}

TEST(BurstBaselineTest, PermissionEnumerationLearnsItsPathThresholds) {
  const std::string id = "permission_enumeration";
  // Every 5 minutes the same 12 secrets refused (above denied_paths 10): learned.
  std::string learn;
  for (int w = 0; w < 40; ++w) {
    for (int i = 0; i < 12; ++i)
      learn += Refused("10.1.1.1", w * 300 + i * 20, absl::StrCat("s", i));
  }
  auto during = RunDetector(id, learn, kFastLearning);
  EXPECT_GT(during.alerts.size(), 0u);
  std::string usual, walk;
  for (int i = 0; i < 12; ++i)
    usual += Refused("10.1.1.1", 40 * 300 + i * 20, absl::StrCat("s", i));
  for (int i = 0; i < 40; ++i) walk += Refused("10.1.1.1", 40 * 300 + i * 5, absl::StrCat("w", i));
  EXPECT_EQ(RunDetector(id, learn + usual, kFastLearning).alerts.size(), during.alerts.size());
  auto loud = RunDetector(id, learn + walk, kFastLearning);
  ASSERT_EQ(loud.alerts.size(), during.alerts.size() + 1);
  EXPECT_NE(FieldOf(loud.alerts.back(), "learned_denied_paths"), "<none>");
}

TEST(BurstBaselineTest, StatisticsAreBoundedAndRoundTripThroughState) {
  BurstBaseline::Options o;
  o.learning_period = absl::ZeroDuration();
  o.min_windows = 2;
  o.max_keys = 2;
  BurstBaseline b(o, absl::Minutes(10));
  absl::Time t0 = absl::FromUnixSeconds(1717243200);
  bool ready = false;
  for (int w = 0; w < 4; ++w) {
    b.Observe("a", 12 + w % 2, t0 + absl::Minutes(10 * w), 10, &ready);
  }
  EXPECT_TRUE(ready);
  b.Observe("b", 1, t0, 10, &ready);
  b.Observe("c", 1, t0, 10, &ready);  // evicts the least recently used
  EXPECT_EQ(b.size(), 2u);
  EXPECT_EQ(b.evictions(), 1u);

  auto d = NewDetectorWithDefaults("mass_deletion");
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE((*d)->persistent());
  StateWriter w("mass_deletion", 1);
  w.Record({"k", "mallory", "1717243200000000000", "25", "14.5", "3.25", "1717250000000000000", "9",
            "0"});
  auto r = StateReader::Parse(w.Finish(), "mass_deletion", "mem");
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE((*d)->LoadState(*r).ok());
  EXPECT_EQ((*d)->state_entries(), 1u);
  StateWriter out("mass_deletion", 1);
  ASSERT_TRUE((*d)->SaveState(out).ok());
  EXPECT_EQ(out.Finish(), w.Finish());
  StateWriter bad("mass_deletion", 1);
  bad.Record({"k", "mallory", "not-a-time"});
  auto rb = StateReader::Parse(bad.Finish(), "mass_deletion", "bad.state");
  ASSERT_TRUE(rb.ok());
  absl::Status s = (*NewDetectorWithDefaults("mass_deletion"))->LoadState(*rb);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("bad.state"), std::string::npos);
  // permission_enumeration keeps the baselines of its path thresholds the same way.
  EXPECT_TRUE((*NewDetectorWithDefaults("permission_enumeration"))->persistent());
}

}  // namespace
}  // namespace kaudit
