#include "src/parse/object_parser.h"

#include <gtest/gtest.h>

#include "src/parse/event_reader.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using ::kaudit::testing::ParseString;
using ::kaudit::testing::ReadFile;
using ::kaudit::testing::SourcePath;

std::string RequestObjectOf(const std::string& file) {
  auto h = ParseString(ReadFile(SourcePath(file)));
  return h.events.empty() ? "" : std::string(h.events[0].request_object);
}

TEST(K8sObjectParserTest, ReadsClusterRoleRules) {
  K8sObjectParser p;
  const K8sObjectViews* v = p.ParseCopy(
      RequestObjectOf("tests/data/falco/k8s_audit__create_cluster_role_wildcard_verbs.json"));
  ASSERT_NE(v, nullptr);
  ASSERT_TRUE(v->has_role);
  EXPECT_FALSE(v->has_binding);
  EXPECT_EQ(v->role.meta.name, "some-reader");
  ASSERT_EQ(v->role.rules.size(), 2u);
  EXPECT_EQ(v->role.rules[0].verbs, std::vector<std::string_view>{"*"});
  EXPECT_EQ(v->role.rules[0].resources, std::vector<std::string_view>{"pods"});
  EXPECT_EQ(v->role.rules[0].api_groups, std::vector<std::string_view>{""});
  EXPECT_EQ(v->role.rules[1].non_resource_urls.size(), 13u);
  EXPECT_EQ(v->role.rules[1].verbs, std::vector<std::string_view>{"get"});
}

TEST(K8sObjectParserTest, ReadsAggregationRuleAndResourceNames) {
  K8sObjectParser p;
  const K8sObjectViews* v = p.ParseCopy(
      R"({"kind":"ClusterRole","metadata":{"name":"agg","labels":{"a":"b"}},)"
      R"("aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"x":"y"}}]},)"
      R"("rules":[{"verbs":["get"],"resources":["secrets"],"resourceNames":["s1","s\u0032"]}]})");
  ASSERT_NE(v, nullptr);
  ASSERT_TRUE(v->has_role);
  EXPECT_TRUE(v->role.has_aggregation_rule);
  EXPECT_EQ(v->role.meta.kind, "ClusterRole");
  ASSERT_EQ(v->role.meta.labels.size(), 1u);
  EXPECT_EQ(v->role.meta.labels[0].second, "b");
  ASSERT_EQ(v->role.rules.size(), 1u);
  EXPECT_EQ(v->role.rules[0].resource_names, (std::vector<std::string_view>{"s1", "s2"}));
}

TEST(K8sObjectParserTest, GathersRulesFromJsonPatches) {
  K8sObjectParser p;
  const K8sObjectViews* v = p.ParseCopy(
      R"([{"op":"add","path":"/rules/0/verbs/-","value":"*"},)"
      R"({"value":["*"],"path":"/rules/1/resources","op":"replace"},)"
      R"({"op":"add","path":"/rules/-","value":{"verbs":["bind"],"resources":["clusterroles"]}},)"
      R"({"op":"remove","path":"/rules/3"},)"
      R"({"op":"add","path":"/metadata/labels/x","value":"y"}])");
  ASSERT_NE(v, nullptr);
  ASSERT_TRUE(v->has_role);
  EXPECT_TRUE(v->role.from_json_patch);
  ASSERT_EQ(v->role.rules.size(), 3u);
  EXPECT_EQ(v->role.rules[0].verbs, std::vector<std::string_view>{"*"});
  EXPECT_EQ(v->role.rules[1].resources, std::vector<std::string_view>{"*"});
  EXPECT_EQ(v->role.rules[2].verbs, std::vector<std::string_view>{"bind"});

  v = p.ParseCopy(R"([{"op":"add","path":"/metadata/labels/x","value":"y"}])");
  ASSERT_NE(v, nullptr);
  EXPECT_FALSE(v->has_role);
}

TEST(K8sObjectParserTest, ReadsBindingRoleRefAndSubjects) {
  K8sObjectParser p;
  const K8sObjectViews* v =
      p.ParseCopy(RequestObjectOf("tests/data/falco/k8s_audit__attach_cluster_admin_role.json"));
  ASSERT_NE(v, nullptr);
  ASSERT_TRUE(v->has_binding);
  EXPECT_FALSE(v->has_role);
  EXPECT_EQ(v->binding.role_ref_kind, "ClusterRole");
  EXPECT_EQ(v->binding.role_ref_name, "cluster-admin");
  EXPECT_EQ(v->binding.role_ref_api_group, "rbac.authorization.k8s.io");
  ASSERT_EQ(v->binding.subjects.size(), 1u);
  EXPECT_EQ(v->binding.subjects[0].kind, "User");
  EXPECT_EQ(v->binding.subjects[0].name, "minikube");

  v = p.ParseCopy(
      R"({"subjects":[{"kind":"ServiceAccount","name":"default","namespace":"team-a"}]})");
  ASSERT_NE(v, nullptr);
  ASSERT_TRUE(v->has_binding);
  EXPECT_EQ(v->binding.subjects[0].namespace_, "team-a");
  EXPECT_TRUE(v->binding.role_ref_name.empty());
}

