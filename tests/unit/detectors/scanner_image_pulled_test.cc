// scanner_image_pulled: the image and pod are named, scanner vs allow-list severity, the
// scanner list and allow-list are tunable, Metadata-level event writes are counted.
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::FieldOf;
using testing::ReadFile;
using testing::RunDetector;
using testing::RunDetectorOnFile;

constexpr char kId[] = "scanner_image_pulled";

std::string Case(const std::string& kind, const std::string& name) {
  return testing::SourcePath(
      absl::StrCat("tests/data/detectors/", kId, "/", kind, "/constructed_", name, ".jsonl"));
}

TEST(ScannerImagePulledTest, NamesImagePodAndNode) {
  auto run = RunDetectorOnFile(kId, Case("fires", "kubelet_pulling_kube_hunter"));
  ASSERT_EQ(run.alerts.size(), 1u);
  const Alert& a = run.alerts[0];
  EXPECT_EQ(a.severity, Severity::kHigh);
  EXPECT_EQ(FieldOf(a, "image"), "aquasec/kube-hunter:0.6.8");
  EXPECT_EQ(FieldOf(a, "reason"), "scanner_image");
  EXPECT_EQ(FieldOf(a, "pod"), "default/kube-hunter-x7k2p");
  EXPECT_EQ(a.user, "system:node:worker-1");
  EXPECT_NE(a.message.find("security-scanner image aquasec/kube-hunter:0.6.8 for pod "
                           "default/kube-hunter-x7k2p"),
            std::string::npos)
      << a.message;
  auto v1 = RunDetectorOnFile(kId, Case("fires", "kubelet_pulling_kube_bench_events_k8s_io"));
  ASSERT_EQ(v1.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(v1.alerts[0], "image"), "docker.io/aquasec/kube-bench:v0.7.1");
  EXPECT_EQ(FieldOf(v1.alerts[0], "pod"), "default/kube-hunter-x7k2p");
}

TEST(ScannerImagePulledTest, AllowListReportsOtherImagesAtMedium) {
  const std::string nginx = Case("quiet", "kubelet_pulling_nginx");
  auto outside = RunDetectorOnFile(kId, nginx, {{"allowed_images", "[registry.corp/.*]"}});
  ASSERT_EQ(outside.alerts.size(), 1u);
  EXPECT_EQ(outside.alerts[0].severity, Severity::kMedium);
  EXPECT_EQ(FieldOf(outside.alerts[0], "reason"), "not_allow_listed");
  EXPECT_EQ(FieldOf(outside.alerts[0], "image"), "nginx:1.25");
  EXPECT_TRUE(RunDetectorOnFile(kId, nginx, {{"allowed_images", "[registry.corp/.*,nginx:.*]"}})
                  .alerts.empty());
  // A scanner stays a scanner (high) even when allow-listed images are configured.
  auto hunter = RunDetectorOnFile(kId, Case("fires", "kubelet_pulling_kube_hunter"),
                                  {{"allowed_images", "[aquasec/.*]"}});
  ASSERT_EQ(hunter.alerts.size(), 1u);
  EXPECT_EQ(hunter.alerts[0].severity, Severity::kHigh);
}

TEST(ScannerImagePulledTest, ScannerListIsTunableAndMessagesAreParsedCarefully) {
  const std::string hunter = Case("fires", "kubelet_pulling_kube_hunter");
  EXPECT_TRUE(RunDetectorOnFile(kId, hunter, {{"scanner_images", "[kube-bench]"}}).alerts.empty());
  EXPECT_EQ(RunDetectorOnFile(kId, Case("quiet", "kubelet_pulling_nginx"),
                              {{"scanner_images", "[nginx]"}})
                .alerts.size(),
            1u);
  // Old kubelets wrote `pulling image "x"` in lower case.
  std::string lower =
      absl::StrReplaceAll(ReadFile(hunter), {{"Pulling image \\\"", "pulling image \\\""}});
  ASSERT_NE(lower, ReadFile(hunter));
  EXPECT_EQ(RunDetector(kId, lower).alerts.size(), 1u);
  // A repository merely containing a scanner's name is not that scanner.
  std::string lookalike =
      absl::StrReplaceAll(ReadFile(hunter), {{"kube-hunter:", "kube-hunter-ui:"}});
  EXPECT_TRUE(RunDetector(kId, lookalike).alerts.empty());
}

TEST(ScannerImagePulledTest, EventWritesWithoutRequestObjectAreCountedNotJudged) {
  auto run = RunDetectorOnFile(kId, Case("quiet", "kube_hunter_pull_at_metadata_level"));
  EXPECT_TRUE(run.alerts.empty());
  EXPECT_EQ(run.not_judged, 1u);
  EXPECT_EQ(RunDetectorOnFile(kId, Case("fires", "kubelet_pulling_kube_hunter")).not_judged, 0u);
}

}  // namespace
}  // namespace kaudit
