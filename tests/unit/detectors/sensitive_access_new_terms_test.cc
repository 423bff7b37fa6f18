// sensitive_access_new_terms: what the fires/quiet cases cannot show: which terms are named,
// severity per class, classes learn apart, tunables, one alert per new value, bounds with
// counted evictions, and saved state.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/substitute.h"
#include "absl/time/time.h"
#include "detectors/registry.h"
#include "src/engine/state_io.h"
#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::FieldOf;
using testing::RunDetector;
using testing::RunDetectorOnFile;

constexpr char kId[] = "sensitive_access_new_terms";
constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 24 * kHour;

std::string Case(const std::string& kind, const std::string& name) {
  return testing::SourcePath(
      absl::StrCat("tests/data/detectors/", kId, "/", kind, "/constructed_", name, ".jsonl"));
}

struct Req {
  std::string verb = "get";
  std::string resource = "secrets";
  int code = 200;
  std::string user = "alice";
  std::string groups = R"("system:authenticated")";
  std::string ip = "10.0.0.5";
  std::string ua = "kubectl/v1.29.0 (linux/amd64) kubernetes/abcdef";
};

// One ResponseComplete audit event at T0 + `seconds`.
std::string Event(int64_t seconds, const Req& r) {
  static int n = 0;
  absl::Time t = absl::FromUnixSeconds(1717243200 + seconds);  // 2024-06-01T12:00:00Z
  return absl::Substitute(
      R"({"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"5e5a0000-0000-4000-8000-$0","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/$2","verb":"$1","user":{"username":"$3","groups":[$4]},"sourceIPs":["$5"],"userAgent":"$6","objectRef":{"resource":"$2","namespace":"default","name":"x","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":$7},"requestReceivedTimestamp":"$8","stageTimestamp":"$8","annotations":{"authorization.k8s.io/decision":"$9"}})"
      "\n",
      absl::StrCat(1000000000000 + ++n), r.verb, r.resource, r.user, r.groups, r.ip, r.ua, r.code,
      absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone()),
      r.code == 403 ? "forbid" : "allow");
}

TEST(SensitiveAccessNewTermsTest, NamesClassTermsAndSeverity) {
  auto secret = RunDetectorOnFile(kId, Case("fires", "secret_read_with_new_agent_after_learning"));
  ASSERT_EQ(secret.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(secret.alerts[0], "class"), "secret_access");
  EXPECT_EQ(FieldOf(secret.alerts[0], "new_terms"), "user_agent");
  EXPECT_EQ(FieldOf(secret.alerts[0], "user_agent"), "curl/8.5.0");
  EXPECT_EQ(secret.alerts[0].severity, Severity::kLow);
  EXPECT_NE(secret.alerts[0].message.find("never seen in secret reads within 168h"),
            std::string::npos)
      << secret.alerts[0].message;

  auto forbidden =
      RunDetectorOnFile(kId, Case("fires", "forbidden_request_with_new_agent_after_learning"));
  ASSERT_EQ(forbidden.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(forbidden.alerts[0], "class"), "forbidden_request");
  EXPECT_EQ(FieldOf(forbidden.alerts[0], "user_agent"), "python-requests/2.31.0");
  EXPECT_EQ(forbidden.alerts[0].severity, Severity::kMedium);

  auto workload =
      RunDetectorOnFile(kId, Case("fires", "deployment_patched_by_new_user_after_learning"));
  ASSERT_EQ(workload.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(workload.alerts[0], "class"), "workload_change");
  EXPECT_EQ(FieldOf(workload.alerts[0], "new_terms"), "username");
  EXPECT_EQ(FieldOf(workload.alerts[0], "username"), "bob");
  EXPECT_EQ(workload.alerts[0].user, "bob");
}

TEST(SensitiveAccessNewTermsTest, OneAlertNamesEveryNewTermAndEachValueAlertsOnce) {
  Req known;
  Req stranger;
  stranger.user = "mallory";
  stranger.ip = "198.51.100.7";
  stranger.ua = "curl/8.5.0";
  std::string data = Event(0, known) + Event(25 * kHour, stranger) + Event(26 * kHour, stranger);
  auto run = RunDetector(kId, data);
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(run.alerts[0], "new_terms"), "user_agent,source_network,username");
  EXPECT_EQ(FieldOf(run.alerts[0], "source_network"), "198.51.100.0/24");
  // Forbidden requests only learn the user agent by default (Elastic's C16).
  Req refused = known;
  refused.code = 403;
  Req refused_elsewhere = refused;
  refused_elsewhere.user = "mallory";
  refused_elsewhere.ip = "198.51.100.7";
  EXPECT_TRUE(
      RunDetector(kId, Event(0, refused) + Event(25 * kHour, refused_elsewhere)).alerts.empty());
}

TEST(SensitiveAccessNewTermsTest, ClassesLearnApart) {
  // curl is known for secret reads, not for refused requests.
  Req curl_read;
  curl_read.ua = "curl/8.5.0";
  Req kubectl_refused;
  kubectl_refused.code = 403;
  Req curl_refused = kubectl_refused;
  curl_refused.ua = "curl/8.5.0";
  auto run = RunDetector(kId, Event(0, curl_read) + Event(0, kubectl_refused) +
                                  Event(25 * kHour, curl_read) + Event(25 * kHour, curl_refused));
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(run.alerts[0], "class"), "forbidden_request");
}

