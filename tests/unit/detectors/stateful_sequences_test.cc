// What the fires/quiet cases of the stateful detectors cannot show: severities, evidence,
// one alert per sequence, bounds with counted evictions, and saved state round trips.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
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
using testing::SourcePath;

std::string Case(const std::string& id, const std::string& kind, const std::string& name) {
  return SourcePath(
      absl::StrCat("tests/data/detectors/", id, "/", kind, "/constructed_", name, ".jsonl"));
}

TEST(CreateThenExecTest, PrivilegedPodRaisesHighOnceWithBothAuditIds) {
  auto run = RunDetectorOnFile(
      "create_then_exec",
      Case("create_then_exec", "fires", "mallory_creates_privileged_pod_then_execs_2m_later"));
  ASSERT_EQ(run.alerts.size(), 1u);
  const Alert& a = run.alerts[0];
  EXPECT_EQ(a.severity, Severity::kHigh);
  EXPECT_EQ(a.user, "mallory");
  EXPECT_EQ(a.name, "tool");
  EXPECT_EQ(a.audit_ids.size(), 2u);
  EXPECT_EQ(FieldOf(a, "seconds_after_create"), "120");
  EXPECT_EQ(FieldOf(a, "pod_risk"), "privileged");
  EXPECT_NE(a.message.find("mallory created privileged pod default/tool and exec'd into it"),
            std::string::npos)
      << a.message;
  // The window is tunable: 1 minute is too short for an exec 2 minutes later.
  EXPECT_TRUE(RunDetectorOnFile("create_then_exec",
                                Case("create_then_exec", "fires",
                                     "mallory_creates_privileged_pod_then_execs_2m_later"),
                                {{"window", "1m"}})
                  .alerts.empty());
}

TEST(CreateThenExecTest, PodStoreIsBoundedAndEvictionsCounted) {
  std::string data = ReadFile(
      Case("create_then_exec", "fires", "mallory_creates_privileged_pod_then_execs_2m_later"));
  std::string create = data.substr(0, data.find('\n') + 1);
  std::string exec = data.substr(data.find('\n') + 1);
  // The pod "tool", then 3 other pods, then the exec: with max_pods 2, "tool" was evicted.
  std::string more;
  for (int i = 0; i < 3; ++i) {
    std::string c = create;
    c.replace(c.find("\"name\":\"tool\""), 13, absl::StrCat("\"name\":\"other", i, "\""));
    c.replace(c.find("\"auditID\":\"") + 11, 8, absl::StrCat("bbbbbbb", i));
    more += c;
  }
  auto run = RunDetector("create_then_exec", create + more + exec, {{"max_pods", "2"}});
  EXPECT_TRUE(run.alerts.empty());
  EXPECT_EQ(run.state_evictions, 2u);
  EXPECT_EQ(RunDetector("create_then_exec", create + more + exec).alerts.size(), 1u);
}

TEST(GrantThenFirstUseTest, NamesTheBindingRoleAndGrantor) {
  auto run = RunDetectorOnFile("grant_then_first_use", Case("grant_then_first_use", "fires",
                                                            "binding_created_then_used_5m_later"));
  ASSERT_EQ(run.alerts.size(), 1u);
  const Alert& a = run.alerts[0];
  EXPECT_EQ(a.user, "minikube");
  EXPECT_EQ(FieldOf(a, "binding"), "ClusterRoleBinding/some-reader-binding");
  EXPECT_EQ(FieldOf(a, "role"), "ClusterRole system:basic-user");
  EXPECT_EQ(FieldOf(a, "granted_by"), "minikube-user");
  EXPECT_EQ(FieldOf(a, "seconds_after_grant"), "300");
  EXPECT_EQ(a.severity, Severity::kMedium);
  auto rb = RunDetectorOnFile("grant_then_first_use", Case("grant_then_first_use", "fires",
                                                           "rolebinding_created_then_used"));
  ASSERT_EQ(rb.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(rb.alerts[0], "binding"), "RoleBinding/ops/payments");
}

TEST(GrantThenFirstUseTest, OnlyTheFirstUseAlerts) {
  std::string data =
      ReadFile(Case("grant_then_first_use", "fires", "binding_created_then_used_5m_later"));
  std::string use = data.substr(data.find('\n') + 1);
  std::string again = use;
  again.replace(again.find("\"auditID\":\"") + 11, 8, "cccccccc");
  EXPECT_EQ(RunDetector("grant_then_first_use", data + again).alerts.size(), 1u);
}

TEST(AnonymousThenWriteTest, OneHighAlertWithTheProbe) {
  auto run = RunDetectorOnFile(
      "anonymous_then_write",
      Case("anonymous_then_write", "fires", "anonymous_list_then_namespace_create_from_same_ip"));
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(run.alerts[0].severity, Severity::kHigh);
  EXPECT_EQ(FieldOf(run.alerts[0], "anonymous_request"), "/api/v1/namespaces/kube-system/secrets");
  EXPECT_EQ(FieldOf(run.alerts[0], "seconds_after_anonymous"), "600");
}

