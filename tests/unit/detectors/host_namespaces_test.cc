#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/unit/detectors/workload_test_util.h"

namespace kaudit {
namespace {

using testing::Case;
using testing::Corpus;
using testing::FieldOf;
using testing::RunDetectorOnFile;

constexpr char kId[] = "host_namespaces";

TEST(HostNamespacesTest, OneHighAlertPerSharedNamespace) {
  auto run = RunDetectorOnFile(kId, Corpus("psp__host_network_ports.json"));
  ASSERT_EQ(run.alerts.size(), 1u);
  const Alert& a = run.alerts[0];
  EXPECT_EQ(a.severity, Severity::kHigh);
  EXPECT_EQ(FieldOf(a, "control"), "hostNetwork");
  EXPECT_NE(a.message.find("system:serviceaccount:kube-system:replicaset-controller created pod "
                           "default/"),
            std::string::npos)
      << a.message;
  EXPECT_NE(a.message.find("with hostNetwork: true"), std::string::npos) << a.message;
}

TEST(HostNamespacesTest, WorkloadTemplatesAndUpdatesCount) {
  auto dep =
      RunDetectorOnFile(kId, Case(kId, "fires", "constructed_deployment_template_hostpid.json"));
  ASSERT_EQ(dep.alerts.size(), 1u);
  EXPECT_EQ(dep.alerts[0].resource, "deployments");
  EXPECT_EQ(FieldOf(dep.alerts[0], "control"), "hostPID");
  auto upd = RunDetectorOnFile(kId, Case(kId, "fires", "constructed_pod_update_hostipc.json"));
  ASSERT_EQ(upd.alerts.size(), 1u);
  EXPECT_EQ(upd.alerts[0].verb, "update");
}

TEST(HostNamespacesTest, MetadataLevelIsCountedAsNotJudged) {
  auto run =
      RunDetectorOnFile(kId, Case(kId, "quiet", "constructed_hostnetwork_pod_metadata_level.json"));
  EXPECT_TRUE(run.alerts.empty());
  EXPECT_EQ(run.not_judged, 1u);
}

}  // namespace
}  // namespace kaudit
