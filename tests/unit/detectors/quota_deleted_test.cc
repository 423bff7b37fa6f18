#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/unit/detectors/workload_test_util.h"

namespace kaudit {
namespace {

using testing::Case;
using testing::RunDetectorOnFile;

constexpr char kId[] = "quota_deleted";

TEST(QuotaDeletedTest, NamesTheKindItRemoved) {
  auto one = RunDetectorOnFile(kId, Case(kId, "fires", "constructed_delete_resourcequota.json"));
  ASSERT_EQ(one.alerts.size(), 1u);
  EXPECT_EQ(one.alerts[0].severity, Severity::kLow);
  EXPECT_NE(one.alerts[0].message.find(
                "dev@example.com deleted ResourceQuota default/compute-quota: the cap it put on "
                "the namespace is gone"),
            std::string::npos)
      << one.alerts[0].message;
  auto all =
      RunDetectorOnFile(kId, Case(kId, "fires", "constructed_deletecollection_limitranges.json"));
  ASSERT_EQ(all.alerts.size(), 1u);
  EXPECT_NE(all.alerts[0].message.find("deleted all LimitRanges in namespace default"),
            std::string::npos)
      << all.alerts[0].message;
}

}  // namespace
}  // namespace kaudit
