#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::RunDetectorOnFile;
using testing::SourcePath;

constexpr char kId[] = "rbac_binding_changed";

TEST(RbacBindingChangedTest, InfoWithRoleAndSubjects) {
  auto r = RunDetectorOnFile(
      kId, SourcePath("tests/data/falco/k8s_audit__attach_cluster_admin_role.json"));
  ASSERT_EQ(r.alerts.size(), 1u);
  EXPECT_EQ(r.alerts[0].severity, Severity::kInfo);
  EXPECT_EQ(r.alerts[0].message,
            "minikube-user created ClusterRoleBinding some-reader-binding (ClusterRole "
            "cluster-admin to User minikube)");
}

}  // namespace
}  // namespace kaudit
