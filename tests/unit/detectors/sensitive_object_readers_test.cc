// sensitive_object_readers (catalog C22): what the fires/quiet cases cannot show: who is
// reported (top N, rare readers) and who is not, the message and evidence, windows closed by
// the watermark and at the end of input, late reads, the bounds and their counters, and the
// real AKS reads that the default allow-lists keep quiet.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::FieldOf;
using testing::ReadFile;
using testing::RunDetector;
using testing::RunDetectorOnFile;
using testing::SourcePath;

constexpr char kId[] = "sensitive_object_readers";

std::string CasePath(const std::string& kind, const std::string& name) {
  return SourcePath(
      absl::StrCat("tests/data/detectors/sensitive_object_readers/", kind, "/", name));
}

std::map<std::string, const Alert*> ByUser(const std::vector<Alert>& alerts) {
  std::map<std::string, const Alert*> out;
  for (const auto& a : alerts) out[a.impersonated_user.empty() ? a.user : a.impersonated_user] = &a;
  return out;
}

// Nine readers in one window (constructed): alice reads 14 secrets in 3 namespaces and 2
// clusterroles, dev0..dev6 read one configmap 3-5 times each, dave reads one rolebinding.
const char kTopAndRare[] = "constructed_top_and_rare_readers.jsonl";

TEST(SensitiveObjectReadersTest, ReportsTheTopReadersAndTheRareOnes) {
  auto run = RunDetectorOnFile(kId, CasePath("fires", kTopAndRare));
  // Top 5 by reads: alice (16), dev2 (5), dev5 (5), dev1 (4), dev4 (4); dave alone read
  // rolebindings (rare). dev0, dev3, dev6 (3 reads of configmaps, read by 7) are neither.
  auto by = ByUser(run.alerts);
  EXPECT_EQ(run.alerts.size(), 6u);
  EXPECT_EQ((std::set<std::string>{"alice", "dev2", "dev5", "dev1", "dev4", "dave"}), [&] {
    std::set<std::string> s;
    for (const auto& [u, a] : by) s.insert(u);
    return s;
  }());
  ASSERT_TRUE(by.count("alice"));
  const Alert& alice = *by["alice"];
  EXPECT_EQ(alice.severity, Severity::kInfo);
  EXPECT_EQ(alice.detector_id, kId);
  EXPECT_EQ(alice.message.substr(0, alice.message.find(':')),
            "alice read secrets 14 times, clusterroles 2 times (16 objects in 3 namespaces) over "
            "24h (window cut short) from 10.0.0.5; top 1 of 9 readers of sensitive objects; the "
            "only reader of "
            "clusterroles and secrets");
  EXPECT_EQ(FieldOf(alice, "rank"), "1");
  EXPECT_EQ(FieldOf(alice, "readers"), "9");
  EXPECT_EQ(FieldOf(alice, "top"), "true");
  EXPECT_EQ(FieldOf(alice, "rare_resources"), "clusterroles,secrets");
  EXPECT_EQ(FieldOf(alice, "reads_secrets"), "14");
  EXPECT_EQ(FieldOf(alice, "reads_clusterroles"), "2");
  EXPECT_EQ(FieldOf(alice, "distinct_objects"), "16");
  EXPECT_EQ(FieldOf(alice, "namespaces"), "ci,prod,staging");
  EXPECT_EQ(FieldOf(alice, "verbs"), "get,list");
  EXPECT_EQ(FieldOf(alice, "window_start"), "2024-03-05T00:00:00+00:00");
  EXPECT_EQ(FieldOf(alice, "window_complete"), "false");  // the input ended inside it
  EXPECT_EQ(alice.resource, "secrets");
  // Every read it rests on, by auditID, with the count.
  EXPECT_EQ(alice.audit_ids.size(), 16u);
  EXPECT_EQ(alice.audit_id_count, 16u);
  EXPECT_EQ(alice.count, 16u);
  EXPECT_EQ(alice.audit_ids.front(), "c2200001-0000-4000-8000-000000000000");

  ASSERT_TRUE(by.count("dave"));
  EXPECT_EQ(FieldOf(*by["dave"], "top"), "false");
  EXPECT_EQ(FieldOf(*by["dave"], "rank"), "9");
  EXPECT_EQ(FieldOf(*by["dave"], "rare_resources"), "rolebindings");
  EXPECT_NE(by["dave"]->message.find("; the only reader of rolebindings:"), std::string::npos)
      << by["dave"]->message;
  ASSERT_TRUE(by.count("dev4"));
  EXPECT_EQ(FieldOf(*by["dev4"], "rank"), "5");
  EXPECT_EQ(FieldOf(*by["dev4"], "rare_resources"), "");
}

