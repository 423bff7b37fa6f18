#include "src/engine/aggregator.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "src/engine/dispatcher.h"
#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using Emitted = Aggregator::Emitted;

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

Alert A(std::string audit_id, absl::Duration at, std::string user = "alice",
        std::string name = "web-1") {
  Alert a;
  a.detector_id = "pod_exec_attach";
  a.user = std::move(user);
  a.resource = "pods";
  a.subresource = "exec";
  a.namespace_ = "default";
  a.name = std::move(name);
  a.message = "alice exec into default/web-1";
  a.event_time = kT0 + at;
  a.AddAuditId(audit_id);
  return a;
}

// Offers `a` and returns whether it passes through.
bool Offer(Aggregator& agg, Alert a, std::vector<Emitted>& out,
           absl::Duration window = absl::Minutes(10), size_t slot = 0) {
  return agg.Offer(slot, window, a, out);
}

TEST(AggregatorTest, FirstPassesRepeatsAreAbsorbedAndSummarizedAtTheWatermark) {
  Aggregator agg(100);
  std::vector<Emitted> out;
  EXPECT_TRUE(Offer(agg, A("a1", absl::ZeroDuration()), out));
  EXPECT_FALSE(Offer(agg, A("a2", absl::Minutes(1)), out));
  EXPECT_FALSE(Offer(agg, A("a3", absl::Minutes(4)), out));
  EXPECT_FALSE(Offer(agg, A("a4", absl::Minutes(9)), out));
  EXPECT_EQ(agg.absorbed(), 3u);
  EXPECT_TRUE(out.empty());

  agg.Advance(kT0 + absl::Minutes(10) - absl::Seconds(1), out);  // window still open
  EXPECT_TRUE(out.empty());
  agg.Advance(kT0 + absl::Minutes(10), out);
  ASSERT_EQ(out.size(), 1u);
  const Alert& s = out[0].alert;
  EXPECT_EQ(out[0].slot, 0u);
  EXPECT_EQ(s.count, 3u);
  EXPECT_EQ(s.window_start, kT0 + absl::Minutes(1));
  EXPECT_EQ(s.window_end, kT0 + absl::Minutes(9));
  EXPECT_EQ(s.event_time, kT0 + absl::Minutes(9));
  EXPECT_EQ(s.audit_ids, (std::vector<std::string>{"a2", "a3", "a4"}));
  EXPECT_EQ(s.audit_id_count, 3u);
  EXPECT_EQ(s.message, "(x 3 in 10m) alice exec into default/web-1");
  EXPECT_EQ(s.user, "alice");
  EXPECT_EQ(s.name, "web-1");
  EXPECT_EQ(agg.size(), 0u);
}

TEST(AggregatorTest, NoRepeatsNoSummary) {
  Aggregator agg(100);
  std::vector<Emitted> out;
  EXPECT_TRUE(Offer(agg, A("a1", absl::ZeroDuration()), out));
  agg.Finish(out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(agg.size(), 0u);
}

TEST(AggregatorTest, FinishFlushesOpenWindows) {
  Aggregator agg(100);
  std::vector<Emitted> out;
  EXPECT_TRUE(Offer(agg, A("a1", absl::ZeroDuration()), out));
  EXPECT_FALSE(Offer(agg, A("a2", absl::Seconds(30)), out));
  EXPECT_FALSE(Offer(agg, A("a3", absl::Seconds(20)), out));  // out of order
  agg.Finish(out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].alert.count, 2u);
  EXPECT_EQ(out[0].alert.window_start, kT0 + absl::Seconds(20));
  EXPECT_EQ(out[0].alert.window_end, kT0 + absl::Seconds(30));
  EXPECT_EQ(out[0].alert.audit_ids, (std::vector<std::string>{"a2", "a3"}));
}

TEST(AggregatorTest, RepeatAfterTheWindowOpensANewOne) {
  Aggregator agg(100);
  std::vector<Emitted> out;
  EXPECT_TRUE(Offer(agg, A("a1", absl::ZeroDuration()), out));
  EXPECT_FALSE(Offer(agg, A("a2", absl::Minutes(5)), out));
  // The watermark has not closed the first window yet, but this alert is past its end: the
  // first window's summary comes out and the alert passes through, opening a second window.
  EXPECT_TRUE(Offer(agg, A("a3", absl::Minutes(10)), out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].alert.count, 1u);
  EXPECT_EQ(out[0].alert.audit_ids, (std::vector<std::string>{"a2"}));
  EXPECT_FALSE(Offer(agg, A("a4", absl::Minutes(19)), out));
  agg.Advance(kT0 + absl::Minutes(20), out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].alert.count, 1u);
  EXPECT_EQ(out[1].alert.audit_ids, (std::vector<std::string>{"a4"}));
  // After the watermark closed it, the next alert passes through again.
  EXPECT_TRUE(Offer(agg, A("a5", absl::Minutes(21)), out));
}

