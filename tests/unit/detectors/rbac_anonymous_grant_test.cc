#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::Fields;

using testing::RunDetectorOnFile;
using testing::SourcePath;

constexpr char kId[] = "rbac_anonymous_grant";

TEST(RbacAnonymousGrantTest, CriticalWithRoleAndSubject) {
  auto r = RunDetectorOnFile(
      kId, SourcePath("tests/data/detectors/rbac_anonymous_grant/fires/"
                      "constructed_clusterrolebinding_view_to_unauthenticated.json"));
  ASSERT_EQ(r.alerts.size(), 1u);
  EXPECT_EQ(r.alerts[0].severity, Severity::kCritical);
  EXPECT_EQ(Fields(r.alerts[0]), "role_ref=ClusterRole view;subject=Group system:unauthenticated;");
  auto ignored =
      RunDetectorOnFile(kId,
                        SourcePath("tests/data/detectors/rbac_anonymous_grant/fires/"
                                   "constructed_clusterrolebinding_view_to_unauthenticated.json"),
                        {{"ignore_roles", "[view]"}});
  EXPECT_TRUE(ignored.alerts.empty());
}

}  // namespace
}  // namespace kaudit