TEST(SensitiveObjectReadersTest, TopAndRareAreTunable) {
  const std::string path = CasePath("fires", kTopAndRare);
  auto only_rare = ByUser(RunDetectorOnFile(kId, path, {{"top", "0"}}).alerts);
  EXPECT_EQ(only_rare.size(), 2u);
  EXPECT_TRUE(only_rare.count("alice") && only_rare.count("dave"));
  auto top2 =
      ByUser(RunDetectorOnFile(kId, path, {{"top", "2"}, {"rare_max_readers", "0"}}).alerts);
  EXPECT_EQ(top2.size(), 2u);
  EXPECT_TRUE(top2.count("alice") && top2.count("dev2"));
  // Configmaps were read by 7 readers: rare at 7, not at 6.
  EXPECT_EQ(RunDetectorOnFile(kId, path, {{"top", "0"}, {"rare_max_readers", "7"}}).alerts.size(),
            9u);
  EXPECT_EQ(RunDetectorOnFile(kId, path, {{"top", "0"}, {"rare_max_readers", "6"}}).alerts.size(),
            2u);
  EXPECT_TRUE(
      RunDetectorOnFile(kId, path, {{"top", "0"}, {"rare_max_readers", "0"}}).alerts.empty());
  // Only the resources configured count.
  auto cm = RunDetectorOnFile(kId, path, {{"resources", "[configmaps]"}, {"top", "1"}});
  ASSERT_EQ(cm.alerts.size(), 1u);
  EXPECT_EQ(cm.alerts[0].user, "dev2");
  EXPECT_EQ(FieldOf(cm.alerts[0], "readers"), "7");
  // Validated at startup.
  EXPECT_THROW(RunDetector(kId, "", {{"window", "0s"}}), std::runtime_error);
  EXPECT_THROW(RunDetector(kId, "", {{"resources", "[]"}}), std::runtime_error);
  EXPECT_THROW(RunDetector(kId, "", {{"top", "-1"}}), std::runtime_error);
  EXPECT_THROW(RunDetector(kId, "", {{"topp", "1"}}), std::runtime_error);
}

TEST(SensitiveObjectReadersTest, TheWatermarkClosesEachWindowAndLateReadsAreCounted) {
  // Two reads at 23:50 and 23:55 on day 5, then a list and a watch just after midnight: the
  // watermark (5s behind the newest event) closes day 5's window when the 00:05 read arrives,
  // and the end of input closes day 6's.
  const std::string data =
      ReadFile(CasePath("fires", "constructed_reads_across_a_window_boundary.jsonl"));
  auto run = RunDetector(kId, data);
  ASSERT_EQ(run.alerts.size(), 2u);
  EXPECT_EQ(FieldOf(run.alerts[0], "window_start"), "2024-03-05T00:00:00+00:00");
  EXPECT_EQ(FieldOf(run.alerts[0], "window_complete"), "true");
  EXPECT_EQ(run.alerts[0].count, 2u);
  EXPECT_EQ(FieldOf(run.alerts[0], "objects"), "secrets/prod/api,secrets/prod/db");
  EXPECT_EQ(run.alerts[0].message.find("cut short"), std::string::npos);
  EXPECT_EQ(FieldOf(run.alerts[1], "window_start"), "2024-03-06T00:00:00+00:00");
  EXPECT_EQ(FieldOf(run.alerts[1], "window_complete"), "false");
  EXPECT_EQ(run.alerts[1].count, 2u);
  EXPECT_EQ(FieldOf(run.alerts[1], "verbs"), "list,watch");
  EXPECT_EQ(FieldOf(run.alerts[1], "cluster_wide"), "true");  // the watch of every configmap
  EXPECT_NE(run.alerts[1].message.find("(window cut short)"), std::string::npos);
  EXPECT_EQ(run.not_judged, 0u);

  // A day-5 read that arrives after that window was reported is late: counted, not folded
  // into the next window.
  std::string late = data.substr(0, data.find('\n') + 1);
  late.replace(late.find("c2200101"), 8, "c2200199");
  late.replace(late.find("\"name\":\"db\""), 11, "\"name\":\"zz\"");
  run = RunDetector(kId, data + late);
  ASSERT_EQ(run.alerts.size(), 2u);
  EXPECT_EQ(run.not_judged, 1u);
  EXPECT_EQ(run.alerts[0].count, 2u);
  EXPECT_EQ(run.alerts[1].count, 2u);

  // Windows are aligned to the Unix epoch: a 7-day window from 2024-02-29 holds all four reads.
  run = RunDetector(kId, data, {{"window", "168h"}});
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(run.alerts[0].count, 4u);
  EXPECT_EQ(FieldOf(run.alerts[0], "window"), "168h");
  EXPECT_EQ(FieldOf(run.alerts[0], "window_start"), "2024-02-29T00:00:00+00:00");
}

