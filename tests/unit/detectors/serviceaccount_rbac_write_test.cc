#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::RunDetectorOnFile;
using testing::SourcePath;

constexpr char kId[] = "serviceaccount_rbac_write";

TEST(ServiceAccountRbacWriteTest, DefaultAllowListIsReplaceable) {
  std::string quiet = SourcePath(
      "tests/data/detectors/serviceaccount_rbac_write/quiet/"
      "constructed_aggregation_controller_updates_admin.json");
  EXPECT_TRUE(RunDetectorOnFile(kId, quiet).alerts.empty());
  auto r = RunDetectorOnFile(kId, quiet, {{"allow.users", "[]"}});
  ASSERT_EQ(r.alerts.size(), 1u);
  EXPECT_EQ(r.alerts[0].severity, Severity::kMedium);
}

}  // namespace
}  // namespace kaudit
