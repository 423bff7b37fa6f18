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

constexpr char kId[] = "pod_in_kube_namespace";

TEST(PodInKubeNamespaceTest, NamesNamespaceAndImages) {
  auto run = RunDetectorOnFile(kId, Corpus("k8s_audit__create_pod_kube_system_namespace.json"));
  ASSERT_EQ(run.alerts.size(), 1u);
  const Alert& a = run.alerts[0];
  EXPECT_EQ(a.severity, Severity::kMedium);
  EXPECT_EQ(FieldOf(a, "namespace"), "kube-system");
  EXPECT_EQ(FieldOf(a, "images"), "nginx");
  EXPECT_NE(a.message.find(" in kube-system: "), std::string::npos) << a.message;
}

TEST(PodInKubeNamespaceTest, OneAllowedImageDoesNotExemptAnother) {
  // Falco exempts the pod when any image is allow-listed; kaudit only when all are.
  std::string ev = ReadFile(Corpus("k8s_audit__create_pod_kube_system_namespace.json"));
  ev = absl::StrReplaceAll(
      ev, {{R"("containers":[{)",
            R"("containers":[{"name":"proxy","image":"registry.k8s.io/kube-proxy:v1.30.0"},{)"}});
  auto run = RunDetector(kId, ev);
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(run.alerts[0], "images").rfind("registry.k8s.io/kube-proxy:v1.30.0,", 0), 0u);
}

TEST(PodInKubeNamespaceTest, MetadataLevelIsStillReported) {
  auto run =
      RunDetectorOnFile(kId, Case(kId, "fires", "constructed_kube_public_pod_metadata_level.json"));
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(run.alerts[0], "images"), "<not visible>");
}

}  // namespace
}  // namespace kaudit
