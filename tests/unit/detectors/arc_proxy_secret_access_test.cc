// arc_proxy_secret_access: the real caller is named, one alert per impersonated user per
// window, tunable exclusions, bounded and persisted state.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "detectors/registry.h"
#include "src/engine/state_io.h"
#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::FieldOf;
using testing::ReadFile;
using testing::RunDetector;
using testing::RunDetectorOnFile;

constexpr char kId[] = "arc_proxy_secret_access";

std::string Case(const std::string& kind, const std::string& name) {
  return testing::SourcePath(
      absl::StrCat("tests/data/detectors/", kId, "/", kind, "/constructed_", name, ".jsonl"));
}

// The real-shaped secret read through the proxy at 2024-06-01T12:00:00Z, moved to `when`
// (an RFC 3339 time) and to impersonated user `who`, with auditID suffix `n`.
std::string Read(const std::string& when, const std::string& who, int n) {
  std::string e = ReadFile(Case("fires", "secret_read_via_arc_proxy"));
  return absl::StrReplaceAll(
      e, {{"2024-06-01T12:00:00", when},
          {"alice@contoso.com", who},
          {"\"auditID\":\"c47a1000", absl::StrCat("\"auditID\":\"", 10000000 + n)}});
}

TEST(ArcProxySecretAccessTest, NamesTheImpersonatedCallerAndTheProxy) {
  auto run = RunDetectorOnFile(kId, Case("fires", "secret_read_via_arc_proxy"));
  ASSERT_EQ(run.alerts.size(), 1u);
  const Alert& a = run.alerts[0];
  EXPECT_EQ(a.severity, Severity::kMedium);
  EXPECT_EQ(a.impersonated_user, "alice@contoso.com");
  EXPECT_EQ(FieldOf(a, "impersonated_user"), "alice@contoso.com");
  EXPECT_EQ(FieldOf(a, "proxy"), "system:serviceaccount:azure-arc:azure-arc-kube-aad-proxy-sa");
  EXPECT_EQ(a.namespace_, "payments");
  EXPECT_NE(a.message.find("alice@contoso.com read secrets payments/db through the Azure Arc"),
            std::string::npos)
      << a.message;
}

TEST(ArcProxySecretAccessTest, OncePerUserPerWindow) {
  // alice at 12:00, again 1h and 4d later (quiet: within 5d of her last access), then 6d
  // after that (alerts again); bob once.
  std::string data = Read("2024-06-01T12:00:00", "alice@contoso.com", 1) +
                     Read("2024-06-01T13:00:00", "alice@contoso.com", 2) +
                     Read("2024-06-01T13:30:00", "bob@contoso.com", 3) +
                     Read("2024-06-05T13:00:00", "alice@contoso.com", 4) +
                     Read("2024-06-11T14:00:00", "alice@contoso.com", 5);
  auto run = RunDetector(kId, data);
  ASSERT_EQ(run.alerts.size(), 3u);
  EXPECT_EQ(run.alerts[0].impersonated_user, "alice@contoso.com");
  EXPECT_EQ(run.alerts[1].impersonated_user, "bob@contoso.com");
  EXPECT_EQ(run.alerts[2].impersonated_user, "alice@contoso.com");
  EXPECT_EQ(RunDetector(kId, data, {{"window", "10d"}}).alerts.size(), 2u);
  EXPECT_EQ(RunDetector(kId, data, {{"window", "30m"}}).alerts.size(), 5u);
}

