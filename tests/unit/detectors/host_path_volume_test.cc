#include <gtest/gtest.h>

#include "detectors/registry.h"
#include "tests/support/detector_harness.h"
#include "tests/unit/detectors/workload_test_util.h"

namespace kaudit {
namespace {

using testing::Case;
using testing::Corpus;
using testing::FieldOf;
using testing::RunDetectorOnFile;

constexpr char kId[] = "host_path_volume";

TEST(HostPathVolumeTest, SensitivePathIsHighAndNamesTheVolume) {
  auto run = RunDetectorOnFile(kId, Corpus("k8s_audit__create_nginx_pod_sensitive_mount.json"));
  ASSERT_EQ(run.alerts.size(), 1u);
  const Alert& a = run.alerts[0];
  EXPECT_EQ(a.severity, Severity::kHigh);
  EXPECT_EQ(FieldOf(a, "control"), "hostPath");
  EXPECT_EQ(FieldOf(a, "volume"), "etc");
  EXPECT_EQ(FieldOf(a, "path"), "/etc");
  EXPECT_EQ(FieldOf(a, "sensitive_path"), "/etc");
  EXPECT_EQ(FieldOf(a, "container"), "<none>");  // a pod-level field
  EXPECT_NE(a.message.find("sensitive hostPath volume etc (/etc)"), std::string::npos) << a.message;
  EXPECT_EQ(a.mitre, std::vector<std::string>{"T1611"});
}

TEST(HostPathVolumeTest, InsensitivePathIsMedium) {
  auto run = RunDetectorOnFile(
      kId, Case(kId, "fires", "constructed_pod_hostpath_var_log_insensitive.json"));
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(run.alerts[0].severity, Severity::kMedium);
  EXPECT_EQ(FieldOf(run.alerts[0], "sensitive_path"), "<none>");
}

TEST(HostPathVolumeTest, SpellingsSubpathsAndTemplatesAreHigh) {
  for (const char* f : {"constructed_pod_hostpath_etc_trailing_slash.json",
                        "constructed_pod_hostpath_kubelet_pki_subpath.json",
                        "constructed_cronjob_hostpath_docker_sock.json"}) {
    auto run = RunDetectorOnFile(kId, Case(kId, "fires", f));
    ASSERT_EQ(run.alerts.size(), 1u) << f;
    EXPECT_EQ(run.alerts[0].severity, Severity::kHigh) << f;
  }
  auto cron =
      RunDetectorOnFile(kId, Case(kId, "fires", "constructed_cronjob_hostpath_docker_sock.json"));
  EXPECT_EQ(cron.alerts[0].resource, "cronjobs");
}

TEST(HostPathVolumeTest, MetadataLevelIsCountedAsNotJudged) {
  auto run =
      RunDetectorOnFile(kId, Case(kId, "quiet", "constructed_sensitive_mount_metadata_level.json"));
  EXPECT_TRUE(run.alerts.empty());
  EXPECT_EQ(run.not_judged, 1u);
}

TEST(HostPathVolumeTest, SensitivePathsMustBeAbsoluteAndUnknownKeysFail) {
  std::map<std::string, DetectorParams, std::less<>> params;
  DetectorParams p("detectors.host_path_volume");
  p.SetList("sensitive_paths", {"/etc", "var/run"});
  params.emplace(kId, std::move(p));
  auto slots = BuildDetectors(std::move(params));
  ASSERT_FALSE(slots.ok());
  EXPECT_EQ(slots.status().message(),
            "detectors.host_path_volume.sensitive_paths: expected absolute paths; got 'var/run'");

  std::map<std::string, DetectorParams, std::less<>> typo;
  DetectorParams q("detectors.host_path_volume");
  q.SetList("sensitive_path", {"/etc"});
  typo.emplace(kId, std::move(q));
  auto bad = BuildDetectors(std::move(typo));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "detectors.host_path_volume.sensitive_path: unknown key");
}

}  // namespace
}  // namespace kaudit
