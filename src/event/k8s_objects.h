#pragma once
// Views of the Kubernetes objects (or patches of them) that RBAC, config and exposure
// detectors read from requestObject/responseObject. Plain structs of string_views pointing
// into the event being dispatched; valid only while that event is dispatched.

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace kaudit {

// Name/namespace/kind of the object, as written in the object (may be empty in patches).
struct ObjectMetaView {
  std::string_view kind;
  std::string_view name;  // metadata.name (or generateName)
  std::string_view namespace_;
  std::vector<std::pair<std::string_view, std::string_view>> labels;
};

// One rule of a Role/ClusterRole (rbac.authorization.k8s.io/v1 PolicyRule).
struct PolicyRuleView {
  std::vector<std::string_view> verbs;
  std::vector<std::string_view> api_groups;
  std::vector<std::string_view> resources;
  std::vector<std::string_view> resource_names;
  std::vector<std::string_view> non_resource_urls;
};

// A Role or ClusterRole, or a patch of one. For JSON patches (RFC 6902 arrays) the values
// added or replaced under /rules are gathered into `rules` (a bare value such as
// {"op":"add","path":"/rules/0/verbs/-","value":"*"} becomes a rule with just that verb) and
// `from_json_patch` is set.
struct RoleView {
  ObjectMetaView meta;
  std::vector<PolicyRuleView> rules;
  bool has_aggregation_rule = false;  // aggregationRule present (rules are then computed)
  bool from_json_patch = false;
};

struct SubjectView {
  std::string_view kind;  // User, Group, ServiceAccount
  std::string_view name;
  std::string_view namespace_;
  std::string_view api_group;
};

// A RoleBinding or ClusterRoleBinding (or a merge patch of one).
struct RoleBindingView {
  ObjectMetaView meta;
  std::string_view role_ref_kind;  // Role, ClusterRole
  std::string_view role_ref_name;
  std::string_view role_ref_api_group;
  std::vector<SubjectView> subjects;
};

// A ConfigMap's data (and binaryData) entries as key/value (values unescaped).
struct ConfigMapView {
  ObjectMetaView meta;
  std::vector<std::pair<std::string_view, std::string_view>> data;
};

struct ServicePortView {
  std::string_view name;
  std::string_view protocol;
  int64_t port = 0;
  int64_t node_port = 0;  // 0 = not set
};

// A Service's spec (and status.loadBalancer ingress).
struct ServiceView {
  ObjectMetaView meta;
  std::string_view type;  // ClusterIP (empty = default), NodePort, LoadBalancer, ExternalName
  std::vector<ServicePortView> ports;
  std::vector<std::string_view> external_ips;
  std::string_view load_balancer_ip;
  std::vector<std::string_view> load_balancer_source_ranges;
  std::vector<std::pair<std::string_view, std::string_view>> selector;  // spec.selector
  bool has_spec = false;
};

// One ingress or egress rule of a NetworkPolicy, as far as it opens the selected pods up.
struct NetworkPolicyRuleView {
  // No `from` (ingress) or `to` (egress), or an empty list: every source or destination.
  bool any_peer = false;
  // A peer whose ipBlock covers every address (0.0.0.0/0 or ::/0, whatever it excepts).
  std::string_view open_cidr;
  size_t ports = 0;  // 0: every port
};

// A NetworkPolicy's spec.
struct NetworkPolicyView {
  ObjectMetaView meta;
  std::vector<std::string_view> policy_types;
  std::vector<NetworkPolicyRuleView> ingress, egress;
  bool has_spec = false;
};

// An Ingress's spec: whether TLS is configured and which hosts its rules serve.
struct IngressView {
  ObjectMetaView meta;
  bool has_tls = false;  // spec.tls present and non-empty
  std::vector<std::string_view> tls_hosts;
  std::vector<std::string_view> rule_hosts;
  bool has_spec = false;
};

// A CertificateSigningRequest (certificates.k8s.io/v1): its spec and the types of its status
// conditions (an approval writes an "Approved" condition through the approval subresource).
struct CertificateSigningRequestView {
  ObjectMetaView meta;
  std::string_view request;      // spec.request: base64 of the PEM-encoded PKCS#10 request
  std::string_view signer_name;  // spec.signerName
  std::string_view username;     // spec.username: the requester, as the API server recorded it
  std::vector<std::string_view> usages;
  std::vector<std::string_view> condition_types;  // status.conditions[].type
  bool has_spec = false;
};

}  // namespace kaudit
