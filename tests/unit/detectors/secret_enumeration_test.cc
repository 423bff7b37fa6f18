#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::ReadFile;
using testing::RunDetector;
using testing::RunDetectorOnFile;
using testing::SourcePath;

constexpr char kId[] = "secret_enumeration";
const char kTwelve[] =
    "tests/data/detectors/secret_enumeration/fires/"
    "constructed_one_user_reads_12_secrets_in_2m.jsonl";

TEST(SecretEnumerationTest, FiresOnceAtTheThresholdWithEvidence) {
  auto run = RunDetectorOnFile(kId, SourcePath(kTwelve));
  ASSERT_EQ(run.alerts.size(), 1u);  // 12 reads, threshold 10: one alert, then quiet
  const Alert& a = run.alerts[0];
  EXPECT_EQ(a.count, 10u);
  EXPECT_EQ(a.audit_id_count, 10u);
  EXPECT_EQ(a.user, "minikube-user");
  EXPECT_EQ(a.window_end - a.window_start, absl::Seconds(90));
  EXPECT_NE(a.message.find("read 10 distinct secrets"), std::string::npos);
}

TEST(SecretEnumerationTest, ThresholdAndWindowAreTunable) {
  EXPECT_EQ(RunDetectorOnFile(kId, SourcePath(kTwelve), {{"threshold", "13"}}).alerts.size(), 0u);
  EXPECT_EQ(RunDetectorOnFile(kId, SourcePath(kTwelve), {{"threshold", "5"}}).alerts.size(), 1u);
  // 12 reads 10 s apart do not fit in a 30 s window.
  EXPECT_EQ(RunDetectorOnFile(kId, SourcePath(kTwelve), {{"window", "30s"}}).alerts.size(), 0u);
}

TEST(SecretEnumerationTest, StateIsBoundedUnderACardinalityAttackAndHotKeysStillFire) {
  // 20,000 identities each read one secret, then one identity reads 12 distinct secrets.
  std::string tmpl = ReadFile(SourcePath(kTwelve));
  std::string first = tmpl.substr(0, tmpl.find('\n'));
  std::string data;
  for (int i = 0; i < 20000; ++i) {
    std::string ev = first;
    size_t u = ev.find("\"username\":\"minikube-user\"");
    ev.replace(u, 26, absl::StrCat("\"username\":\"user-", i, "\""));
    size_t id = ev.find("\"auditID\":\"");
    ev.replace(id + 11, 36, absl::StrCat("10000000-0000-4000-8000-", 100000000000LL + i));
    absl::StrAppend(&data, ev, "\n");
  }
  absl::StrAppend(&data, tmpl);
  auto run = RunDetector(kId, data, {{"max_keys", "1000"}});
  EXPECT_GE(run.state_evictions, 19000u);
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(run.alerts[0].user, "minikube-user");
}

}  // namespace
}  // namespace kaudit
