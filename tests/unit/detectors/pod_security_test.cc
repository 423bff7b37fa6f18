// The shared helpers of the workload-security detectors: image references, host paths,
// capability names.
#include "detectors/common/pod_security.h"

#include <gtest/gtest.h>

namespace kaudit {
namespace {

TEST(ImageRefTest, ParsesRegistriesPortsTagsAndDigests) {
  ImageRef r = ParseImageRef("registry:5000/app:1.0");
  EXPECT_EQ(r.registry, "registry:5000");
  EXPECT_EQ(r.path, "app");
  EXPECT_EQ(r.tag, "1.0");
  EXPECT_EQ(r.repository, "registry:5000/app");
  EXPECT_EQ(r.NormalizedRepository(), "registry:5000/app");

  r = ParseImageRef("registry:5000/app");  // the port is not a tag
  EXPECT_EQ(r.registry, "registry:5000");
  EXPECT_EQ(r.tag, "");

  r = ParseImageRef("nginx");
  EXPECT_EQ(r.registry, "");
  EXPECT_EQ(r.tag, "");
  EXPECT_EQ(r.NormalizedRepository(), "docker.io/library/nginx");

  r = ParseImageRef("bitnami/redis:7.2");
  EXPECT_EQ(r.registry, "");  // "bitnami" has no dot or port: a Docker Hub namespace
  EXPECT_EQ(r.tag, "7.2");
  EXPECT_EQ(r.NormalizedRepository(), "docker.io/bitnami/redis");

  r = ParseImageRef("localhost/app:dev");
  EXPECT_EQ(r.registry, "localhost");
  EXPECT_EQ(r.NormalizedRepository(), "localhost/app");

  r = ParseImageRef("registry.k8s.io/coredns/coredns:v1.11.1@sha256:abcd");
  EXPECT_EQ(r.registry, "registry.k8s.io");
  EXPECT_EQ(r.path, "coredns/coredns");
  EXPECT_EQ(r.tag, "v1.11.1");
  EXPECT_EQ(r.digest, "sha256:abcd");

  r = ParseImageRef("my.registry:443/team/app@sha256:ffff");
  EXPECT_EQ(r.registry, "my.registry:443");
  EXPECT_EQ(r.path, "team/app");
  EXPECT_EQ(r.tag, "");
  EXPECT_EQ(r.digest, "sha256:ffff");

  EXPECT_EQ(ParseImageRef("index.docker.io/library/nginx:1").NormalizedRepository(),
            "docker.io/library/nginx");
}

TEST(HostPathTest, NormalizesLexically) {
  EXPECT_EQ(NormalizeHostPath("/etc/"), "/etc");
  EXPECT_EQ(NormalizeHostPath("//etc/./kubernetes//"), "/etc/kubernetes");
  EXPECT_EQ(NormalizeHostPath("/var/log/../../etc"), "/etc");
  EXPECT_EQ(NormalizeHostPath("/../.."), "/");
  EXPECT_EQ(NormalizeHostPath("/"), "/");
}

TEST(HostPathTest, MatchesEntriesSubpathsAndParentsButRootOnlyItself) {
  std::vector<std::string> s = {"/", "/etc", "/var/run/docker.sock", "/var/lib/kubelet"};
  EXPECT_EQ(SensitiveHostPathMatch("/", s), "/");
  EXPECT_EQ(SensitiveHostPathMatch("/etc", s), "/etc");
  EXPECT_EQ(SensitiveHostPathMatch("/etc/kubernetes/pki", s), "/etc");
  EXPECT_EQ(SensitiveHostPathMatch("/var/run", s), "/var/run/docker.sock");  // a parent
  EXPECT_EQ(SensitiveHostPathMatch("/var", s), "/var/run/docker.sock");
  EXPECT_EQ(SensitiveHostPathMatch("/var/lib/kubelet/pods", s), "/var/lib/kubelet");
  EXPECT_EQ(SensitiveHostPathMatch("/var/log", s), "");
  EXPECT_EQ(SensitiveHostPathMatch("/etcetera", s), "");  // not under /etc
  EXPECT_EQ(SensitiveHostPathMatch("/var/lib/kube", s), "");
}

TEST(CapabilityTest, NormalizesPrefixAndCase) {
  EXPECT_EQ(NormalizeCapability("cap_sys_admin"), "SYS_ADMIN");
  EXPECT_EQ(NormalizeCapability("SYS_TIME"), "SYS_TIME");
}

}  // namespace
}  // namespace kaudit
