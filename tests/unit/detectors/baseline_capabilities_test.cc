#include <gtest/gtest.h>

#include "absl/strings/str_replace.h"
#include "tests/support/detector_harness.h"
#include "tests/unit/detectors/workload_test_util.h"

namespace kaudit {
namespace {

using testing::Case;
using testing::Corpus;
using testing::FieldOf;
using testing::ReadFile;
using testing::RunDetector;
using testing::RunDetectorOnFile;

constexpr char kId[] = "baseline_capabilities";

TEST(BaselineCapabilitiesTest, NonBaselineButNotDangerousIsLow) {
  auto run = RunDetectorOnFile(kId, Corpus("psp__capability_add_sys_time.json"));
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(run.alerts[0].severity, Severity::kLow);
  EXPECT_EQ(FieldOf(run.alerts[0], "capability"), "SYS_TIME");
  EXPECT_EQ(FieldOf(run.alerts[0], "container"), "nginx1");
}

TEST(BaselineCapabilitiesTest, DangerousCapabilityOfAnInitContainerIsMedium) {
  auto run = RunDetectorOnFile(
      kId, Case(kId, "fires", "constructed_deployment_init_container_sys_admin.json"));
  ASSERT_EQ(run.alerts.size(), 1u);
  const Alert& a = run.alerts[0];
  EXPECT_EQ(a.severity, Severity::kMedium);
  EXPECT_EQ(FieldOf(a, "container_type"), "initContainer");
  EXPECT_EQ(FieldOf(a, "container"), "setup");
  EXPECT_EQ(FieldOf(a, "control"), "capabilities.add");
  EXPECT_NE(a.message.find("dangerous capability SYS_ADMIN added in initContainer setup"),
            std::string::npos)
      << a.message;
}

TEST(BaselineCapabilitiesTest, CapPrefixIsOutsideTheBaselineAndStillDangerous) {
  std::string ev =
      ReadFile(Case(kId, "fires", "constructed_deployment_init_container_sys_admin.json"));
  ev = absl::StrReplaceAll(ev, {{"\"SYS_ADMIN\"", "\"cap_sys_admin\""}});
  auto run = RunDetector(kId, ev);
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(run.alerts[0].severity, Severity::kMedium);
  EXPECT_EQ(FieldOf(run.alerts[0], "capability"), "cap_sys_admin");
}

}  // namespace
}  // namespace kaudit
