#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::RunDetector;
using testing::RunDetectorOnFile;
using testing::SourcePath;

constexpr char kId[] = "kube_namespace_serviceaccount";

TEST(KubeNamespaceServiceAccountTest, NamespacesAreConfigurable) {
  std::string path = SourcePath("tests/data/falco/k8s_audit__create_serviceaccount.json");
  EXPECT_TRUE(RunDetectorOnFile(kId, path).alerts.empty());
  auto r = RunDetectorOnFile(kId, path, {{"namespaces", "[default]"}});
  ASSERT_EQ(r.alerts.size(), 1u);
  EXPECT_EQ(r.alerts[0].severity, Severity::kMedium);
}

}  // namespace
}  // namespace kaudit
