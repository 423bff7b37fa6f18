#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::Fields;

using testing::RunDetector;
using testing::RunDetectorOnFile;
using testing::SourcePath;

constexpr char kId[] = "ingress_without_tls";

TEST(IngressWithoutTlsTest, NamesTheHosts) {
  auto r = RunDetectorOnFile(kId, SourcePath("tests/data/detectors/ingress_without_tls/fires/"
                                             "constructed_create_ingress_without_tls.json"));
  ASSERT_EQ(r.alerts.size(), 1u);
  EXPECT_EQ(r.alerts[0].severity, Severity::kMedium);
  EXPECT_EQ(Fields(r.alerts[0]), "hosts=[shop.example.com];");
}

}  // namespace
}  // namespace kaudit
