#include <gtest/gtest.h>

#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::RunDetector;
using testing::RunDetectorOnFile;
using testing::SourcePath;

constexpr char kId[] = "disallowed_user";

TEST(DisallowedUserTest, LowSeverityAndConfigurableList) {
  std::string path = SourcePath("tests/data/falco/k8s_audit__some-user_creates_namespace_foo.json");
  auto r = RunDetectorOnFile(kId, path);
  ASSERT_EQ(r.alerts.size(), 1u);
  EXPECT_EQ(r.alerts[0].severity, Severity::kLow);
  EXPECT_NE(r.alerts[0].message.find("some-user"), std::string::npos);
  EXPECT_TRUE(RunDetectorOnFile(kId, path, {{"allowed_users", "[some-.*]"}}).alerts.empty());
}

TEST(DisallowedUserTest, OneAlertPerUserPerRepeatWindow) {
  std::string ev = testing::ReadFile(
      SourcePath("tests/data/falco/plugins_k8saudit_watch_test__minimal_event.json"));
  while (!ev.empty() && ev.back() == '\n') ev.pop_back();
  // The same request three times (distinct auditIDs), 1s apart by stageTimestamp.
  std::string data;
  for (int i = 0; i < 3; ++i) {
    std::string e = ev;
    e.replace(e.find("\"auditID\":\"test\""), 16, "\"auditID\":\"t" + std::to_string(i) + "\"");
    e.replace(e.find("00:00:01.000000Z"), 16, "00:00:0" + std::to_string(i + 1) + ".000000Z");
    data += e + "\n";
  }
  EXPECT_EQ(testing::RunDetector(kId, data).alerts.size(), 1u);
  EXPECT_EQ(testing::RunDetector(kId, data, {{"repeat_window", "0s"}}).alerts.size(), 3u);
  EXPECT_EQ(testing::RunDetector(kId, data, {{"repeat_window", "1s"}}).alerts.size(), 3u);
}

}  // namespace
}  // namespace kaudit
