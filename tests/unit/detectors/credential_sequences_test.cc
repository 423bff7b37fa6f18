// The credential sequences of DETECTIONS.md stateful #3-#5 (token_request_then_new_source,
// pod_token_used_elsewhere, csr_approved_then_used): what their fires/quiet cases
// (scripts/fixtures/catalog.py) cannot show: evidence, severities, one alert per key, bounds.
// Also the small JSON reader they use for user.extra and pod status.
#include <gtest/gtest.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "detectors/common/json_scan.h"
#include "detectors/registry.h"
#include "src/engine/state_io.h"
#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::FieldOf;
using testing::ReadFile;
using testing::RunDetector;
using testing::RunDetectorOnFile;
using testing::SourcePath;

std::string Case(const std::string& id, const std::string& kind, const std::string& name) {
  return SourcePath(
      absl::StrCat("tests/data/detectors/", id, "/", kind, "/constructed_", name, ".jsonl"));
}

TEST(JsonScanTest, FindsPathsDecodesStringsAndRejectsMalformedInput) {
  const std::string j =
      R"({"a":{"x":[1,{"y":"}"}],"b":"c\"d"},"status":{"podIP":"10.0.0.1",)"
      R"("podIPs":[{"ip":"10.0.0.1"},{"ip":"fd00::1"}]},"k\/e\u0079":["v1","v2"]})";
  EXPECT_EQ(*JsonString(*JsonFind(j, {"a", "b"})), "c\"d");
  EXPECT_EQ(*JsonString(*JsonFind(j, {"status", "podIP"})), "10.0.0.1");
  std::vector<std::string> ips;
  EXPECT_TRUE(JsonForEachElement(*JsonFind(j, {"status", "podIPs"}), [&](std::string_view el) {
    ips.push_back(*JsonString(*JsonFind(el, {"ip"})));
  }));
  EXPECT_EQ(ips, (std::vector<std::string>{"10.0.0.1", "fd00::1"}));
  EXPECT_EQ(UserExtraValue(j, "k/ey"), "v1");  // escaped key, first value
  EXPECT_EQ(UserExtraValue(j, "missing"), "");
  EXPECT_FALSE(JsonFind(j, {"a", "x", "y"}).has_value());  // x is an array
  EXPECT_FALSE(JsonFind(R"({"a":{"b":)", {"a", "b"}).has_value());
  EXPECT_FALSE(JsonFind(R"({"a":"unterminated)", {"a"}).has_value());
  EXPECT_FALSE(JsonFind("", {"a"}).has_value());
  EXPECT_EQ(UserExtraValue(R"({"k":"not-a-list"})", "k"), "");
}

TEST(TokenRequestThenNewSourceTest, NamesTheMinterAndTheNewAddressOncePerMint) {
  const std::string id = "token_request_then_new_source";
  std::string data = ReadFile(Case(id, "fires", "minted_token_used_from_new_address"));
  auto run = RunDetector(id, data);
  ASSERT_EQ(run.alerts.size(), 1u);
  const Alert& a = run.alerts[0];
  EXPECT_EQ(a.severity, Severity::kHigh);
  EXPECT_EQ(a.audit_ids.size(), 2u);  // the mint and the use
  EXPECT_EQ(FieldOf(a, "minted_by"), "alice");
  EXPECT_EQ(FieldOf(a, "mint_source_ip"), "10.0.0.5");
  EXPECT_EQ(FieldOf(a, "new_source_ip"), "203.0.113.9");
  EXPECT_EQ(FieldOf(a, "matched_by"), "timing");  // no credential ids in these events
  EXPECT_NE(a.message.find("alice minted a token for system:serviceaccount:ci:deployer"),
            std::string::npos)
      << a.message;
  // A second use from yet another address is not a second alert for the same mint.
  std::string again = data.substr(data.find('\n') + 1);
  size_t ip = again.find("203.0.113.9");
  again.replace(ip, 11, "203.0.113.10");
  size_t aid = again.find("c47a1000");
  again.replace(aid, 8, "c47a9999");
  EXPECT_EQ(RunDetector(id, data + again).alerts.size(), 1u);
  // The user-agent check is off by default; with it a new client from the minting address fires.
  std::string ua = ReadFile(Case(id, "quiet", "minted_token_used_from_minting_address"));
  EXPECT_TRUE(RunDetector(id, ua).alerts.empty());
  EXPECT_EQ(RunDetector(id, ua, {{"check_user_agent", "true"}}).alerts.size(), 1u);
  EXPECT_THROW(RunDetector(id, "", {{"max_sources", "0"}}), std::runtime_error);
}

