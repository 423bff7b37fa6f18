#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/unit/detectors/workload_test_util.h"

namespace kaudit {
namespace {

using testing::Corpus;
using testing::FieldOf;
using testing::RunDetectorOnFile;

constexpr char kId[] = "run_as_user_root";

TEST(RunAsUserRootTest, PodLevelZeroIsReportedEvenWhenContainersOverrideIt) {
  auto run = RunDetectorOnFile(kId, Corpus("psp__run_as_user_0_sec_ctx_1000_container.json"));
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(run.alerts[0], "container"), "<none>");
  EXPECT_EQ(FieldOf(run.alerts[0], "control"), "runAsUser");
  EXPECT_EQ(run.alerts[0].severity, Severity::kLow);
}

TEST(RunAsUserRootTest, ContainerLevelZeroNamesTheContainer) {
  auto run = RunDetectorOnFile(kId, Corpus("psp__run_as_user_1000_sec_ctx_0_container.json"));
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(run.alerts[0], "container"), "nginx1");
}

}  // namespace
}  // namespace kaudit
