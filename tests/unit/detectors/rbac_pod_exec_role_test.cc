#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::RunDetector;
using testing::RunDetectorOnFile;
using testing::SourcePath;

std::string Fields(const Alert& a) {
  std::string out;
  for (const auto& [k, v] : a.fields) out += k + "=" + v + ";";
  return out;
}

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
