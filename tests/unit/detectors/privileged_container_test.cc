#include <gtest/gtest.h>

#include "absl/strings/str_replace.h"
#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::FieldOf;

using testing::ReadFile;
using testing::RunDetector;
using testing::RunDetectorOnFile;
using testing::SourcePath;

constexpr char kId[] = "privileged_container";

TEST(PrivilegedContainerTest, NamesTheSecondContainer) {
  auto run = RunDetectorOnFile(
      kId,
      SourcePath("tests/data/falco/k8s_audit__create_nginx_pod_privileged_2nd_container.json"));
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(run.alerts[0], "container"), "mysql");
  EXPECT_EQ(FieldOf(run.alerts[0], "image"), "mysql:latest");
  // Created with generateName: the name comes from the response object.
  EXPECT_NE(run.alerts[0].message.find("nginx-deployment-544b59f8b8-ffkxm"), std::string::npos);
}

TEST(PrivilegedContainerTest, InitContainersOfWorkloadTemplatesCount) {
  auto run =
      RunDetectorOnFile(kId, SourcePath("tests/data/detectors/privileged_container/fires/"
                                        "constructed_deployment_privileged_init_container.json"));
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(run.alerts[0], "container_type"), "initContainer");
  EXPECT_EQ(FieldOf(run.alerts[0], "container"), "setup");
  EXPECT_EQ(run.alerts[0].resource, "deployments");
}

TEST(PrivilegedContainerTest, JsonPatchIsJudgedOnTheResponseObject) {
  // A JSON patch (list of operations) on a pod: the request body has no spec, the response
  // object (RequestResponse level) does.
  std::string ev =
      ReadFile(SourcePath("tests/data/falco/k8s_audit__create_nginx_pod_privileged.json"));
  size_t start = ev.find("\"requestObject\":") + 16;
  size_t end = ev.find(",\"responseObject\":");
  ev.replace(start, end - start, R"([{"op":"add","path":"/metadata/labels/x","value":"y"}])");
  ev = absl::StrReplaceAll(ev, {{"\"verb\":\"create\"", "\"verb\":\"patch\""}});
  auto run = RunDetector(kId, ev);
  EXPECT_EQ(run.alerts.size(), 1u);
}

TEST(PrivilegedContainerTest, MetadataLevelIsCountedAsNotJudged) {
  std::string ev =
      ReadFile(SourcePath("tests/data/falco/k8s_audit__create_nginx_pod_privileged.json"));
  size_t start = ev.find(",\"requestObject\":");
  size_t end = ev.rfind("}");
  ev = ev.substr(0, start) + "}";
  (void)end;
  ev = absl::StrReplaceAll(ev, {{"\"level\":\"RequestResponse\"", "\"level\":\"Metadata\""}});
  auto run = RunDetector(kId, ev);
  EXPECT_TRUE(run.alerts.empty());
  EXPECT_EQ(run.events, 1u);
  EXPECT_EQ(run.not_judged, 1u);
}

}  // namespace
}  // namespace kaudit