// Kubernetes 1.29+: the mint's issued-credential-id annotation and the token's credential-id
// extra tie each request to the token it used.
TEST(TokenRequestThenNewSourceTest, JudgesOnlyTheMintedTokenWhenCredentialIdsTieThem) {
  const std::string id = "token_request_then_new_source";
  auto run = RunDetectorOnFile(id, Case(id, "fires", "minted_credential_used_from_new_address"));
  ASSERT_EQ(run.alerts.size(), 1u);
  const Alert& a = run.alerts[0];
  EXPECT_EQ(a.severity, Severity::kCritical);
  EXPECT_EQ(FieldOf(a, "matched_by"), "credential id");
  EXPECT_EQ(FieldOf(a, "credential_id"), "JTI=7c9e4a52-1d3b-4f6e-9a8b-2c5d7e1f0a34");
  EXPECT_NE(a.message.find("the minted token itself"), std::string::npos) << a.message;
  // Another token of the account from a new address first (not this mint's use), then the
  // minted token from yet another address: one alert, on the minted token's request.
  std::string other = ReadFile(Case(id, "quiet", "other_credential_used_from_new_address"));
  std::string minted = ReadFile(Case(id, "fires", "minted_credential_used_from_new_address"));
  std::string use = minted.substr(minted.find('\n') + 1);
  use.replace(use.find("203.0.113.9"), 11, "198.51.100.4");
  auto both = RunDetector(id, other + use);
  ASSERT_EQ(both.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(both.alerts[0], "new_source_ip"), "198.51.100.4");
  EXPECT_EQ(FieldOf(both.alerts[0], "matched_by"), "credential id");
  // A mint without the annotation falls back to timing: the other token's request fires.
  std::string unnamed = other;
  unnamed.replace(unnamed.find("authentication.kubernetes.io/issued-credential-id"), 14,
                  "example.com/x-");
  auto timing = RunDetector(id, unnamed);
  ASSERT_EQ(timing.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(timing.alerts[0], "matched_by"), "timing");
  EXPECT_EQ(timing.alerts[0].severity, Severity::kHigh);
}

TEST(PodTokenUsedElsewhereTest, NamesThePodItsAddressesAndOneAlertPerAddress) {
  const std::string id = "pod_token_used_elsewhere";
  std::string data = ReadFile(Case(id, "fires", "token_used_from_outside_after_pod_status"));
  auto run = RunDetector(id, data);
  ASSERT_EQ(run.alerts.size(), 1u);
  const Alert& a = run.alerts[0];
  EXPECT_EQ(a.severity, Severity::kCritical);  // a credential used from where it never is
  EXPECT_EQ(FieldOf(a, "pod"), "default/web-5c9d7-x2x4k");
  EXPECT_EQ(FieldOf(a, "pod_addresses"), "10.244.1.7,192.168.49.2");
  EXPECT_EQ(FieldOf(a, "learned_from"), "pod status");
  EXPECT_EQ(FieldOf(a, "source_ip"), "198.51.100.7");
  EXPECT_EQ(FieldOf(a, "node"), "minikube");
  EXPECT_EQ(a.audit_ids.size(), 2u);  // the use and the status that taught the address
  // The same outside address again: no second alert.
  std::string last = data.substr(data.rfind('\n', data.size() - 2) + 1);
  last.replace(last.find("c47a1000"), 8, "c47a9999");
  EXPECT_EQ(RunDetector(id, data + last).alerts.size(), 1u);
  auto tofu = RunDetectorOnFile(id, Case(id, "fires", "token_used_from_outside_after_first_use"));
  ASSERT_EQ(tofu.alerts.size(), 1u);
  EXPECT_EQ(FieldOf(tofu.alerts[0], "learned_from"), "first use of its token");
  // One pod remembered: a second pod's token evicts the first (counted).
  std::string other = ReadFile(Case(id, "fires", "token_used_from_outside_after_first_use"));
  size_t p = 0;
  while ((p = other.find("web-5c9d7-x2x4k", p)) != std::string::npos) other.replace(p, 3, "api");
  EXPECT_GT(RunDetector(id, data + other, {{"max_pods", "1"}}).state_evictions, 0u);
}

