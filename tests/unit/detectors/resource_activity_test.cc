#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::RunDetector;
using testing::RunDetectorOnFile;
using testing::SourcePath;

constexpr char kId[] = "resource_activity";

TEST(ResourceActivityTest, InfoAlertsAndConfigurableResources) {
  std::string path = SourcePath("tests/data/falco/k8s_audit__create_deployment.json");
  auto r = RunDetectorOnFile(kId, path);
  ASSERT_EQ(r.alerts.size(), 1u);
  EXPECT_EQ(r.alerts[0].severity, Severity::kInfo);
  EXPECT_EQ(r.alerts[0].message, "minikube-user created deployments default/nginx-deployment");
  EXPECT_TRUE(RunDetectorOnFile(kId, path, {{"resources", "[secrets]"}}).alerts.empty());
  auto get = RunDetectorOnFile(
      kId,
      SourcePath(
          "tests/data/detectors/resource_activity/fires/constructed_secret_get_forbidden.json"));
  ASSERT_EQ(get.alerts.size(), 1u);
  EXPECT_NE(
      get.alerts[0].message.find("tried to read secrets default/example-secret (refused, 403)"),
      std::string::npos)
      << get.alerts[0].message;
}

}  // namespace
}  // namespace kaudit
