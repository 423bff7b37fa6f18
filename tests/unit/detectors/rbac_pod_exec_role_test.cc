#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::Fields;

using testing::RunDetector;
using testing::RunDetectorOnFile;
using testing::SourcePath;

constexpr char kId[] = "rbac_pod_exec_role";

TEST(RbacPodExecRoleTest, ReportsTheRuleGrantingExec) {
  auto r = RunDetectorOnFile(
      kId, SourcePath("tests/data/falco/k8s_audit__create_cluster_role_pod_exec.json"));
  ASSERT_EQ(r.alerts.size(), 1u);
  EXPECT_EQ(r.alerts[0].severity, Severity::kHigh);
  EXPECT_EQ(Fields(r.alerts[0]), "rule=verbs=[get] apiGroups=[\"\"] resources=[pods/exec];");
}

}  // namespace
}  // namespace kaudit
