#include "src/engine/dispatcher.h"

#include <gtest/gtest.h>

#include "src/engine/keyed_state.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

// Records what it is shown.
class Recorder final : public Detector {
 public:
  explicit Recorder(Interest in, bool stateful = false) {
    info_.id = "recorder";
    info_.interest = std::move(in);
    info_.stateful = stateful;
  }
  const DetectorInfo& info() const override { return info_; }
  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    seen.push_back(std::string(e.audit_id) + (e.first_outcome ? "+" : "-"));
    Alert a = MakeAlert(info_, e);
    out.Emit(std::move(a));
  }
  void OnWatermark(absl::Time wm, AlertEmitter&) override { watermarks.push_back(wm); }
  std::vector<std::string> seen;
  std::vector<absl::Time> watermarks;

 private:
  DetectorInfo info_;
};

AuditEvent Ev(std::string_view id, Stage stage, Verb verb, std::string_view resource,
              int64_t t_sec = 100, std::string_view raw = "x") {
  AuditEvent e;
  e.audit_id = id;
  e.stage = stage;
  e.verb = verb;
  e.object.resource = resource;
  e.stage_timestamp = absl::FromUnixSeconds(t_sec);
  e.raw = raw;
  return e;
}

std::vector<DetectorSlot> One(std::unique_ptr<Detector> d) {
  std::vector<DetectorSlot> s;
  s.push_back(DetectorSlot{std::move(d), std::nullopt, nullptr});
  return s;
}

TEST(DispatcherTest, RoutesByVerbResourceAndStage) {
  Interest in;
  in.verbs = Interest::Verbs({Verb::kGet});
  in.stages = Interest::Stages({Stage::kResponseComplete});
  in.resources = {"secrets"};
  auto det = std::make_unique<Recorder>(in);
  Recorder* r = det.get();
  Dispatcher d(One(std::move(det)));
  std::vector<Alert> out;
  auto a = Ev("1", Stage::kResponseComplete, Verb::kGet, "secrets");
  auto b = Ev("2", Stage::kResponseComplete, Verb::kList, "secrets");
  auto c = Ev("3", Stage::kResponseComplete, Verb::kGet, "configmaps");
  auto e = Ev("4", Stage::kRequestReceived, Verb::kGet, "secrets");
  auto f = Ev("5", Stage::kResponseComplete, Verb::kGet, "");
  for (auto* ev : {&a, &b, &c, &e, &f}) d.Dispatch(*ev, out);
  EXPECT_EQ(r->seen, std::vector<std::string>{"1+"});
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(d.stats().routed, 1u);
}

TEST(DispatcherTest, ShowsADetectorOnlyEventsWithAllOfItsTraits) {
  std::vector<DetectorSlot> slots;
  std::vector<Recorder*> r;
  for (uint32_t traits : {0u, EventTrait::kAnonymous, EventTrait::kAnonymous | EventTrait::kRefused,
                          EventTrait::kImpersonating, EventTrait::kPodSecurityViolation,
                          EventTrait::kDefaultServiceAccount}) {
    Interest in;
    in.stages = Interest::OutcomeStages();
    in.traits = traits;
    auto det = std::make_unique<Recorder>(in);
    r.push_back(det.get());
    slots.push_back(DetectorSlot{std::move(det), std::nullopt, nullptr});
  }
  Dispatcher d(std::move(slots));
  std::vector<Alert> out;
  std::vector<std::string_view> groups = {"system:unauthenticated"};
  auto user = Ev("user", Stage::kResponseComplete, Verb::kGet, "pods");
  user.username = "alice";
  user.response_code = 200;
  auto anon = Ev("anon", Stage::kResponseComplete, Verb::kGet, "pods");
  anon.username = "system:anonymous";
  anon.response_code = 200;
  auto anon_refused = Ev("anon403", Stage::kResponseComplete, Verb::kGet, "pods");
  anon_refused.groups = groups;  // anonymous by its group
  anon_refused.username = "x";
  anon_refused.response_code = 403;
  auto forbid = Ev("forbid", Stage::kResponseComplete, Verb::kGet, "pods");
  forbid.username = "bob";
  forbid.decision = "forbid";
  auto imp = Ev("imp", Stage::kResponseComplete, Verb::kGet, "pods");
  imp.username = "carol";
  imp.impersonated_user = "admin";
  auto psa = Ev("psa", Stage::kResponseComplete, Verb::kCreate, "pods");
  psa.username = "dave";
  psa.pod_security_audit_violations = "privileged";
  auto dsa = Ev("dsa", Stage::kResponseComplete, Verb::kList, "pods");
  dsa.username = "system:serviceaccount:web:default";
  auto named = Ev("named", Stage::kResponseComplete, Verb::kList, "pods");
  named.username = "system:serviceaccount:default:web";  // the namespace is `default`, not the SA
  for (auto* ev : {&user, &anon, &anon_refused, &forbid, &imp, &psa, &dsa, &named}) {
    d.Dispatch(*ev, out);
  }
  EXPECT_EQ(r[0]->seen, (std::vector<std::string>{"user+", "anon+", "anon403+", "forbid+", "imp+",
                                                  "psa+", "dsa+", "named+"}));
  EXPECT_EQ(r[1]->seen, (std::vector<std::string>{"anon+", "anon403+"}));
  EXPECT_EQ(r[2]->seen, (std::vector<std::string>{"anon403+"}));
  EXPECT_EQ(r[3]->seen, (std::vector<std::string>{"imp+"}));
  EXPECT_EQ(r[4]->seen, (std::vector<std::string>{"psa+"}));
  EXPECT_EQ(r[5]->seen, (std::vector<std::string>{"dsa+"}));
  EXPECT_EQ(d.counters(1).events, 2u);  // counted as shown: the others were not its events
  EXPECT_EQ(d.counters(2).events, 1u);
  EXPECT_EQ(EventTraits(forbid), EventTrait::kRefused);
  EXPECT_EQ(EventTraits(user), 0u);
}

