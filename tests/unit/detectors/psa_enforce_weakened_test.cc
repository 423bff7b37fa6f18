#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/unit/detectors/workload_test_util.h"

namespace kaudit {
namespace {

using testing::Case;
using testing::FieldOf;
using testing::RunDetectorOnFile;

constexpr char kId[] = "psa_enforce_weakened";

TEST(PsaEnforceWeakenedTest, SetToPrivilegedOrRemoved) {
  auto set =
      RunDetectorOnFile(kId, Case(kId, "fires", "constructed_namespace_created_privileged.json"));
  ASSERT_EQ(set.alerts.size(), 1u);
  EXPECT_EQ(set.alerts[0].severity, Severity::kMedium);
  EXPECT_EQ(FieldOf(set.alerts[0], "enforce"), "privileged");
  EXPECT_NE(set.alerts[0].message.find("dev@example.com set pod-security.kubernetes.io/"
                                       "enforce=privileged on namespace legacy (created)"),
            std::string::npos)
      << set.alerts[0].message;
  auto removed =
      RunDetectorOnFile(kId, Case(kId, "fires", "constructed_enforce_label_removed_by_patch.json"));
  ASSERT_EQ(removed.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(removed.alerts[0], "enforce"), "(removed)");
  // kube-system is ignored by default, not when the list is emptied.
  const std::string kube_system =
      Case(kId, "quiet", "constructed_kube_system_labelled_privileged.json");
  EXPECT_TRUE(RunDetectorOnFile(kId, kube_system).alerts.empty());
  EXPECT_EQ(RunDetectorOnFile(kId, kube_system, {{"ignore_namespaces", "[]"}}).alerts.size(), 1u);
}

}  // namespace
}  // namespace kaudit
