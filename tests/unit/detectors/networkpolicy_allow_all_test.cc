#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"
#include "tests/unit/detectors/workload_test_util.h"

namespace kaudit {
namespace {

using testing::Case;
using testing::FieldOf;
using testing::ReadFile;
using testing::RunDetector;
using testing::RunDetectorOnFile;

constexpr char kId[] = "networkpolicy_allow_all";

TEST(NetworkPolicyAllowAllTest, NamesTheOpenRule) {
  auto all =
      RunDetectorOnFile(kId, Case(kId, "fires", "constructed_allow_all_ingress_in_default.json"));
  ASSERT_EQ(all.alerts.size(), 1u);
  EXPECT_EQ(all.alerts[0].severity, Severity::kMedium);
  EXPECT_EQ(FieldOf(all.alerts[0], "ingress_from"), "any source");
  EXPECT_EQ(FieldOf(all.alerts[0], "egress_to"), "<none>");
  EXPECT_NE(all.alerts[0].message.find("created NetworkPolicy default/allow-all allowing ingress "
                                       "from any source on every port"),
            std::string::npos)
      << all.alerts[0].message;
  // A merge patch at Request level: judged on its body.
  auto egress =
      RunDetectorOnFile(kId, Case(kId, "fires", "constructed_egress_to_0_0_0_0_patched.json"));
  ASSERT_EQ(egress.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(egress.alerts[0], "egress_to"), "ipBlock 0.0.0.0/0");
}

TEST(NetworkPolicyAllowAllTest, JudgesTheObjectAfterTheWriteAndCountsWhatItCannotSee) {
  std::string open = ReadFile(Case(kId, "fires", "constructed_allow_all_ingress_in_default.json"));
  // The response (the policy after the write) closes the rule the request opened: quiet.
  std::string closed = open;
  const size_t resp = closed.find("\"responseObject\"");
  ASSERT_NE(resp, std::string::npos);
  const size_t rule = closed.find("\"ingress\":[{}]", resp);
  ASSERT_NE(rule, std::string::npos);
  closed.replace(rule, 14, "\"ingress\":[{\"ports\":[{\"port\":443}]}]");
  EXPECT_TRUE(RunDetector(kId, closed).alerts.empty());
  // A JSON patch without a response cannot be judged: counted.
  auto r =
      RunDetectorOnFile(kId, Case(kId, "quiet", "constructed_json_patch_without_response.json"));
  EXPECT_TRUE(r.alerts.empty());
  EXPECT_EQ(r.not_judged, 1u);
}

}  // namespace
}  // namespace kaudit