TEST(SensitiveObjectReadersTest, BoundsEvictReadersAndDropObjectsCounted) {
  const std::string path = CasePath("fires", kTopAndRare);
  // One reader per window: each new reader evicts the last; the survivor's report says so.
  auto run = RunDetectorOnFile(kId, path, {{"max_keys", "1"}});
  EXPECT_EQ(run.state_evictions, 8u);
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(run.alerts[0].user, "dave");
  EXPECT_EQ(FieldOf(run.alerts[0], "readers_evicted"), "8");
  EXPECT_NE(run.alerts[0].message.find("(8 readers evicted: ranks may be off)"), std::string::npos)
      << run.alerts[0].message;
  // At most 5 objects per reader: alice's 11 further objects are counted, not kept.
  run = RunDetectorOnFile(kId, path, {{"max_objects_per_reader", "5"}});
  EXPECT_EQ(run.state_evictions, 11u);
  auto by = ByUser(run.alerts);
  ASSERT_TRUE(by.count("alice"));
  EXPECT_EQ(FieldOf(*by["alice"], "distinct_objects"), "5+");
  EXPECT_EQ(by["alice"]->count, 16u);  // reads are still all counted
  // Without bounds hit, nothing is counted.
  EXPECT_EQ(RunDetectorOnFile(kId, path).state_evictions, 0u);
}

TEST(SensitiveObjectReadersTest, ImpersonatedReadsCountForTheImpersonatedUser) {
  auto run =
      RunDetectorOnFile(kId, CasePath("fires", "constructed_impersonated_secret_read.jsonl"));
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(run.alerts[0].user, "admin");
  EXPECT_EQ(run.alerts[0].impersonated_user, "mallory");
  EXPECT_EQ(run.alerts[0].namespace_, "kube-system");
  EXPECT_EQ(run.alerts[0].message.rfind(
                "admin (as mallory) read secrets 1 time (1 object in 1 namespace) over 24h "
                "(window cut short) from 203.0.113.9; top 1 of 1 readers of sensitive objects; "
                "the only reader of secrets: ",
                0),
            0u)
      << run.alerts[0].message;
}

// Real AKS reads (sysdig aks-audit-log sample): aksService (the AKS control plane, kubectl from
// 172.31.9.219) gets a clusterrolebinding and a configmap; nodeclient (group system:nodes, the
// kubelets) watches a configmap. Quiet by default; without the default allow-lists both are
// readers, and aksService is the only reader of clusterrolebindings.
TEST(SensitiveObjectReadersTest, RealAksReadsAreSystemComponentsByDefault) {
  const std::string path =
      CasePath("quiet", "sysdig_aks__system_components_read_configmaps_and_bindings.jsonl");
  auto quiet = RunDetectorOnFile(kId, path);
  EXPECT_TRUE(quiet.alerts.empty());
  EXPECT_EQ(quiet.events, 0u);  // all allow-listed before the detector
  auto users_only = RunDetectorOnFile(kId, path, {{"allow.users", "[]"}});
  ASSERT_EQ(users_only.alerts.size(), 1u);  // nodeclient is still allowed by its group
  EXPECT_EQ(users_only.alerts[0].user, "aksService");
  auto run = RunDetectorOnFile(kId, path, {{"allow.users", "[]"}, {"allow.groups", "[]"}});
  ASSERT_EQ(run.alerts.size(), 2u);
  auto by = ByUser(run.alerts);
  ASSERT_TRUE(by.count("aksService") && by.count("nodeclient"));
  const Alert& aks = *by["aksService"];
  EXPECT_EQ(FieldOf(aks, "rank"), "1");
  EXPECT_EQ(FieldOf(aks, "rare_resources"), "clusterrolebindings");
  EXPECT_EQ(FieldOf(aks, "source_ips"), "172.31.9.219");
  EXPECT_EQ(FieldOf(aks, "objects"),
            "clusterrolebindings//aks-cluster-admin-binding,configmaps/kube-system/coredns");
  EXPECT_EQ(aks.message.substr(0, aks.message.find(';')),
            "aksService read clusterrolebindings 1 time, configmaps 1 time (2 objects in 1 "
            "namespace) over 24h (window cut short) from 172.31.9.219");
  EXPECT_EQ(by["nodeclient"]->count, 2u);  // a watch's ResponseComplete and the next's start
  EXPECT_EQ(FieldOf(*by["nodeclient"], "rare_resources"), "");
}

TEST(SensitiveObjectReadersTest, LoopbackIsTunable) {
  const std::string path = CasePath("quiet", "constructed_loopback_reads.jsonl");
  EXPECT_TRUE(RunDetectorOnFile(kId, path).alerts.empty());
  auto run = RunDetectorOnFile(kId, path, {{"ignore_loopback", "false"}});
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(run.alerts[0].count, 2u);
}

}  // namespace
}  // namespace kaudit