TEST(ArcProxySecretAccessTest, ExclusionsAreTunable) {
  EXPECT_EQ(RunDetectorOnFile(kId, Case("quiet", "helm_release_secret_via_arc_proxy"),
                              {{"ignore_name_prefixes", "[]"}})
                .alerts.size(),
            1u);
  EXPECT_EQ(RunDetectorOnFile(kId, Case("quiet", "kube_system_secret_via_arc_proxy"),
                              {{"ignore_namespaces", "[azure-arc]"}})
                .alerts.size(),
            1u);
  EXPECT_TRUE(RunDetectorOnFile(kId, Case("fires", "configmaps_listed_via_arc_proxy"),
                                {{"resources", "[secrets]"}})
                  .alerts.empty());
  EXPECT_EQ(RunDetectorOnFile(kId, Case("quiet", "secret_read_impersonating_without_arc"),
                              {{"proxy_users", "[admin]"}})
                .alerts.size(),
            1u);
}

TEST(ArcProxySecretAccessTest, UsersAreBoundedAndPersisted) {
  // With room for one user, bob evicts alice, whose next read alerts again.
  std::string data = Read("2024-06-01T12:00:00", "alice@contoso.com", 1) +
                     Read("2024-06-01T12:10:00", "bob@contoso.com", 2) +
                     Read("2024-06-01T12:20:00", "alice@contoso.com", 3);
  auto bounded = RunDetector(kId, data, {{"max_users", "1"}});
  EXPECT_EQ(bounded.alerts.size(), 3u);
  EXPECT_EQ(bounded.state_evictions, 2u);
  EXPECT_EQ(RunDetector(kId, data).alerts.size(), 2u);

  auto d = NewDetectorWithDefaults(kId);
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE((*d)->persistent());
  StateWriter w(kId, 1);
  w.Record({"u", "alice@contoso.com", "1717243200000000000"});
  w.Record({"u", "bob@contoso.com", "1717243800000000000"});
  auto r = StateReader::Parse(w.Finish(), kId, "mem");
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE((*d)->LoadState(*r).ok());
  EXPECT_EQ((*d)->state_entries(), 2u);
  StateWriter out(kId, 1);
  ASSERT_TRUE((*d)->SaveState(out).ok());
  EXPECT_EQ(out.Finish(), w.Finish());
  StateWriter bad(kId, 1);
  bad.Record({"u", "alice@contoso.com"});
  auto rb = StateReader::Parse(bad.Finish(), kId, "bad.state");
  ASSERT_TRUE(rb.ok());
  absl::Status s = (*NewDetectorWithDefaults(kId))->LoadState(*rb);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("bad.state"), std::string::npos);
}

// The end of input (an infinite watermark, as Dispatcher::Finish sends) keeps the last
// accesses for the state save; time passing beyond the window forgets them.
TEST(ArcProxySecretAccessTest, EndOfInputKeepsLastAccessesForTheSave) {
  struct Sink : AlertEmitter {
    void Emit(Alert a) override { alerts.push_back(std::move(a)); }
    std::vector<Alert> alerts;
  } sink;
  auto d = NewDetectorWithDefaults(kId);
  ASSERT_TRUE(d.ok());
  AuditEvent e;
  e.first_outcome = true;
  e.stage = Stage::kResponseComplete;
  e.verb = Verb::kGet;
  e.verb_text = "get";
  e.has_object_ref = true;
  e.object.resource = "secrets";
  e.object.namespace_ = "payments";
  e.object.name = "db";
  e.response_code = 200;
  e.username = "system:serviceaccount:azure-arc:azure-arc-kube-aad-proxy-sa";
  e.impersonated_user = "alice@contoso.com";
  e.stage_timestamp = absl::FromUnixSeconds(1717243200);
  (*d)->OnEvent(e, sink);
  ASSERT_EQ(sink.alerts.size(), 1u);
  (*d)->OnWatermark(absl::InfiniteFuture(), sink);
  StateWriter w(kId, 1);
  ASSERT_TRUE((*d)->SaveState(w).ok());
  EXPECT_NE(w.Finish().find("u\talice@contoso.com\t1717243200000000000"), std::string::npos)
      << w.Finish();
  (*d)->OnWatermark(e.stage_timestamp + absl::Hours(24 * 6), sink);
  EXPECT_EQ((*d)->state_entries(), 0u);
}

}  // namespace
}  // namespace kaudit
