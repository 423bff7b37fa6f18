#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/unit/detectors/workload_test_util.h"

namespace kaudit {
namespace {

using testing::Case;
using testing::FieldOf;
using testing::RunDetectorOnFile;

constexpr char kId[] = "run_as_non_root";

TEST(RunAsNonRootTest, ContainerFalseOverridesPodTrue) {
  auto run = RunDetectorOnFile(
      kId, Case(kId, "fires", "constructed_container_overrides_pod_run_as_non_root.json"));
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(run.alerts[0], "container"), "nginx");
  EXPECT_NE(run.alerts[0].message.find("runAsNonRoot: false"), std::string::npos);
  EXPECT_EQ(run.alerts[0].severity, Severity::kLow);
}

TEST(RunAsNonRootTest, MergePatchesAreJudgedOnTheWholeObjectOrCountedAsNotJudged) {
  auto with_response = RunDetectorOnFile(
      kId, Case(kId, "fires", "constructed_pod_image_patch_judged_on_response.json"));
  ASSERT_EQ(with_response.alerts.size(), 1u);
  EXPECT_EQ(with_response.alerts[0].verb, "patch");
  EXPECT_EQ(FieldOf(with_response.alerts[0], "image"), "nginx:1.25");

  auto request_level =
      RunDetectorOnFile(kId, Case(kId, "quiet", "constructed_pod_image_patch_request_level.json"));
  EXPECT_TRUE(request_level.alerts.empty());
  EXPECT_EQ(request_level.not_judged, 1u);

  auto labels = RunDetectorOnFile(kId, Case(kId, "quiet", "constructed_pod_label_patch.json"));
  EXPECT_TRUE(labels.alerts.empty());
  EXPECT_EQ(labels.not_judged, 0u);
}

}  // namespace
}  // namespace kaudit
