// deploy/apiserver/audit-policy.yaml: parses, and gives each kind of request the level kaudit's
// detectors need without ever logging secret material. Evaluates the policy as kube-apiserver
// does (first matching rule wins) for resource requests.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "tests/support/test_util.h"

namespace kaudit {
namespace {

bool ListMatches(const YAML::Node& list, const std::string& value) {
  if (!list) return true;  // absent: matches everything
  for (const auto& item : list) {
    const std::string v = item.as<std::string>();
    if (v == "*" || v == value) return true;
    // "pods/*" matches every subresource of pods.
    if (v.size() > 2 && v.compare(v.size() - 2, 2, "/*") == 0 &&
        value.compare(0, v.size() - 1, v, 0, v.size() - 1) == 0) {
      return true;
    }
  }
  return false;
}

// The level for a resource request by an ordinary user.
std::string LevelFor(const YAML::Node& policy, const std::string& group,
                     const std::string& resource, const std::string& verb) {
  for (const auto& rule : policy["rules"]) {
    if (rule["users"] || rule["userGroups"] || rule["nonResourceURLs"]) continue;
    if (!ListMatches(rule["verbs"], verb)) continue;
    if (rule["resources"]) {
      bool any = false;
      for (const auto& gr : rule["resources"]) {
        std::string g = gr["group"] ? gr["group"].as<std::string>() : "";
        if (g == group && ListMatches(gr["resources"], resource)) any = true;
      }
      if (!any) continue;
    }
    return rule["level"].as<std::string>();
  }
  return "None";
}

class AuditPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    policy_ = YAML::LoadFile(testing::SourcePath("deploy/apiserver/audit-policy.yaml"));
  }
  YAML::Node policy_;
};

TEST_F(AuditPolicyTest, ParsesAsAnAuditPolicyWithoutRequestReceived) {
  EXPECT_EQ(policy_["apiVersion"].as<std::string>(), "audit.k8s.io/v1");
  EXPECT_EQ(policy_["kind"].as<std::string>(), "Policy");
  std::vector<std::string> omit = policy_["omitStages"].as<std::vector<std::string>>();
  EXPECT_EQ(omit, std::vector<std::string>{"RequestReceived"});
  for (const auto& rule : policy_["rules"]) {
    std::string level = rule["level"].as<std::string>();
    EXPECT_TRUE(level == "None" || level == "Metadata" || level == "Request" ||
                level == "RequestResponse")
        << level;
  }
}

TEST_F(AuditPolicyTest, SecretMaterialOnlyAtMetadata) {
  for (const char* verb : {"get", "list", "watch", "create", "update", "patch", "delete"}) {
    EXPECT_EQ(LevelFor(policy_, "", "secrets", verb), "Metadata") << verb;
    EXPECT_EQ(LevelFor(policy_, "", "configmaps", verb), "Metadata") << verb;
  }
  EXPECT_EQ(LevelFor(policy_, "authentication.k8s.io", "tokenreviews", "create"), "Metadata");
  // The TokenRequest body (audiences, expiry) but never the issued token in the response.
  EXPECT_EQ(LevelFor(policy_, "", "serviceaccounts/token", "create"), "Request");
}

TEST_F(AuditPolicyTest, BodiesForWhatTheDetectorsParse) {
  EXPECT_EQ(LevelFor(policy_, "", "pods/exec", "create"), "Request");
  EXPECT_EQ(LevelFor(policy_, "", "pods/attach", "create"), "Request");
  EXPECT_EQ(LevelFor(policy_, "", "pods/portforward", "create"), "Request");
  for (const char* verb : {"create", "update", "patch"}) {
    EXPECT_EQ(LevelFor(policy_, "", "pods", verb), "RequestResponse") << verb;
    EXPECT_EQ(LevelFor(policy_, "", "pods/ephemeralcontainers", verb), "RequestResponse");
    EXPECT_EQ(LevelFor(policy_, "apps", "deployments", verb), "RequestResponse");
    EXPECT_EQ(LevelFor(policy_, "apps", "daemonsets", verb), "RequestResponse");
    EXPECT_EQ(LevelFor(policy_, "batch", "cronjobs", verb), "RequestResponse");
    EXPECT_EQ(LevelFor(policy_, "", "services", verb), "RequestResponse");
    EXPECT_EQ(LevelFor(policy_, "networking.k8s.io", "ingresses", verb), "RequestResponse");
    for (const char* r : {"roles", "rolebindings", "clusterroles", "clusterrolebindings"}) {
      EXPECT_EQ(LevelFor(policy_, "rbac.authorization.k8s.io", r, verb), "RequestResponse") << r;
    }
    EXPECT_EQ(LevelFor(policy_, "certificates.k8s.io", "certificatesigningrequests", verb),
              "RequestResponse");
    EXPECT_EQ(
        LevelFor(policy_, "admissionregistration.k8s.io", "mutatingwebhookconfigurations", verb),
        "RequestResponse");
    EXPECT_EQ(
        LevelFor(policy_, "admissionregistration.k8s.io", "validatingwebhookconfigurations", verb),
        "RequestResponse");
    for (const char* r : {"validatingadmissionpolicies", "validatingadmissionpolicybindings",
                          "mutatingadmissionpolicies", "mutatingadmissionpolicybindings"}) {
      EXPECT_EQ(LevelFor(policy_, "admissionregistration.k8s.io", r, verb), "RequestResponse") << r;
    }
  }
  EXPECT_EQ(
      LevelFor(policy_, "certificates.k8s.io", "certificatesigningrequests/approval", "update"),
      "RequestResponse");
  // Reads of other resources: who looked, without bodies.
  EXPECT_EQ(LevelFor(policy_, "", "pods", "get"), "Metadata");
  EXPECT_EQ(LevelFor(policy_, "", "nodes", "list"), "Metadata");
}

// events_deleted (C89) needs the deletes; every other event request is volume.
TEST_F(AuditPolicyTest, EventDeletesLoggedOtherEventRequestsNot) {
  for (const char* group : {"", "events.k8s.io"}) {
    for (const char* verb : {"delete", "deletecollection"}) {
      EXPECT_EQ(LevelFor(policy_, group, "events", verb), "Metadata") << group << " " << verb;
    }
    for (const char* verb : {"create", "update", "patch", "get", "list", "watch"}) {
      EXPECT_EQ(LevelFor(policy_, group, "events", verb), "None") << group << " " << verb;
    }
  }
}

// The guardrail-deleted detectors need at least Metadata for the deletes.
TEST_F(AuditPolicyTest, GuardrailDeletesAreLogged) {
  for (const char* verb : {"delete", "deletecollection"}) {
    EXPECT_NE(LevelFor(policy_, "", "resourcequotas", verb), "None") << verb;
    EXPECT_NE(LevelFor(policy_, "", "limitranges", verb), "None") << verb;
    EXPECT_NE(LevelFor(policy_, "networking.k8s.io", "networkpolicies", verb), "None") << verb;
  }
}

TEST_F(AuditPolicyTest, WebhookKubeconfigParses) {
  YAML::Node kc = YAML::LoadFile(testing::SourcePath("deploy/apiserver/webhook-kubeconfig.yaml"));
  EXPECT_EQ(kc["kind"].as<std::string>(), "Config");
  EXPECT_NE(kc["clusters"][0]["cluster"]["server"].as<std::string>().find("/audit"),
            std::string::npos);
  EXPECT_TRUE(kc["users"][0]["user"]["client-certificate"]);
}

}  // namespace
}  // namespace kaudit
