#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/unit/detectors/workload_test_util.h"

namespace kaudit {
namespace {

using testing::Case;
using testing::Corpus;
using testing::FieldOf;
using testing::RunDetectorOnFile;

constexpr char kId[] = "image_not_allowed";

// Falco's own cases for Create Disallowed Pod: the nginx pod fires when only the Apache image
// is allowed and is quiet when nginx is; with no list (Falco's default) nothing is judged.
TEST(ImageNotAllowedTest, FalcosCasesForCreateDisallowedPod) {
  const std::string nginx = Corpus("k8s_audit__create_nginx_pod_unprivileged.json");
  auto apache_only = RunDetectorOnFile(kId, nginx, {{"allowed_registries", "[httpd]"}});
  ASSERT_EQ(apache_only.alerts.size(), 1u);
  EXPECT_EQ(apache_only.alerts[0].severity, Severity::kMedium);
  EXPECT_EQ(FieldOf(apache_only.alerts[0], "repository"), "docker.io/library/nginx");
  EXPECT_EQ(FieldOf(apache_only.alerts[0], "container"), "nginx");
  EXPECT_TRUE(RunDetectorOnFile(kId, nginx, {{"allowed_registries", "[nginx]"}}).alerts.empty());
  auto unset = RunDetectorOnFile(kId, nginx);
  EXPECT_TRUE(unset.alerts.empty());
  EXPECT_EQ(unset.events, 0u);  // shown no event at all
}

TEST(ImageNotAllowedTest, EntriesMatchAtAPathBoundary) {
  const std::string app = Case("debug_image_pod", "quiet", "constructed_pod_alpine_based_app.json");
  // registry.example.com/team/alpine-app:2.1
  for (const char* allowed :
       {"[registry.example.com]", "[registry.example.com/]", "[registry.example.com/team]",
        "[registry.example.com/team/alpine-app]"}) {
    EXPECT_TRUE(RunDetectorOnFile(kId, app, {{"allowed_registries", allowed}}).alerts.empty())
        << allowed;
  }
  for (const char* allowed : {"[registry.example]", "[registry.example.com/te]",
                              "[registry.example.com/team/alpine]", "[docker.io]"}) {
    EXPECT_EQ(RunDetectorOnFile(kId, app, {{"allowed_registries", allowed}}).alerts.size(), 1u)
        << allowed;
  }
  // Docker Hub's short names are matched as written and as normalized.
  const std::string nginx = Corpus("k8s_audit__create_nginx_pod_unprivileged.json");
  for (const char* allowed : {"[docker.io]", "[docker.io/library]", "[docker.io/library/nginx]"}) {
    EXPECT_TRUE(RunDetectorOnFile(kId, nginx, {{"allowed_registries", allowed}}).alerts.empty())
        << allowed;
  }
}

TEST(ImageNotAllowedTest, OneAlertPerContainerOutsideTheList) {
  // An nginx container and a busybox init container; only nginx is allowed.
  auto run = RunDetectorOnFile(
      kId, Case(kId, "fires", "constructed_deployment_busybox_init_container.json"),
      {{"allowed_registries", "[nginx]"}});
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(run.alerts[0], "repository"), "docker.io/library/busybox");
}

TEST(ImageNotAllowedTest, AnEmptyEntryIsAConfigError) {
  EXPECT_THROW(RunDetectorOnFile(kId, Corpus("k8s_audit__create_nginx_pod_unprivileged.json"),
                                 {{"allowed_registries", "[registry.example.com,/]"}}),
               std::runtime_error);
}

}  // namespace
}  // namespace kaudit
