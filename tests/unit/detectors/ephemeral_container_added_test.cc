#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/unit/detectors/workload_test_util.h"

namespace kaudit {
namespace {

using testing::Case;
using testing::FieldOf;
using testing::RunDetectorOnFile;

constexpr char kId[] = "ephemeral_container_added";

TEST(EphemeralContainerAddedTest, NamesTheDebugContainerAndImage) {
  auto run = RunDetectorOnFile(kId, Case(kId, "fires", "constructed_kubectl_debug_patch.json"));
  ASSERT_EQ(run.alerts.size(), 1u);
  const Alert& a = run.alerts[0];
  EXPECT_EQ(a.severity, Severity::kMedium);
  EXPECT_EQ(a.subresource, "ephemeralcontainers");
  EXPECT_EQ(FieldOf(a, "container"), "debugger-x7k2p");
  EXPECT_EQ(FieldOf(a, "image"), "busybox:1.36");
  EXPECT_NE(a.message.find("minikube-user added ephemeral container debugger-x7k2p"),
            std::string::npos)
      << a.message;
}

TEST(EphemeralContainerAddedTest, MetadataLevelStillAlertsWithoutTheContainer) {
  auto run =
      RunDetectorOnFile(kId, Case(kId, "fires", "constructed_kubectl_debug_metadata_level.json"));
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(run.alerts[0], "container"), "<not visible>");
}

TEST(EphemeralContainerAddedTest, PodSpecDetectorsJudgeEphemeralContainersToo) {
  auto run = RunDetectorOnFile(
      "baseline_seccomp",
      Case("baseline_seccomp", "fires", "constructed_ephemeral_container_seccomp_unconfined.json"));
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(run.alerts[0], "container_type"), "ephemeralContainer");
  EXPECT_EQ(FieldOf(run.alerts[0], "container"), "debugger-x7k2p");
}

}  // namespace
}  // namespace kaudit
