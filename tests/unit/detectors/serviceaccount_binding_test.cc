#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::Fields;

using testing::RunDetectorOnFile;
using testing::SourcePath;

constexpr char kId[] = "serviceaccount_binding";

TEST(ServiceAccountBindingTest, ListsTheServiceAccounts) {
  auto r =
      RunDetectorOnFile(kId, SourcePath("tests/data/detectors/serviceaccount_binding/fires/"
                                        "constructed_rolebinding_edit_to_ci_service_account.json"));
  ASSERT_EQ(r.alerts.size(), 1u);
  EXPECT_EQ(r.alerts[0].severity, Severity::kMedium);
  EXPECT_EQ(Fields(r.alerts[0]), "role_ref=ClusterRole edit;subjects=ServiceAccount ci/deployer;");
}

}  // namespace
}  // namespace kaudit