TEST(CsrApprovedThenUsedTest, NamesCreatorApproverAndFirstRequest) {
  const std::string id = "csr_approved_then_used";
  auto run = RunDetectorOnFile(id, Case(id, "fires", "approved_csr_identity_lists_secrets"));
  ASSERT_EQ(run.alerts.size(), 1u);
  const Alert& a = run.alerts[0];
  EXPECT_EQ(a.severity, Severity::kHigh);
  EXPECT_EQ(a.user, "backdoor");
  EXPECT_EQ(FieldOf(a, "created_by"), "mallory");
  EXPECT_EQ(FieldOf(a, "approved_by"), "bob");
  EXPECT_EQ(FieldOf(a, "subject"), "CN=backdoor, O=devs");
  EXPECT_EQ(a.audit_ids.size(), 3u);  // create, approval, first request
  auto self = RunDetectorOnFile(id, Case(id, "fires", "self_approved_masters_certificate_used"));
  ASSERT_EQ(self.alerts.size(), 1u);
  EXPECT_EQ(self.alerts[0].severity, Severity::kCritical);
  EXPECT_EQ(FieldOf(self.alerts[0], "self_approved"), "true");
  EXPECT_EQ(FieldOf(self.alerts[0], "privileged_subject"), "O=system:masters");
  // The kubelet's certificate approved by hand (not by the controller manager) is followed.
  EXPECT_EQ(RunDetectorOnFile(id, Case(id, "quiet", "kubelet_certificate_auto_approved"),
                              {{"ignore_approvers", "[]"}})
                .alerts.size(),
            1u);
}

// What they learned survives a restart: state records round-trip, bad records name the file.
TEST(CredentialSequencesTest, LearnedStateRoundTripsThroughLoad) {
  struct Case {
    std::string id;
    std::vector<std::vector<std::string>> records;
  };
  const std::vector<Case> cases = {
      {"pod_token_used_elsewhere",
       {{"p", "default/web", "uid-1", "minikube", "10.244.1.7,192.168.49.2", "198.51.100.7",
         "pod status", "c47a1000-0000-4000-8000-000000000001", "1717243200000000000"},
        {"n", "minikube", "192.168.49.2", "1717243200000000000"}}},
      {"token_request_then_new_source",
       {{"s", "system:serviceaccount:ci:web", "1717243200000000000", "10.1.2.3", "app"},
        {"s", "system:serviceaccount:ci:deployer", "1717243200000000000", "10.1.2.3,10.1.2.4",
         "app,kubectl", "alice", "10.0.0.5", "kubectl/v1.29.0",
         "c47a1000-0000-4000-8000-000000000002", "1717243100000000000"}}},
      // A pending mint that named its credential (written since credential ids are read).
      {"token_request_then_new_source",
       {{"s", "system:serviceaccount:ci:web", "1717243200000000000", "10.1.2.3", "app"},
        {"s", "system:serviceaccount:ci:deployer", "1717243200000000000", "10.1.2.3", "app",
         "alice", "10.0.0.5", "kubectl/v1.29.0", "c47a1000-0000-4000-8000-000000000002",
         "1717243100000000000", "JTI=7c9e4a52-1d3b-4f6e-9a8b-2c5d7e1f0a34"}}},
  };
  for (const auto& c : cases) {
    auto d = NewDetectorWithDefaults(c.id);
    ASSERT_TRUE(d.ok());
    ASSERT_TRUE((*d)->persistent()) << c.id;
    StateWriter w(c.id, 1);
    for (const auto& r : c.records) w.RecordFields(r);
    auto r = StateReader::Parse(w.Finish(), c.id, "mem");
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE((*d)->LoadState(*r).ok()) << c.id;
    EXPECT_EQ((*d)->state_entries(), 2u) << c.id;
    StateWriter out(c.id, 1);
    ASSERT_TRUE((*d)->SaveState(out).ok());
    EXPECT_EQ(out.Finish(), w.Finish()) << c.id;
    StateWriter bad(c.id, 1);
    bad.Record({"x"});
    auto rb = StateReader::Parse(bad.Finish(), c.id, "bad.state");
    ASSERT_TRUE(rb.ok());
    absl::Status s = (*NewDetectorWithDefaults(c.id))->LoadState(*rb);
    EXPECT_FALSE(s.ok()) << c.id;
    EXPECT_NE(std::string(s.message()).find("bad.state"), std::string::npos) << c.id;
  }
}

}  // namespace
}  // namespace kaudit
