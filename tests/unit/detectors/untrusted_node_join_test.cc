#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::RunDetector;
using testing::RunDetectorOnFile;
using testing::SourcePath;

constexpr char kId[] = "untrusted_node_join";

TEST(UntrustedNodeJoinTest, SeverityByOutcomeAndAllowList) {
  std::string dir = SourcePath("tests/data/detectors/untrusted_node_join/");
  auto ok = RunDetectorOnFile(kId, dir + "fires/constructed_node_registered_by_a_user.json");
  ASSERT_EQ(ok.alerts.size(), 1u);
  EXPECT_EQ(ok.alerts[0].severity, Severity::kHigh);
  auto refused = RunDetectorOnFile(
      kId, dir + "fires/constructed_node_registration_forbidden_for_other_kubelet.json");
  ASSERT_EQ(refused.alerts.size(), 1u);
  EXPECT_EQ(refused.alerts[0].severity, Severity::kMedium);
  std::string self = dir + "quiet/constructed_kubelet_self_registration.json";
  EXPECT_EQ(RunDetectorOnFile(kId, self, {{"allowed_nodes", "[prod-.*]"}}).alerts.size(), 1u);
  EXPECT_TRUE(RunDetectorOnFile(kId, self, {{"allowed_nodes", "[worker-[0-9]+]"}}).alerts.empty());
  EXPECT_TRUE(RunDetectorOnFile(kId, dir + "fires/constructed_node_registered_by_a_user.json",
                                {{"allow_all_nodes", "true"}})
                  .alerts.empty());
}

}  // namespace
}  // namespace kaudit
