#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::Fields;

using testing::RunDetector;
using testing::RunDetectorOnFile;
using testing::SourcePath;

constexpr char kId[] = "rbac_wildcard_role";

TEST(RbacWildcardRoleTest, NamesTheOffendingRule) {
  auto r = RunDetectorOnFile(
      kId, SourcePath("tests/data/falco/k8s_audit__create_cluster_role_wildcard_resources.json"));
  ASSERT_EQ(r.alerts.size(), 1u);
  EXPECT_EQ(r.alerts[0].severity, Severity::kHigh);
  EXPECT_EQ(Fields(r.alerts[0]), "rule=verbs=[get, list] apiGroups=[\"\"] resources=[*];");
}

TEST(RbacWildcardRoleTest, JsonPatchAddingAWildcardVerb) {
  auto r = RunDetectorOnFile(kId, SourcePath("tests/data/detectors/rbac_wildcard_role/fires/"
                                             "constructed_json_patch_adds_wildcard_verb.json"));
  ASSERT_EQ(r.alerts.size(), 1u);
  EXPECT_NE(r.alerts[0].message.find("patched ClusterRole some-reader"), std::string::npos)
      << r.alerts[0].message;
  EXPECT_EQ(Fields(r.alerts[0]), "rule=verbs=[*];");
}

}  // namespace
}  // namespace kaudit