TEST(AggregatorTest, DifferentKeysAreIndependent) {
  Aggregator agg(100);
  std::vector<Emitted> out;
  EXPECT_TRUE(Offer(agg, A("a1", absl::ZeroDuration(), "alice", "web-1"), out));
  EXPECT_TRUE(Offer(agg, A("b1", absl::Seconds(1), "bob", "web-1"), out));
  EXPECT_TRUE(Offer(agg, A("c1", absl::Seconds(2), "alice", "web-2"), out));
  Alert other = A("d1", absl::Seconds(3));
  other.detector_id = "debug_image_pod";
  EXPECT_TRUE(Offer(agg, other, out));
  Alert impersonating = A("e1", absl::Seconds(4));
  impersonating.impersonated_user = "admin";
  EXPECT_TRUE(Offer(agg, impersonating, out));
  Alert attach = A("f1", absl::Seconds(5));
  attach.subresource = "attach";
  EXPECT_TRUE(Offer(agg, attach, out));
  EXPECT_FALSE(Offer(agg, A("a2", absl::Seconds(6), "alice", "web-1"), out));
  EXPECT_FALSE(Offer(agg, A("b2", absl::Seconds(7), "bob", "web-1"), out));
  EXPECT_EQ(agg.size(), 6u);
  agg.Finish(out);
  ASSERT_EQ(out.size(), 2u);
  for (const auto& e : out) EXPECT_EQ(e.alert.count, 1u);
}

TEST(AggregatorTest, AuditIdsAreBoundedButCounted) {
  Aggregator agg(100);
  std::vector<Emitted> out;
  EXPECT_TRUE(Offer(agg, A("first", absl::ZeroDuration()), out));
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(Offer(agg, A(absl::StrCat("r", i), absl::Seconds(i + 1)), out));
  }
  agg.Finish(out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].alert.count, 100u);
  EXPECT_EQ(out[0].alert.audit_ids.size(), kMaxAlertAuditIds);
  EXPECT_EQ(out[0].alert.audit_ids.front(), "r0");
  EXPECT_EQ(out[0].alert.audit_id_count, 100u);
}

TEST(AggregatorTest, BoundEvictsLeastRecentlyTouchedAndCounts) {
  Aggregator agg(2);
  std::vector<Emitted> out;
  EXPECT_TRUE(Offer(agg, A("a1", absl::ZeroDuration(), "alice"), out));
  EXPECT_TRUE(Offer(agg, A("b1", absl::Seconds(1), "bob"), out));
  EXPECT_FALSE(Offer(agg, A("a2", absl::Seconds(2), "alice"), out));  // alice most recent
  EXPECT_TRUE(Offer(agg, A("c1", absl::Seconds(3), "carol"), out));   // evicts bob
  EXPECT_EQ(agg.evictions(), 1u);
  EXPECT_EQ(agg.size(), 2u);
  EXPECT_TRUE(out.empty());  // bob had no repeats: nothing to report
  EXPECT_TRUE(Offer(agg, A("b2", absl::Seconds(4), "bob"), out));  // new window; evicts alice
  EXPECT_EQ(agg.evictions(), 2u);
  // alice's pending repeat is not lost: its summary comes out early.
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].alert.user, "alice");
  EXPECT_EQ(out[0].alert.count, 1u);
  EXPECT_EQ(agg.size(), 2u);
}

TEST(AggregatorTest, SummaryTakesTheHighestSeverity) {
  Aggregator agg(100);
  std::vector<Emitted> out;
  EXPECT_TRUE(Offer(agg, A("a1", absl::ZeroDuration()), out));
  Alert r1 = A("a2", absl::Seconds(1));
  r1.severity = Severity::kLow;
  Alert r2 = A("a3", absl::Seconds(2));
  r2.severity = Severity::kHigh;
  EXPECT_FALSE(Offer(agg, r1, out));
  EXPECT_FALSE(Offer(agg, r2, out));
  agg.Finish(out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].alert.severity, Severity::kHigh);
}