TEST(DispatcherTest, DropsDuplicateDeliveriesAndMarksTheFirstOutcome) {
  Interest in;
  in.stages = Interest::OutcomeStages();
  auto det = std::make_unique<Recorder>(in);
  Recorder* r = det.get();
  Dispatcher d(One(std::move(det)));
  std::vector<Alert> out;
  auto started = Ev("w", Stage::kResponseStarted, Verb::kWatch, "pods");
  auto complete = Ev("w", Stage::kResponseComplete, Verb::kWatch, "pods", 200);
  auto plain = Ev("g", Stage::kResponseComplete, Verb::kGet, "pods");
  auto plain_again = plain;  // a webhook retry: identical event
  auto reused_id = Ev("g", Stage::kResponseComplete, Verb::kGet, "pods", 100, "different length");
  for (auto* ev : {&started, &complete, &plain, &plain_again, &reused_id}) d.Dispatch(*ev, out);
  EXPECT_EQ(r->seen, (std::vector<std::string>{"w+", "w-", "g+", "g+"}));
  EXPECT_EQ(d.stats().duplicates, 1u);
}

TEST(DispatcherTest, DedupMemoryIsBounded) {
  Interest in;
  in.stages = Interest::OutcomeStages();
  DispatcherOptions opts;
  opts.dedup_entries = 1024;
  Dispatcher d(One(std::make_unique<Recorder>(in)), opts);
  std::vector<Alert> out;
  std::vector<std::string> ids;
  for (int i = 0; i < 5000; ++i) ids.push_back(std::to_string(i));
  for (const auto& id : ids) {
    auto e = Ev(id, Stage::kResponseComplete, Verb::kGet, "pods");
    d.Dispatch(e, out);
  }
  // A recent duplicate is still caught; one from long ago has been forgotten (bounded).
  auto recent = Ev(ids[4990], Stage::kResponseComplete, Verb::kGet, "pods");
  auto old = Ev(ids[0], Stage::kResponseComplete, Verb::kGet, "pods");
  d.Dispatch(recent, out);
  d.Dispatch(old, out);
  EXPECT_EQ(d.stats().duplicates, 1u);
}

TEST(DispatcherTest, WatermarkTrailsEventTimeAndFinishFlushes) {
  Interest in;
  in.stages = Interest::OutcomeStages();
  auto det = std::make_unique<Recorder>(in, /*stateful=*/true);
  Recorder* r = det.get();
  DispatcherOptions opts;
  opts.allowed_lateness = absl::Seconds(5);
  Dispatcher d(One(std::move(det)), opts);
  std::vector<Alert> out;
  std::vector<std::string> ids = {"a", "b", "c"};
  int64_t times[] = {100, 110, 105};
  for (int i = 0; i < 3; ++i) {
    auto e = Ev(ids[i], Stage::kResponseComplete, Verb::kGet, "pods", times[i]);
    d.Dispatch(e, out);
  }
  EXPECT_EQ(d.watermark(), absl::FromUnixSeconds(105));  // out-of-order event does not regress it
  d.Finish(out);
  ASSERT_FALSE(r->watermarks.empty());
  EXPECT_EQ(r->watermarks.back(), absl::InfiniteFuture());
}

