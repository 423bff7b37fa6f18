#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::Fields;

using testing::RunDetector;
using testing::RunDetectorOnFile;
using testing::SourcePath;

constexpr char kId[] = "rbac_write_role";

TEST(RbacWriteRoleTest, SeverityDependsOnTheResourcesWritten) {
  auto r = RunDetectorOnFile(
      kId, SourcePath("tests/data/falco/k8s_audit__create_cluster_role_write_privileges.json"));
  ASSERT_EQ(r.alerts.size(), 1u);
  EXPECT_EQ(r.alerts[0].severity, Severity::kMedium);  // delete on non-resource URLs
  auto s = RunDetectorOnFile(kId, SourcePath("tests/data/detectors/rbac_write_role/fires/"
                                             "constructed_create_role_updating_secrets.json"));
  ASSERT_EQ(s.alerts.size(), 1u);
  EXPECT_EQ(s.alerts[0].severity, Severity::kHigh);
  EXPECT_NE(Fields(s.alerts[0]).find("resources=[secrets]"), std::string::npos);
}

}  // namespace
}  // namespace kaudit
