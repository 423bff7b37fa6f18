#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::RunDetector;
using testing::RunDetectorOnFile;
using testing::SourcePath;

constexpr char kId[] = "full_admin_access";

TEST(FullAdminAccessTest, UsersAndGroupsAreConfigurable) {
  std::string path = SourcePath("tests/data/falco/k8s_audit__create_kube_system_secret.json");
  auto r = RunDetectorOnFile(kId, path);
  ASSERT_EQ(r.alerts.size(), 1u);
  EXPECT_EQ(r.alerts[0].severity, Severity::kMedium);
  EXPECT_TRUE(RunDetectorOnFile(kId, path, {{"admin_users", "[root]"}, {"admin_groups", "[none]"}})
                  .alerts.empty());
}

}  // namespace
}  // namespace kaudit
