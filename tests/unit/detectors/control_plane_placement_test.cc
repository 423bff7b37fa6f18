#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/unit/detectors/workload_test_util.h"

namespace kaudit {
namespace {

using testing::Case;
using testing::FieldOf;
using testing::RunDetectorOnFile;

constexpr char kId[] = "control_plane_placement";

TEST(ControlPlanePlacementTest, RequiringControlPlaneNodesIsMediumToleratingIsLow) {
  auto pinned =
      RunDetectorOnFile(kId, Case(kId, "fires", "constructed_pod_pinned_to_control_plane.json"));
  ASSERT_EQ(pinned.alerts.size(), 1u);
  const Alert& a = pinned.alerts[0];
  EXPECT_EQ(a.severity, Severity::kMedium);
  EXPECT_EQ(FieldOf(a, "node_labels"), "node-role.kubernetes.io/control-plane");
  EXPECT_EQ(FieldOf(a, "tolerates"), "node-role.kubernetes.io/control-plane");
  EXPECT_NE(a.message.find("minikube-user created"), std::string::npos) << a.message;
  // Required node affinity (an Exists expression beside an unrelated In) counts as pinning.
  auto affinity = RunDetectorOnFile(
      kId, Case(kId, "fires", "constructed_deployment_requiring_control_plane_affinity.json"));
  ASSERT_EQ(affinity.alerts.size(), 1u);
  EXPECT_EQ(affinity.alerts[0].severity, Severity::kMedium);
  EXPECT_EQ(FieldOf(affinity.alerts[0], "node_labels"), "node-role.kubernetes.io/control-plane");
  auto every = RunDetectorOnFile(
      kId, Case(kId, "fires", "constructed_deployment_tolerating_every_taint.json"));
  ASSERT_EQ(every.alerts.size(), 1u);
  EXPECT_EQ(every.alerts[0].severity, Severity::kLow);
  EXPECT_EQ(FieldOf(every.alerts[0], "tolerates"), "every taint");
}

TEST(ControlPlanePlacementTest, DedicatedPoolsAreWatchedByTheirTaintKeys) {
  const std::string pool =
      Case(kId, "quiet", "constructed_deployment_tolerating_dedicated_pool.json");
  EXPECT_TRUE(RunDetectorOnFile(kId, pool).alerts.empty());
  auto run = RunDetectorOnFile(kId, pool, {{"taint_keys", "[dedicated]"}});
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(run.alerts[0], "tolerates"), "dedicated");
  // kube-system is ignored by default, not when the list is emptied.
  const std::string system =
      Case(kId, "quiet", "constructed_kube_system_deployment_tolerating_every_taint.json");
  EXPECT_TRUE(RunDetectorOnFile(kId, system).alerts.empty());
  EXPECT_EQ(RunDetectorOnFile(kId, system, {{"ignore_namespaces", "[]"}}).alerts.size(), 1u);
}

}  // namespace
}  // namespace kaudit
