#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::Fields;

using testing::RunDetector;
using testing::RunDetectorOnFile;
using testing::SourcePath;

constexpr char kId[] = "cluster_admin_binding";

TEST(ClusterAdminBindingTest, AdminGrantingClusterAdminIsHighWithEvidence) {
  auto r = RunDetectorOnFile(
      kId, SourcePath("tests/data/falco/k8s_audit__attach_cluster_admin_role.json"));
  ASSERT_EQ(r.alerts.size(), 1u);
  EXPECT_EQ(r.alerts[0].severity, Severity::kHigh);  // minikube-user is in system:masters
  EXPECT_EQ(r.alerts[0].name, "some-reader-binding");
  EXPECT_NE(Fields(r.alerts[0]).find("role_ref=ClusterRole cluster-admin"), std::string::npos);
  EXPECT_NE(Fields(r.alerts[0]).find("subjects=User minikube"), std::string::npos);
  EXPECT_NE(r.alerts[0].message.find("minikube-user created ClusterRoleBinding"), std::string::npos)
      << r.alerts[0].message;
}

TEST(ClusterAdminBindingTest, NonAdminOrDefaultServiceAccountIsCritical) {
  auto r = RunDetectorOnFile(
      kId, SourcePath("tests/data/detectors/cluster_admin_binding/fires/"
                      "constructed_rolebinding_admin_to_default_sa_by_developer.json"));
  ASSERT_EQ(r.alerts.size(), 1u);
  EXPECT_EQ(r.alerts[0].severity, Severity::kCritical);
  EXPECT_NE(r.alerts[0].message.find("default service account"), std::string::npos);
}

TEST(ClusterAdminBindingTest, PrivilegedRolesAreConfigurable) {
  auto r = RunDetectorOnFile(
      kId, SourcePath("tests/data/falco/k8s_audit__create_clusterrolebinding.json"),
      {{"privileged_roles", "[system:basic-user]"}});
  EXPECT_EQ(r.alerts.size(), 1u);
}

}  // namespace
}  // namespace kaudit
