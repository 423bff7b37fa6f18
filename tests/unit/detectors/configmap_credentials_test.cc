#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::Fields;

using testing::RunDetector;
using testing::RunDetectorOnFile;
using testing::SourcePath;

constexpr char kId[] = "configmap_credentials";

TEST(ConfigMapCredentialsTest, EveryFalcoVariantFiresOnceWithTheKey) {
  auto r = RunDetectorOnFile(
      kId, SourcePath("tests/data/falco/k8s_audit__create_configmap_sensitive_values.json"));
  ASSERT_EQ(r.alerts.size(), 6u);
  for (const auto& a : r.alerts) {
    EXPECT_EQ(a.severity, Severity::kMedium);
    EXPECT_NE(Fields(a).find("key=access.properties"), std::string::npos);
  }
}

TEST(ConfigMapCredentialsTest, KeyMaterialIsHigh) {
  auto r = RunDetectorOnFile(
      kId,
      SourcePath(
          "tests/data/detectors/configmap_credentials/fires/constructed_private_key_in_data.json"));
  ASSERT_EQ(r.alerts.size(), 1u);
  EXPECT_EQ(r.alerts[0].severity, Severity::kHigh);
}

TEST(ConfigMapCredentialsTest, ValuePatternsAreConfigurable) {
  auto r = RunDetectorOnFile(kId, SourcePath("tests/data/falco/k8s_audit__create_configmap.json"),
                             {{"value_patterns", "[color\\.good]"}});
  EXPECT_EQ(r.alerts.size(), 1u);
}

}  // namespace
}  // namespace kaudit