TEST(SensitiveAccessNewTermsTest, LearningHistoryAndTermsAreTunable) {
  const std::string fires = Case("fires", "secret_read_with_new_agent_after_learning");
  EXPECT_TRUE(RunDetectorOnFile(kId, fires, {{"learning_period", "48h"}}).alerts.empty());
  EXPECT_EQ(RunDetectorOnFile(kId, fires, {{"learning_period", "0s"}}).alerts.size(), 2u);
  EXPECT_TRUE(RunDetectorOnFile(kId, fires, {{"secret_access.terms", "[source_network,username]"}})
                  .alerts.empty());
  EXPECT_TRUE(RunDetectorOnFile(kId, fires, {{"secret_access.terms", "[]"}}).alerts.empty());
  const std::string old = Case("fires", "secret_read_with_agent_last_seen_8d_ago");
  EXPECT_EQ(RunDetectorOnFile(kId, old).alerts.size(), 1u);
  EXPECT_TRUE(RunDetectorOnFile(kId, old, {{"history", "9d"}}).alerts.empty());
  // system:masters is trusted for workload changes only by default.
  const std::string masters = Case("quiet", "deployment_patched_by_system_masters_after_learning");
  EXPECT_EQ(
      RunDetectorOnFile(kId, masters, {{"workload_change.trusted_groups", "[]"}}).alerts.size(),
      1u);
}

TEST(SensitiveAccessNewTermsTest, UnknownTermIsAConfigErrorNamingTheKey) {
  std::map<std::string, DetectorParams, std::less<>> all;
  DetectorParams p(absl::StrCat("detectors.", kId));
  p.SetList("workload_change.terms", {"user_agent", "country"});
  all.emplace(kId, std::move(p));
  auto slots = BuildDetectors(std::move(all));
  ASSERT_FALSE(slots.ok());
  EXPECT_NE(std::string(slots.status().message())
                .find("detectors.sensitive_access_new_terms.workload_change.terms"),
            std::string::npos)
      << slots.status();
}

TEST(SensitiveAccessNewTermsTest, ValuesAreBoundedPerClassAndEvictionsCounted) {
  // Agents a, b, c learned for secret reads; with room for two, c evicts a, which then alerts
  // again after learning (and evicts b).
  std::string data;
  for (std::string ua : {"a/1", "b/1", "c/1"}) {
    Req r;
    r.ua = ua;
    data += Event(0, r);
  }
  Req first;
  first.ua = "a/1";
  data += Event(25 * kHour, first);
  const std::map<std::string, std::string> agents_only = {{"secret_access.terms", "[user_agent]"}};
  auto params = agents_only;
  params["max_values"] = "2";
  auto bounded = RunDetector(kId, data, params);
  EXPECT_EQ(bounded.state_evictions, 2u);
  ASSERT_EQ(bounded.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(bounded.alerts[0], "user_agent"), "a/1");
  auto unbounded = RunDetector(kId, data, agents_only);
  EXPECT_TRUE(unbounded.alerts.empty());
  EXPECT_EQ(unbounded.state_evictions, 0u);
}

TEST(SensitiveAccessNewTermsTest, SavedStateRoundTripsThroughLoad) {
  auto d = NewDetectorWithDefaults(kId);
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE((*d)->persistent());
  StateWriter w(kId, 1);
  w.Record({"start", "1717200000000000000"});
  w.Record({"forbidden_request", "user_agent", "kubectl/v1.29.0", "1717200000000000000"});
  w.Record({"secret_access", "source_network", "10.0.0.0/24", "1717200001000000000"});
  w.Record({"secret_access", "username", "alice", "1717200002000000000"});
  auto r = StateReader::Parse(w.Finish(), kId, "mem");
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE((*d)->LoadState(*r).ok());
  EXPECT_EQ((*d)->state_entries(), 3u);
  StateWriter out(kId, 1);
  ASSERT_TRUE((*d)->SaveState(out).ok());
  EXPECT_EQ(out.Finish(), w.Finish());
  // An unknown class or term is an error naming the file.
  StateWriter bad(kId, 1);
  bad.Record({"secret_access", "country", "NL", "1717200002000000000"});
  auto rb = StateReader::Parse(bad.Finish(), kId, "bad.state");
  ASSERT_TRUE(rb.ok());
  absl::Status s = (*NewDetectorWithDefaults(kId))->LoadState(*rb);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("bad.state"), std::string::npos);
}

// Drives the detector directly: a secret read, then the end of input (an infinite watermark,
// as Dispatcher::Finish sends), then a save: what was learned must be in the saved state.
TEST(SensitiveAccessNewTermsTest, EndOfInputKeepsLearnedValuesForTheSave) {
  struct Sink : AlertEmitter {
    void Emit(Alert) override {}
  } sink;
  auto d = NewDetectorWithDefaults(kId);
  ASSERT_TRUE(d.ok());
  const std::string_view ips[] = {"10.0.0.5"};
  AuditEvent e;
  e.first_outcome = true;
  e.stage = Stage::kResponseComplete;
  e.verb = Verb::kGet;
  e.verb_text = "get";
  e.has_object_ref = true;
  e.object.resource = "secrets";
  e.response_code = 200;
  e.decision = "allow";
  e.username = "alice";
  e.user_agent = "curl/8.5.0";
  e.source_ips = ips;
  e.stage_timestamp = absl::FromUnixSeconds(1717243200);
  (*d)->OnEvent(e, sink);
  (*d)->OnWatermark(e.stage_timestamp, sink);
  (*d)->OnWatermark(absl::InfiniteFuture(), sink);
  EXPECT_EQ((*d)->state_entries(), 3u);
  StateWriter w(kId, 1);
  ASSERT_TRUE((*d)->SaveState(w).ok());
  EXPECT_NE(w.Finish().find("secret_access\tuser_agent\tcurl/8.5.0\t"), std::string::npos)
      << w.Finish();
  // Time passing beyond history does forget.
  (*d)->OnWatermark(e.stage_timestamp + absl::Hours(24 * 8), sink);
  EXPECT_EQ((*d)->state_entries(), 0u);
}

}  // namespace
}  // namespace kaudit
