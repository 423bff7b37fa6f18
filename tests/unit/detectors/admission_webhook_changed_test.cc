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

// ValidatingAdmissionPolicies and their bindings are admission control too (DETECTIONS.md's
// hardening table).
TEST(AdmissionWebhookChangedTest, AdmissionPoliciesAndBindings) {
  const std::string dir = "tests/data/detectors/admission_webhook_changed/fires/";
  auto binding = RunDetectorOnFile(
      kId,
      SourcePath(dir + "constructed_patch_validating_admission_policy_binding_to_audit_only.json"));
  ASSERT_EQ(binding.alerts.size(), 1u);
  EXPECT_EQ(binding.alerts[0].severity, Severity::kMedium);  // a patch
  EXPECT_NE(binding.alerts[0].message.find(
                "patched validating admission policy binding deny-privileged-binding: admission "
                "policy for matching objects changed"),
            std::string::npos)
      << binding.alerts[0].message;
  auto policy = RunDetectorOnFile(
      kId, SourcePath(dir + "constructed_delete_validating_admission_policy.json"));
  ASSERT_EQ(policy.alerts.size(), 1u);
  EXPECT_EQ(policy.alerts[0].severity, Severity::kHigh);
  EXPECT_NE(policy.alerts[0].message.find("deleted validating admission policy deny-privileged: "
                                          "an admission policy control was removed"),
            std::string::npos)
      << policy.alerts[0].message;
}

}  // namespace
}  // namespace kaudit
