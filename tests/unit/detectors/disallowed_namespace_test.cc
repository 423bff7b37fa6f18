#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::RunDetector;
using testing::RunDetectorOnFile;
using testing::SourcePath;

constexpr char kId[] = "disallowed_namespace";

TEST(DisallowedNamespaceTest, LowSeverityAndConfigurableList) {
  std::string path = SourcePath("tests/data/falco/k8s_audit__minikube_creates_namespace_foo.json");
  auto r = RunDetectorOnFile(kId, path);
  ASSERT_EQ(r.alerts.size(), 1u);
  EXPECT_EQ(r.alerts[0].severity, Severity::kLow);
  EXPECT_TRUE(RunDetectorOnFile(kId, path, {{"allowed_namespaces", "[fo+]"}}).alerts.empty());
}

}  // namespace
}  // namespace kaudit
