#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::Fields;

using testing::RunDetector;
using testing::RunDetectorOnFile;
using testing::SourcePath;

constexpr char kId[] = "service_exposed";

TEST(ServiceExposedTest, NodePortEvidenceAndExternalIpsSeverity) {
  auto r = RunDetectorOnFile(
      kId, SourcePath("tests/data/falco/k8s_audit__create_nginx_service_nodeport.json"));
  ASSERT_EQ(r.alerts.size(), 1u);
  EXPECT_EQ(r.alerts[0].severity, Severity::kMedium);
  EXPECT_EQ(Fields(r.alerts[0]), "type=NodePort;node_ports=30080;");
  auto ext =
      RunDetectorOnFile(kId, SourcePath("tests/data/detectors/service_exposed/fires/"
                                        "constructed_create_service_with_external_ips.json"));
  ASSERT_EQ(ext.alerts.size(), 1u);
  EXPECT_EQ(ext.alerts[0].severity, Severity::kHigh);
  auto lb = RunDetectorOnFile(kId,
                              SourcePath("tests/data/detectors/service_exposed/fires/"
                                         "constructed_create_loadbalancer_service.json"),
                              {{"load_balancer", "false"}});
  EXPECT_TRUE(lb.alerts.empty());
}

}  // namespace
}  // namespace kaudit
