#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/unit/detectors/workload_test_util.h"

namespace kaudit {
namespace {

using testing::Case;
using testing::Corpus;
using testing::FieldOf;
using testing::RunDetectorOnFile;

constexpr char kId[] = "image_latest_or_untagged";

TEST(ImageLatestOrUntaggedTest, NamesOnlyTheContainerWithLatest) {
  // nginx1 runs "nginx" (untagged), mysql runs "mysql:latest": both are reported, each once.
  auto run =
      RunDetectorOnFile(kId, Corpus("k8s_audit__create_nginx_pod_privileged_2nd_container.json"));
  ASSERT_EQ(run.alerts.size(), 2u);
  EXPECT_EQ(FieldOf(run.alerts[1], "container"), "mysql");
  EXPECT_EQ(FieldOf(run.alerts[1], "tag"), "latest");
  EXPECT_EQ(FieldOf(run.alerts[1], "repository"), "docker.io/library/mysql");
  EXPECT_EQ(FieldOf(run.alerts[0], "tag"), "");
  for (const Alert& a : run.alerts) EXPECT_EQ(a.severity, Severity::kLow);
}

TEST(ImageLatestOrUntaggedTest, RegistryPortIsNotATag) {
  auto run =
      RunDetectorOnFile(kId, Case(kId, "fires", "constructed_registry_with_port_untagged.json"));
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(run.alerts[0], "repository"), "registry:5000/app");
  EXPECT_EQ(FieldOf(run.alerts[0], "image"), "registry:5000/app");
}

}  // namespace
}  // namespace kaudit
