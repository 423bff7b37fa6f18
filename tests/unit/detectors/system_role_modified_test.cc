#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::Fields;

using testing::RunDetector;
using testing::RunDetectorOnFile;
using testing::SourcePath;

constexpr char kId[] = "system_role_modified";

TEST(SystemRoleModifiedTest, PatchCarriesTheNewRulesAndIgnoreListIsConfigurable) {
  std::string path =
      SourcePath("tests/data/falco/k8s_audit__modify_cluster_role_node_problem_detector.json");
  auto r = RunDetectorOnFile(kId, path);
  ASSERT_EQ(r.alerts.size(), 1u);
  EXPECT_EQ(r.alerts[0].severity, Severity::kHigh);
  EXPECT_NE(Fields(r.alerts[0]).find("resources=[nodes/status]"), std::string::npos);
  auto quiet = RunDetectorOnFile(kId, path, {{"ignore_names", "[system:node-problem-detector]"}});
  EXPECT_TRUE(quiet.alerts.empty());
}

}  // namespace
}  // namespace kaudit