// Alerts on every event it is shown.
class Always final : public Detector {
 public:
  Always() {
    info_.id = "always";
    info_.interest.verbs = Interest::Verbs({Verb::kCreate});
    info_.interest.stages = Interest::Stages({Stage::kResponseComplete});
  }
  const DetectorInfo& info() const override { return info_; }
  void OnEvent(const AuditEvent& e, AlertEmitter& out) override { out.Emit(MakeAlert(info_, e)); }

 private:
  DetectorInfo info_;
};

TEST(AggregationDispatcherTest, CountsAbsorbedAndSummaryAlertsPerDetector) {
  std::vector<DetectorSlot> slots;
  slots.push_back(
      DetectorSlot{std::make_unique<Always>(), Severity::kHigh, nullptr, absl::Minutes(10)});
  Dispatcher d(std::move(slots));
  std::vector<Alert> out;
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(absl::StrCat("id-", i));
  for (int i = 0; i < 5; ++i) {
    AuditEvent e;
    e.audit_id = ids[i];
    e.stage = Stage::kResponseComplete;
    e.verb = Verb::kCreate;
    e.stage_timestamp = kT0 + absl::Minutes(i);
    e.raw = ids[i];
    d.Dispatch(e, out);
  }
  EXPECT_EQ(out.size(), 1u);  // the first; four absorbed
  EXPECT_EQ(d.counters(0).aggregated, 4u);
  d.Finish(out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].count, 4u);
  EXPECT_EQ(out[1].severity, Severity::kHigh);  // the override applies before aggregation
  EXPECT_EQ(d.counters(0).alerts[static_cast<int>(Severity::kHigh)], 2u);
  EXPECT_EQ(d.aggregator().evictions(), 0u);
}

// A log of `n` exec events into the same pod by the same user, one every `step`, each with its
// own auditID, built from Falco's exec event.
std::string ExecLog(int n, absl::Duration step) {
  const std::string ev =
      testing::ReadFile(testing::SourcePath("tests/data/falco/k8s_audit__exec_pod.json"));
  std::string out;
  for (int i = 0; i < n; ++i) {
    absl::Time t = absl::FromUnixSeconds(1540561114) + step * i;  // 2018-10-26T13:38:34Z
    std::string ts = absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
    std::string line =
        absl::StrReplaceAll(ev, {{"ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6", absl::StrCat("exec-", i)},
                                 {"2018-10-26T13:38:34.902914Z", ts}});
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

TEST(AggregationInProcessTest, PodExecAttachRepeatsBecomeOneSummaryPerWindow) {
  // 30 execs, one every 30s: 0s..870s. With aggregate 10m: the first passes (t=0), 19 repeats
  // (30s..570s) are absorbed; the one at 600s opens a new window and passes, the 9 after it
  // (630s..870s) are absorbed. Two summaries: x19 and x9.
  auto run = testing::RunDetector("pod_exec_attach", ExecLog(30, absl::Seconds(30)),
                                  {{"aggregate", "10m"}});
  ASSERT_EQ(run.alerts.size(), 4u);
  std::vector<uint64_t> counts;
  for (const auto& a : run.alerts) counts.push_back(a.count);
  EXPECT_EQ(counts, (std::vector<uint64_t>{1, 19, 1, 9}));  // every exec accounted for
  EXPECT_EQ(run.alerts[0].audit_ids, (std::vector<std::string>{"exec-0"}));
  const Alert& s = run.alerts[1];
  EXPECT_EQ(s.detector_id, "pod_exec_attach");
  EXPECT_EQ(s.user, "minikube-user");
  EXPECT_EQ(s.name, "nginx-deployment-7998647bdf-phvq7");
  EXPECT_EQ(s.window_start, absl::FromUnixSeconds(1540561114 + 30));
  EXPECT_EQ(s.window_end, absl::FromUnixSeconds(1540561114 + 570));
  EXPECT_EQ(s.audit_ids.front(), "exec-1");
  EXPECT_EQ(s.audit_ids.back(), "exec-19");
  EXPECT_EQ(s.message.rfind("(x 19 in 10m) ", 0), 0u) << s.message;
  EXPECT_EQ(run.alerts[2].audit_ids, (std::vector<std::string>{"exec-20"}));
  EXPECT_EQ(run.alerts[3].count, 9u);
}

TEST(AggregationInProcessTest, OffByDefault) {
  auto run = testing::RunDetector("pod_exec_attach", ExecLog(30, absl::Seconds(30)));
  EXPECT_EQ(run.alerts.size(), 30u);
}

}  // namespace
}  // namespace kaudit
