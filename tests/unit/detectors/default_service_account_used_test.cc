#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::RunDetectorOnFile;
using testing::SourcePath;

constexpr char kId[] = "default_service_account_used";

std::string Fires(const std::string& name) {
  return SourcePath("tests/data/detectors/default_service_account_used/fires/constructed_" + name +
                    ".jsonl");
}

TEST(DefaultServiceAccountUsedTest, MediumForASecretReadLowOtherwise) {
  auto secrets = RunDetectorOnFile(kId, Fires("default_sa_lists_secrets"));
  ASSERT_EQ(secrets.alerts.size(), 1u);
  EXPECT_EQ(secrets.alerts[0].severity, Severity::kMedium);
  EXPECT_NE(secrets.alerts[0].message.find("the default service account "
                                           "system:serviceaccount:web:default called the API "
                                           "(list secrets in namespace web, 200)"),
            std::string::npos)
      << secrets.alerts[0].message;
}

TEST(DefaultServiceAccountUsedTest, OneAlertPerServiceAccountPerWindow) {
  // A refused get, then a list 5 s later: one (low) alert, for the first.
  auto run = RunDetectorOnFile(kId, Fires("default_sa_refused_then_lists_pods_twice"));
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(run.alerts[0].severity, Severity::kLow);
  EXPECT_EQ(run.alerts[0].response_code, 403);
  // Without the window, both.
  EXPECT_EQ(RunDetectorOnFile(kId, Fires("default_sa_refused_then_lists_pods_twice"),
                              {{"repeat_window", "0s"}})
                .alerts.size(),
            2u);
}

}  // namespace
}  // namespace kaudit