TEST(K8sObjectParserTest, ReadsNetworkPolicyRules) {
  K8sObjectParser p;
  const K8sObjectViews* v = p.ParseCopy(
      R"({"kind":"NetworkPolicy","metadata":{"name":"np","namespace":"web"},"spec":{)"
      R"("podSelector":{},"policyTypes":["Ingress","Egress"],)"
      R"("ingress":[{},{"from":[]},{"from":null,"ports":[{"port":80},{"port":443}]},)"
      R"({"from":[{"podSelector":{"matchLabels":{"a":"b"}}}]}],)"
      R"("egress":[{"to":[{"namespaceSelector":{}},{"ipBlock":{"cidr":"::/0","except":["fd00::/8"]}}]},)"
      R"({"to":[{"ipBlock":{"cidr":"10.0.0.0/8"}}]}]}})");
  ASSERT_NE(v, nullptr);
  ASSERT_TRUE(v->has_network_policy);
  EXPECT_FALSE(v->has_service);
  EXPECT_FALSE(v->has_ingress);
  const NetworkPolicyView& np = v->network_policy;
  EXPECT_EQ(np.meta.name, "np");
  EXPECT_EQ(np.policy_types, (std::vector<std::string_view>{"Ingress", "Egress"}));
  ASSERT_EQ(np.ingress.size(), 4u);
  EXPECT_TRUE(np.ingress[0].any_peer);
  EXPECT_TRUE(np.ingress[1].any_peer);  // an empty list is every source too
  EXPECT_TRUE(np.ingress[2].any_peer);
  EXPECT_EQ(np.ingress[2].ports, 2u);
  EXPECT_FALSE(np.ingress[3].any_peer);
  ASSERT_EQ(np.egress.size(), 2u);
  EXPECT_FALSE(np.egress[0].any_peer);
  EXPECT_EQ(np.egress[0].open_cidr, "::/0");
  EXPECT_EQ(np.egress[1].open_cidr, "");
  // A Service's spec is not a NetworkPolicy.
  v = p.ParseCopy(R"({"spec":{"type":"NodePort","ports":[{"port":80}]}})");
  ASSERT_NE(v, nullptr);
  EXPECT_TRUE(v->has_service);
  EXPECT_FALSE(v->has_network_policy);
}

TEST(K8sObjectParserTest, ReadsConfigMapDataUnescaped) {
  K8sObjectParser p;
  const K8sObjectViews* v = p.ParseCopy(RequestObjectOf(
      "tests/data/falco/falco_website_docs__k8saudit_configmap_private_creds.json"));
  ASSERT_NE(v, nullptr);
  ASSERT_TRUE(v->has_config_map);
  ASSERT_EQ(v->config_map.data.size(), 2u);
  EXPECT_EQ(v->config_map.data[0].first, "access.properties");
  EXPECT_EQ(v->config_map.data[0].second,
            "aws_access_key_id = MY-ID\naws_secret_access_key = MY-KEY\n");
  EXPECT_EQ(v->config_map.meta.name, "my-config");
}

TEST(K8sObjectParserTest, ReadsServiceSpec) {
  K8sObjectParser p;
  const K8sObjectViews* v = p.ParseCopy(
      RequestObjectOf("tests/data/falco/k8s_audit__create_nginx_service_nodeport.json"));
  ASSERT_NE(v, nullptr);
  ASSERT_TRUE(v->has_service);
  EXPECT_EQ(v->service.type, "NodePort");
  ASSERT_EQ(v->service.ports.size(), 1u);
  EXPECT_EQ(v->service.ports[0].port, 80);
  EXPECT_EQ(v->service.ports[0].node_port, 30080);
  EXPECT_EQ(v->service.ports[0].protocol, "TCP");

  v = p.ParseCopy(
      R"({"spec":{"type":"LoadBalancer","externalIPs":["1.2.3.4"],"loadBalancerIP":"5.6.7.8",)"
      R"("loadBalancerSourceRanges":["10.0.0.0/8"]},"status":{"loadBalancer":{}}})");
  ASSERT_NE(v, nullptr);
  ASSERT_TRUE(v->has_service);
  EXPECT_EQ(v->service.external_ips, std::vector<std::string_view>{"1.2.3.4"});
  EXPECT_EQ(v->service.load_balancer_ip, "5.6.7.8");
  EXPECT_EQ(v->service.load_balancer_source_ranges.size(), 1u);
}

