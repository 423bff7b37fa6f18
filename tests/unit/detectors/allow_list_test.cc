// The allow keys every detector takes beside users/groups/namespaces: source_cidrs (all of an
// event's source IPs inside) and, for the pod spec detectors, images (an alert's container
// image, or every container image of the written spec).
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_replace.h"
#include "detectors/common/matcher.h"
#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::FieldOf;
using testing::ReadFile;
using testing::RunDetector;
using testing::SourcePath;

// A real pod create (Falco's corpus): containers nginx (image "nginx") and mysql (image
// "mysql:latest", privileged), from source IP ::1.
std::string TwoContainerPod() {
  return ReadFile(
      SourcePath("tests/data/falco/k8s_audit__create_nginx_pod_privileged_2nd_container.json"));
}

TEST(ImageRepositoryTest, DropsTagAndDigestButNotARegistryPort) {
  EXPECT_EQ(ImageRepository("nginx"), "nginx");
  EXPECT_EQ(ImageRepository("mysql:latest"), "mysql");
  EXPECT_EQ(ImageRepository("registry:5000/team/app:1.0"), "registry:5000/team/app");
  EXPECT_EQ(ImageRepository("registry:5000/team/app"), "registry:5000/team/app");
  EXPECT_EQ(ImageRepository("quay.io/cilium/cilium:v1.15.1@sha256:abc"), "quay.io/cilium/cilium");
  EXPECT_EQ(ImageRepository("busybox@sha256:abc"), "busybox");
}

TEST(AllowListTest, ImagesSkipTheAlertsOfAllowedContainers) {
  const std::string ev = TwoContainerPod();
  auto base = RunDetector("privileged_container", ev);
  ASSERT_EQ(base.alerts.size(), 1u);
  EXPECT_EQ(base.allowed, 0u);
  // The repository matches ("mysql" of "mysql:latest"), as does the image as written.
  for (const char* allowed : {"[mysql]", "[mysql:latest]", "[my.*]"}) {
    auto run = RunDetector("privileged_container", ev, {{"allow.images", allowed}});
    EXPECT_TRUE(run.alerts.empty()) << allowed;
    EXPECT_EQ(run.allowed, 1u) << allowed;  // the alert, counted as allowed
  }
  // The other container's image allowed: the privileged one still fires.
  auto other = RunDetector("privileged_container", ev, {{"allow.images", "[nginx]"}});
  ASSERT_EQ(other.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(other.alerts[0], "image"), "mysql:latest");
  // Full match: a prefix of the repository is not enough.
  EXPECT_EQ(RunDetector("privileged_container", ev, {{"allow.images", "[mys]"}}).alerts.size(), 1u);
}

TEST(AllowListTest, ImagesSkipPodFindingsOnlyWhenEveryContainerIsAllowed) {
  // The same pod, sharing the node's network: a finding of the pod, not of a container.
  const std::string ev = absl::StrReplaceAll(TwoContainerPod(), {{"\"spec\":{\"containers\":",
                                                                  "\"spec\":{\"hostNetwork\":true,"
                                                                  "\"containers\":"}});
  ASSERT_NE(ev, TwoContainerPod());
  ASSERT_EQ(RunDetector("host_namespaces", ev).alerts.size(), 1u);
  EXPECT_EQ(RunDetector("host_namespaces", ev, {{"allow.images", "[nginx]"}}).alerts.size(), 1u);
  auto both = RunDetector("host_namespaces", ev, {{"allow.images", "[nginx,mysql]"}});
  EXPECT_TRUE(both.alerts.empty());
  EXPECT_EQ(both.allowed, 1u);  // the event
}

TEST(AllowListTest, SourceCidrsNeedEverySourceIpInside) {
  const std::string ev = TwoContainerPod();
  EXPECT_TRUE(RunDetector("privileged_container", ev, {{"allow.source_cidrs", "[::1/128]"}})
                  .alerts.empty());
  EXPECT_EQ(RunDetector("privileged_container", ev, {{"allow.source_cidrs", "[10.0.0.0/8]"}})
                .alerts.size(),
            1u);
  // sourceIPs lists X-Forwarded-For first, which the client writes: an allowed address there
  // does not hide a request whose connection came from elsewhere.
  const std::string forwarded = absl::StrReplaceAll(
      ev, {{"\"sourceIPs\":[\"::1\"]", "\"sourceIPs\":[\"10.1.2.3\",\"::1\"]"}});
  ASSERT_NE(forwarded, ev);
  EXPECT_EQ(RunDetector("privileged_container", forwarded, {{"allow.source_cidrs", "[10.0.0.0/8]"}})
                .alerts.size(),
            1u);
  EXPECT_TRUE(
      RunDetector("privileged_container", forwarded, {{"allow.source_cidrs", "[10.0.0.0/8,::1]"}})
          .alerts.empty());
}

}  // namespace
}  // namespace kaudit