TEST(DispatcherTest, SeverityOverrideApplies) {
  Interest in;
  in.stages = Interest::OutcomeStages();
  std::vector<DetectorSlot> slots;
  slots.push_back(DetectorSlot{std::make_unique<Recorder>(in), Severity::kCritical, nullptr});
  Dispatcher d(std::move(slots));
  std::vector<Alert> out;
  auto e = Ev("1", Stage::kResponseComplete, Verb::kGet, "pods");
  d.Dispatch(e, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].severity, Severity::kCritical);
  EXPECT_EQ(d.counters(0).alerts[static_cast<int>(Severity::kCritical)], 1u);
}

TEST(BoundedLruMapTest, EvictsLeastRecentlyUsedAndCounts) {
  BoundedLruMap<int> m(3);
  m.Touch("a") = 1;
  m.Touch("b") = 2;
  m.Touch("c") = 3;
  m.Touch("a");      // a is now most recent
  m.Touch("d") = 4;  // evicts b
  EXPECT_EQ(m.size(), 3u);
  EXPECT_EQ(m.evictions(), 1u);
  EXPECT_EQ(m.Find("b"), nullptr);
  ASSERT_NE(m.Find("a"), nullptr);
  EXPECT_EQ(*m.Find("a"), 1);
  size_t erased = m.EraseOldestWhile([](int v) { return v < 4; });
  EXPECT_EQ(erased, 2u);  // c then a; d stops it
  EXPECT_EQ(m.size(), 1u);
}

TEST(DistinctWindowCounterTest, CountsDistinctValuesExactlyWithinTheWindow) {
  DistinctWindowCounter::Options o;
  o.window = absl::Minutes(10);
  o.max_keys = 10;
  o.max_values_per_key = 100;
  DistinctWindowCounter c(o);
  absl::Time t0 = absl::FromUnixSeconds(1000);
  for (int i = 0; i < 5; ++i) c.Add("u", "s" + std::to_string(i), t0 + absl::Minutes(i), "id");
  c.Add("u", "s0", t0 + absl::Minutes(5), "id");  // repeat: still 5 distinct
  auto& st = c.Add("u", "s5", t0 + absl::Minutes(6), "id");
  EXPECT_EQ(st.values.size(), 6u);
  // 11 minutes after s1 (seen at +1m) and s2..: s1 at +1m has left a window ending at +11m30s.
  auto& later = c.Add("u", "s6", t0 + absl::Minutes(11) + absl::Seconds(30), "id");
  EXPECT_EQ(later.values.size(), 6u);  // s1 expired (s0 was refreshed at +5m)
  c.Expire(t0 + absl::Hours(1));
  EXPECT_EQ(c.size(), 0u);
}

TEST(DistinctWindowCounterTest, StaysWithinItsKeyBound) {
  DistinctWindowCounter::Options o;
  o.max_keys = 100;
  DistinctWindowCounter c(o);
  absl::Time t0 = absl::FromUnixSeconds(1000);
  for (int i = 0; i < 100000; ++i) c.Add("user" + std::to_string(i), "s", t0, "");
  EXPECT_EQ(c.size(), 100u);
  EXPECT_EQ(c.evictions(), 99900u);
}

TEST(DetectorParamsTest, ValidatesTypesAndRejectsUnknownKeys) {
  DetectorParams p("detectors.x");
  p.Set("threshold", "abc");
  p.Set("window", "10m");
  p.Set("thresold", "5");
  EXPECT_FALSE(p.Int("threshold", 1, 1, 10).ok());
  EXPECT_EQ(std::string(p.Int("threshold", 1, 1, 10).status().message()),
            "detectors.x.threshold: expected an integer in [1, 10]");
  EXPECT_EQ(*p.Duration("window", absl::Seconds(1), absl::Seconds(1), absl::Hours(1)),
            absl::Minutes(10));
  absl::Status s = p.CheckAllUsed();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(std::string(s.message()), "detectors.x.thresold: unknown key");
}

}  // namespace
}  // namespace kaudit
