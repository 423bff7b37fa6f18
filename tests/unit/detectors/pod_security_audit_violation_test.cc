#include <gtest/gtest.h>

#include "absl/strings/str_replace.h"
#include "tests/support/detector_harness.h"
#include "tests/unit/detectors/workload_test_util.h"

namespace kaudit {
namespace {

using testing::Case;
using testing::FieldOf;
using testing::ReadFile;
using testing::RunDetector;

constexpr char kId[] = "pod_security_audit_violation";

TEST(PodSecurityAuditViolationTest, BaselineIsMediumRestrictedIsLow) {
  std::string ev =
      ReadFile(Case(kId, "fires", "constructed_privileged_pod_baseline_audit_violation.json"));
  auto base = RunDetector(kId, ev);
  ASSERT_EQ(base.alerts.size(), 1u);
  EXPECT_EQ(base.alerts[0].severity, Severity::kMedium);
  EXPECT_NE(FieldOf(base.alerts[0], "violations").find("baseline:latest"), std::string::npos);

  auto restricted =
      RunDetector(kId, absl::StrReplaceAll(ev, {{"baseline:latest", "restricted:latest"}}));
  ASSERT_EQ(restricted.alerts.size(), 1u);
  EXPECT_EQ(restricted.alerts[0].severity, Severity::kLow);
}

}  // namespace
}  // namespace kaudit
