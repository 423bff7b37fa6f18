#include <gtest/gtest.h>

#include "absl/strings/str_replace.h"
#include "tests/support/detector_harness.h"
#include "tests/unit/detectors/workload_test_util.h"

namespace kaudit {
namespace {

using testing::Case;
using testing::Corpus;
using testing::FieldOf;
using testing::ReadFile;
using testing::RunDetector;
using testing::RunDetectorOnFile;

constexpr char kId[] = "seccomp_not_set";

TEST(SeccompNotSetTest, OneLowAlertPerContainer) {
  auto run =
      RunDetectorOnFile(kId, Corpus("k8s_audit__create_nginx_pod_privileged_2nd_container.json"));
  ASSERT_EQ(run.alerts.size(), 2u);
  EXPECT_EQ(FieldOf(run.alerts[0], "container"), "nginx1");
  EXPECT_EQ(FieldOf(run.alerts[1], "container"), "mysql");
  EXPECT_EQ(run.alerts[0].severity, Severity::kLow);
}

TEST(SeccompNotSetTest, ContainerUnconfinedOverridesPodRuntimeDefault) {
  auto run = RunDetectorOnFile(
      kId, Case(kId, "fires", "constructed_container_unconfined_under_runtime_default_pod.json"));
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_NE(run.alerts[0].message.find("seccompProfile Unconfined"), std::string::npos);
}

TEST(SeccompNotSetTest, WindowsPodsAreExempt) {
  std::string ev = ReadFile(Corpus("k8s_audit__create_nginx_pod_unprivileged.json"));
  ev =
      absl::StrReplaceAll(ev, {{R"("containers":[)", R"("os":{"name":"windows"},"containers":[)"}});
  auto run = RunDetector(kId, ev);
  EXPECT_TRUE(run.alerts.empty());
  auto rn = RunDetector("run_as_non_root", ev);  // applies to Windows pods too
  EXPECT_FALSE(rn.alerts.empty());
}

}  // namespace
}  // namespace kaudit
