#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::RunDetectorOnFile;
using testing::SourcePath;

constexpr char kId[] = "admission_webhook_changed";

TEST(AdmissionWebhookChangedTest, MessageSaysWhichKind) {
  auto r = RunDetectorOnFile(kId, SourcePath("tests/data/detectors/admission_webhook_changed/fires/"
                                             "constructed_delete_validating_webhook.json"));
  ASSERT_EQ(r.alerts.size(), 1u);
  EXPECT_EQ(r.alerts[0].severity, Severity::kHigh);
  EXPECT_NE(r.alerts[0].message.find("deleted validating webhook configuration policy-hook"),
            std::string::npos)
      << r.alerts[0].message;
}

}  // namespace
}  // namespace kaudit
