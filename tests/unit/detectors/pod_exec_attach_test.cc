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

constexpr char kId[] = "pod_exec_attach";

TEST(PodExecAttachTest, DecodesCommandAndContainer) {
  auto run = RunDetectorOnFile(kId, SourcePath("tests/data/falco/k8s_audit__exec_pod.json"));
  ASSERT_EQ(run.alerts.size(), 1u);
  const Alert& a = run.alerts[0];
  EXPECT_EQ(a.severity, Severity::kMedium);
  EXPECT_EQ(FieldOf(a, "command"), "bash");
  EXPECT_EQ(FieldOf(a, "container"), "nginx1");
  EXPECT_EQ(a.user, "minikube-user");
  EXPECT_EQ(a.namespace_, "default");
  EXPECT_EQ(a.name, "nginx-deployment-7998647bdf-phvq7");
}

TEST(PodExecAttachTest, MultiArgumentCommandsAreJoined) {
  std::string ev =
      absl::StrReplaceAll(ReadFile(SourcePath("tests/data/falco/k8s_audit__exec_pod.json")),
                          {{"command=bash",
                            "command=cat\\u0026command=%2Fvar%2Frun%2Fsecrets%2Fkubernetes.io%"
                            "2Fserviceaccount%2Ftoken"}});
  auto run = RunDetector(kId, ev);
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(run.alerts[0], "command"),
            "cat /var/run/secrets/kubernetes.io/serviceaccount/token");
}

TEST(PodExecAttachTest, OneAlertPerRequestAcrossStages) {
  auto run = RunDetectorOnFile(kId, SourcePath("tests/data/detectors/pod_exec_attach/fires/"
                                               "constructed_exec_started_then_complete.json"));
  EXPECT_EQ(run.events, 2u);
  EXPECT_EQ(run.alerts.size(), 1u);
}

TEST(PodExecAttachTest, KubeSystemIsHigh) {
  std::string ev =
      absl::StrReplaceAll(ReadFile(SourcePath("tests/data/falco/k8s_audit__exec_pod.json")),
                          {{"\"namespace\":\"default\"", "\"namespace\":\"kube-system\""}});
  auto run = RunDetector(kId, ev);
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(run.alerts[0].severity, Severity::kHigh);
}

}  // namespace
}  // namespace kaudit