TEST(FirstSeenTest, NewNetworkAndNewClientAfterLearning) {
  auto run = RunDetectorOnFile(
      "first_seen",
      Case("first_seen", "fires", "sa_token_used_from_new_network_and_client_after_learning"));
  ASSERT_EQ(run.alerts.size(), 2u);
  EXPECT_EQ(FieldOf(run.alerts[0], "new"), "source_network");
  EXPECT_EQ(FieldOf(run.alerts[0], "value"), "198.51.100.0/24");
  EXPECT_EQ(FieldOf(run.alerts[1], "new"), "user_agent");
  EXPECT_EQ(FieldOf(run.alerts[1], "value"), "curl");
  for (const auto& a : run.alerts) {
    EXPECT_EQ(a.user, "system:serviceaccount:ci:deployer");
    EXPECT_EQ(a.severity, Severity::kMedium);
  }
  // Humans are modelled only when asked.
  auto human = RunDetectorOnFile(
      "first_seen", Case("first_seen", "quiet", "human_user_new_network_not_modelled_by_default"),
      {{"include_users", "true"}});
  EXPECT_EQ(human.alerts.size(), 2u);
  // Only the attributes asked for.
  auto net = RunDetectorOnFile(
      "first_seen",
      Case("first_seen", "fires", "sa_token_used_from_new_network_and_client_after_learning"),
      {{"attributes", "[source_network]"}});
  EXPECT_EQ(net.alerts.size(), 1u);
}

TEST(FirstSeenTest, SavedStateRoundTripsThroughLoad) {
  auto d = NewDetectorWithDefaults("first_seen");
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE((*d)->persistent());
  StateWriter w("first_seen", 1);
  w.Record({"i", "system:serviceaccount:ci:deployer", "1717200000000000000",
            "source_network\x1f"
            "10.8.1.0/24"});
  auto r = StateReader::Parse(w.Finish(), "first_seen", "mem");
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE((*d)->LoadState(*r).ok());
  EXPECT_EQ((*d)->state_entries(), 1u);
  StateWriter out("first_seen", 1);
  ASSERT_TRUE((*d)->SaveState(out).ok());
  EXPECT_EQ(out.Finish(), w.Finish());
  // A record it does not understand is an error naming it.
  StateWriter bad("first_seen", 1);
  bad.Record({"x"});
  auto rb = StateReader::Parse(bad.Finish(), "first_seen", "bad.state");
  ASSERT_TRUE(rb.ok());
  absl::Status s = (*NewDetectorWithDefaults("first_seen"))->LoadState(*rb);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("bad.state"), std::string::npos);
}

TEST(RoleDiffTest, ReportsExactlyTheAddedPermissions) {
  auto run = RunDetectorOnFile("role_diff",
                               Case("role_diff", "fires", "clusterrole_update_adds_secrets_read"));
  ASSERT_EQ(run.alerts.size(), 1u);
  const Alert& a = run.alerts[0];
  EXPECT_EQ(FieldOf(a, "added_permissions"), "get secrets, list secrets");
  EXPECT_EQ(a.severity, Severity::kHigh);
  EXPECT_NE(a.message.find("updated ClusterRole some-reader adding 2 permissions"),
            std::string::npos)
      << a.message;
  auto patch = RunDetectorOnFile(
      "role_diff", Case("role_diff", "fires", "clusterrole_merge_patch_adds_pods_exec"));
  ASSERT_EQ(patch.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(patch.alerts[0], "added_permissions"), "create pods/exec");
}

TEST(RoleDiffTest, StateSavesAndLoadsRules) {
  auto d = NewDetectorWithDefaults("role_diff");
  ASSERT_TRUE(d.ok());
  StateWriter w("role_diff", 1);
  // [""] (the core group) and [] (none) stay apart.
  w.Record({"r", "ClusterRole x", "2\x1fget\x1flist", "1\x1f", "1\x1fpods", "0", "0"});
  w.Record({"e", "Role ns/empty"});
  auto r = StateReader::Parse(w.Finish(), "role_diff", "mem");
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE((*d)->LoadState(*r).ok());
  StateWriter out("role_diff", 1);
  ASSERT_TRUE((*d)->SaveState(out).ok());
  EXPECT_EQ(out.Finish(), w.Finish());
}

TEST(WorkloadDiffTest, SeverityFollowsTheChange) {
  auto side = RunDetectorOnFile(
      "workload_diff",
      Case("workload_diff", "fires", "deployment_update_adds_sidecar_with_new_image"));
  ASSERT_EQ(side.alerts.size(), 1u);
  EXPECT_EQ(side.alerts[0].severity, Severity::kMedium);
  EXPECT_EQ(FieldOf(side.alerts[0], "changes"),
            "added container helper; new image evil.example/miner:1");
  auto priv = RunDetectorOnFile(
      "workload_diff",
      Case("workload_diff", "fires", "deployment_update_turns_on_privileged_and_hostpath"));
  ASSERT_EQ(priv.alerts.size(), 1u);
  EXPECT_EQ(priv.alerts[0].severity, Severity::kHigh);
  EXPECT_EQ(FieldOf(priv.alerts[0], "changes"), "turned on privileged; added a hostPath volume");
}

TEST(ExecSessionDurationTest, ReportsTheDurationAtResponseComplete) {
  auto run = RunDetectorOnFile("exec_session_duration",
                               Case("exec_session_duration", "fires", "exec_session_open_45m"));
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(run.alerts[0], "session_seconds"), "2699");
  EXPECT_TRUE(RunDetectorOnFile("exec_session_duration",
                                Case("exec_session_duration", "fires", "exec_session_open_45m"),
                                {{"threshold", "1h"}})
                  .alerts.empty());
}

}  // namespace
}  // namespace kaudit
