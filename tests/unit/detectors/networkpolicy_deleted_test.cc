#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::RunDetectorOnFile;
using testing::SourcePath;

constexpr char kId[] = "networkpolicy_deleted";

TEST(NetworkPolicyDeletedTest, NamesThePolicy) {
  auto r = RunDetectorOnFile(kId, SourcePath("tests/data/detectors/networkpolicy_deleted/fires/"
                                             "constructed_delete_networkpolicy.json"));
  ASSERT_EQ(r.alerts.size(), 1u);
  EXPECT_EQ(r.alerts[0].severity, Severity::kMedium);
  EXPECT_EQ(r.alerts[0].name, "default-deny");
}

}  // namespace
}  // namespace kaudit
