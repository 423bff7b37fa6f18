// The attack scenario (issue #3): a multi-step attack scripted as an audit log
// (scripts/make_scenario.py -> tests/data/scenario/attack.jsonl) mixed into benign traffic
// (the real audit2rbac logs of tests/data/public, retimed, plus routine constructed work).
// `kaudit replay` must raise each expected alert exactly once (by detector, actor, object)
// and nothing else of medium or higher severity.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/support/process.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::RunKaudit;
using testing::SourcePath;

// The value of "key":"..." at or after `from` in a JSON line (values here carry no quotes).
std::string Str(std::string_view line, std::string_view key, size_t from = 0) {
  std::string needle = absl::StrCat("\"", absl::string_view(key.data(), key.size()), "\":\"");
  size_t p = line.find(needle, from);
  if (p == std::string_view::npos) return "";
  p += needle.size();
  return std::string(line.substr(p, line.find('"', p) - p));
}

struct Seen {
  std::string detector, severity, actor, object, extra;
};

Seen ParseAlert(std::string_view line) {
  Seen s;
  s.detector = Str(line, "detector");
  s.severity = Str(line, "severity");
  s.actor = Str(line, "user", line.find("\"actor\":{"));
  size_t obj = line.find("\"object\":{");
  std::string_view o = line.substr(obj, line.find('}', obj) - obj);
  std::string ns = Str(o, "namespace"), name = Str(o, "name");
  s.object = ns.empty() ? name : name.empty() ? ns : absl::StrCat(ns, "/", name);
  s.extra = Str(line, "new");  // first_seen: which attribute was new
  return s;
}

TEST(ScenarioTest, EachAttackStepAlertsOnceAndBenignTrafficStaysBelowMedium) {
  auto r = RunKaudit({"replay", "--format", "json", "--no-progress", "--quiet",
                      SourcePath("tests/data/scenario/attack.jsonl")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string sa = "system:serviceaccount:ci:deployer";
  // (detector, actor, object[, detail]) -> expected count (exactly once each).
  using Key = std::tuple<std::string, std::string, std::string, std::string>;
  const std::set<Key> expected = {
      // 1. anonymous probing: the allowed pod list (a pod scan), with curl (one alert per
      // identity, client and secrets-or-not: /version, then the refused kube-system secrets)
      {"anonymous_request_allowed", "system:anonymous", "", ""},
      {"anonymous_probe", "system:anonymous", "", ""},
      {"offensive_user_agent", "system:anonymous", "", ""},
      {"offensive_user_agent", "system:anonymous", "kube-system", ""},
      // the refused kube-system secrets list is also the first refusal with curl after the
      // 24h learning period (C16; the step-4 secret reads with curl are C29, low)
      {"sensitive_access_new_terms", "system:anonymous", "kube-system", ""},
      // 2. the stolen token from a new network and a new client; it is the runner pod's bound
      // token, so also a pod token used outside its pod (first request: the rules review)
      {"first_seen", sa, "", "source_network"},
      {"first_seen", sa, "", "user_agent"},
      {"pod_token_used_elsewhere", sa, "", ""},
      // 3. permission enumeration, the stolen token driven with curl
      {"self_subject_review", sa, "", ""},
      {"offensive_user_agent", sa, "", ""},
      // 4. secret enumeration (the first read: a pod token reading secrets, with curl)
      {"secret_enumeration", sa, "", ""},
      {"secret_read_by_workload", sa, "ci/registry-creds", ""},
      {"offensive_user_agent", sa, "ci/registry-creds", ""},
      // 5. the privileged hostPath pod, the first write from the probing address
      {"privileged_container", sa, "ci/node-shell", ""},
      {"host_path_volume", sa, "ci/node-shell", ""},
      {"anonymous_then_write", sa, "ci/node-shell", ""},
      // 6. exec into it, by its creator, held open 40 minutes
      {"pod_exec_attach", sa, "ci/node-shell", ""},
      {"create_then_exec", sa, "ci/node-shell", ""},
      {"exec_session_duration", sa, "ci/node-shell", ""},
      {"exec_suspicious_command", sa, "ci/node-shell", ""},  // chroot /host
      {"first_exec_into_workload", sa, "ci/node-shell", ""},
      // 7. a sidecar implanted into ci/api
      {"workload_diff", sa, "ci/api", ""},
      // 8. secrets read added to ClusterRole ci-reader
      {"role_diff", sa, "ci-reader", ""},
      {"serviceaccount_rbac_write", sa, "ci-reader", ""},
      // 9. the cluster-admin binding and its first use
      {"cluster_admin_binding", sa, "ci-admin", ""},
      {"serviceaccount_rbac_write", sa, "ci-admin", ""},
      {"grant_then_first_use", sa, "", ""},
      {"secret_list_cluster_wide", sa, "", ""},  // the first use: all secrets listed
      // 10. events deleted
      {"events_deleted", sa, "ci", ""},
      // 11. a token minted for ci:builder and used from a third address
      {"serviceaccount_token_request", sa, "ci/builder", ""},
      {"token_request_then_new_source", "system:serviceaccount:ci:builder", "ci", ""},
      // 12. a system:masters client certificate requested, self-approved and used
      {"csr_client_certificate", sa, "backdoor", ""},          // high: the request
      {"csr_client_certificate", sa, "backdoor", "critical"},  // the approval
      {"csr_self_approval", sa, "backdoor", ""},
      {"csr_approved_then_used", "backdoor", "", ""},
  };
  std::map<Key, int> got;
  std::vector<std::string> unexpected;
  for (absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
    Seen s = ParseAlert(std::string_view(line.data(), line.size()));
    if (s.severity != "medium" && s.severity != "high" && s.severity != "critical") continue;
    std::string detail = s.detector == "first_seen" ? s.extra : "";
    if (s.detector == "csr_client_certificate" && s.severity == "critical") detail = "critical";
    Key k{s.detector, s.actor, s.object, detail};
    if (expected.count(k)) {
      ++got[k];
    } else {
      unexpected.push_back(std::string(line));
    }
  }
  for (const auto& k : expected) {
    EXPECT_EQ(got[k], 1) << std::get<0>(k) << " by " << std::get<1>(k) << " on '" << std::get<2>(k)
                         << "' " << std::get<3>(k);
  }
  for (const auto& u : unexpected) ADD_FAILURE() << "unexpected medium+ alert: " << u;
}

}  // namespace
}  // namespace kaudit