TEST(K8sObjectParserTest, ReadsIngressTlsAndHosts) {
  K8sObjectParser p;
  const K8sObjectViews* v = p.ParseCopy(
      R"({"kind":"Ingress","spec":{"rules":[{"host":"a.example.com","http":{}},{"host":"b"}]}})");
  ASSERT_NE(v, nullptr);
  ASSERT_TRUE(v->has_ingress);
  EXPECT_FALSE(v->ingress.has_tls);
  EXPECT_EQ(v->ingress.rule_hosts, (std::vector<std::string_view>{"a.example.com", "b"}));

  v = p.ParseCopy(R"({"spec":{"tls":[{"hosts":["a.example.com"],"secretName":"t"}],"rules":[]}})");
  ASSERT_NE(v, nullptr);
  EXPECT_TRUE(v->ingress.has_tls);
  EXPECT_EQ(v->ingress.tls_hosts, std::vector<std::string_view>{"a.example.com"});

  v = p.ParseCopy(R"({"spec":{"tls":[],"ingressClassName":"nginx"}})");
  ASSERT_NE(v, nullptr);
  EXPECT_TRUE(v->has_ingress);
  EXPECT_FALSE(v->ingress.has_tls);
}

TEST(K8sObjectParserTest, RejectsInvalidInputAndFindsNothingInOtherObjects) {
  K8sObjectParser p;
  EXPECT_EQ(p.ParseCopy(""), nullptr);
  EXPECT_EQ(p.ParseCopy("{\"rules\":[{"), nullptr);
  EXPECT_EQ(p.ParseCopy("42"), nullptr);
  const K8sObjectViews* v = p.ParseCopy(R"({"kind":"Pod","spec":{"containers":[]}})");
  ASSERT_NE(v, nullptr);
  EXPECT_FALSE(v->has_role || v->has_binding || v->has_config_map || v->has_service ||
               v->has_ingress);
}

TEST(K8sObjectParserTest, ToleratesUnexpectedTypes) {
  K8sObjectParser p;
  const K8sObjectViews* v = p.ParseCopy(
      R"({"rules":"x","subjects":[1,{"kind":7,"name":"a"}],"roleRef":[],"data":{"k":1,"s":"v"},)"
      R"("spec":{"ports":[{"nodePort":"30000"},{"nodePort":30001}],"tls":{}}})");
  ASSERT_NE(v, nullptr);
  EXPECT_TRUE(v->has_role);
  EXPECT_TRUE(v->role.rules.empty());
  ASSERT_EQ(v->binding.subjects.size(), 1u);
  EXPECT_EQ(v->binding.subjects[0].name, "a");
  EXPECT_TRUE(v->binding.subjects[0].kind.empty());
  ASSERT_EQ(v->config_map.data.size(), 1u);
  EXPECT_EQ(v->config_map.data[0].first, "s");
  ASSERT_EQ(v->service.ports.size(), 2u);
  EXPECT_EQ(v->service.ports[0].node_port, 0);
  EXPECT_EQ(v->service.ports[1].node_port, 30001);
  EXPECT_FALSE(v->ingress.has_tls);
}

class ViewHandler : public EventHandler {
 public:
  void OnEvent(AuditEvent& e) override {
    ++events;
    if (const RoleView* r = e.RequestRole()) request_rules += r->rules.size();
    if (const RoleView* r = e.ResponseRole()) response_rules += r->rules.size();
    // Cached: the same view again.
    if (e.RequestRole() != e.RequestRole()) ++mismatches;
    if (e.RequestRoleBinding() != nullptr) ++bindings;
    if (e.ResponsePodSpec() != nullptr) ++pod_specs;
  }
  void OnInvalid(InvalidReason, const Location&, std::string_view, std::string_view) override {}
  int events = 0, mismatches = 0, bindings = 0, pod_specs = 0;
  size_t request_rules = 0, response_rules = 0;
};

TEST(EventObjectCacheTest, EventsExposeLazilyParsedViewsOfBothObjects) {
  EventReader reader;
  ViewHandler h;
  reader.ParseBuffer(
      ReadFile(
          SourcePath("tests/data/falco/k8s_audit__modify_cluster_role_node_problem_detector.json")),
      "t", h);
  ASSERT_EQ(h.events, 1);
  EXPECT_EQ(h.request_rules, 3u);
  EXPECT_EQ(h.response_rules, 3u);
  EXPECT_EQ(h.mismatches, 0);
  EXPECT_EQ(h.bindings, 0);
  EXPECT_EQ(h.pod_specs, 0);
}

}  // namespace
}  // namespace kaudit
