#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::RunDetectorOnFile;
using testing::SourcePath;

constexpr char kId[] = "anonymous_request_allowed";

TEST(AnonymousRequestAllowedTest, AnonymousWriteIsCriticalAndReadIsHigh) {
  auto write = RunDetectorOnFile(
      kId, SourcePath("tests/data/falco/k8s_audit__anonymous_creates_namespace_foo.json"));
  ASSERT_EQ(write.alerts.size(), 1u);
  EXPECT_EQ(write.alerts[0].severity, Severity::kCritical);
  EXPECT_EQ(write.alerts[0].name, "foo");
  EXPECT_EQ(write.alerts[0].audit_ids[0], "841d3e6d-90d2-43df-8da4-684738bee3d5");
  EXPECT_NE(write.alerts[0].message.find("192.168.99.1"), std::string::npos);

  auto read =
      RunDetectorOnFile(kId, SourcePath("tests/data/detectors/anonymous_request_allowed/"
                                        "fires/constructed_anonymous_list_secrets_allowed.json"));
  ASSERT_EQ(read.alerts.size(), 1u);
  EXPECT_EQ(read.alerts[0].severity, Severity::kHigh);
}

}  // namespace
}  // namespace kaudit
