#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::Fields;

using testing::RunDetectorOnFile;
using testing::SourcePath;

constexpr char kId[] = "rbac_sensitive_role";

TEST(RbacSensitiveRoleTest, NamesTheRule) {
  auto r = RunDetectorOnFile(kId, SourcePath("tests/data/detectors/rbac_sensitive_role/fires/"
                                             "constructed_merge_patch_adds_nodes_proxy.json"));
  ASSERT_EQ(r.alerts.size(), 1u);
  EXPECT_EQ(r.alerts[0].severity, Severity::kHigh);
  EXPECT_EQ(Fields(r.alerts[0]), "rule=verbs=[get] apiGroups=[\"\"] resources=[nodes/proxy];");
  EXPECT_NE(r.alerts[0].message.find("kubelet API"), std::string::npos);
}

}  // namespace
}  // namespace kaudit
