#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/unit/detectors/workload_test_util.h"

namespace kaudit {
namespace {

using testing::Case;
using testing::FieldOf;
using testing::RunDetectorOnFile;

constexpr char kId[] = "workload_defaults";

TEST(WorkloadDefaultsTest, OneAlertPerDefault) {
  // Falco's deployment: created in `default`, its template names no service account.
  auto run = RunDetectorOnFile(kId, Case(kId, "fires", "k8s_audit__create_deployment.json"));
  ASSERT_EQ(run.alerts.size(), 2u);
  EXPECT_EQ(FieldOf(run.alerts[0], "control"), "serviceAccountName");
  EXPECT_EQ(FieldOf(run.alerts[0], "service_account"), "default");
  EXPECT_EQ(FieldOf(run.alerts[1], "control"), "namespace");
  for (const Alert& a : run.alerts) EXPECT_EQ(a.severity, Severity::kLow);
  // Another namespace list: only the service account is reported.
  auto other = RunDetectorOnFile(kId, Case(kId, "fires", "k8s_audit__create_deployment.json"),
                                 {{"namespaces", "[sandbox]"}});
  ASSERT_EQ(other.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(other.alerts[0], "control"), "serviceAccountName");
}

TEST(WorkloadDefaultsTest, ThePodOfAControllerIsJudgedThroughItsWorkload) {
  // The same pod: quiet when the replicaset controller creates it, reported when a person does.
  EXPECT_TRUE(
      RunDetectorOnFile(kId, Case(kId, "quiet", "k8s_audit__create_nginx_pod_unprivileged.json"))
          .alerts.empty());
  auto run =
      RunDetectorOnFile(kId, Case(kId, "fires", "constructed_pod_run_by_user_as_default.json"));
  ASSERT_EQ(run.alerts.size(), 2u);
  EXPECT_NE(run.alerts[0].message.find("minikube-user created"), std::string::npos)
      << run.alerts[0].message;
}

}  // namespace
}  // namespace kaudit
