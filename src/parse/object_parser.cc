#include "src/parse/object_parser.h"

#include "src/parse/json_util.h"

namespace kaudit {

using parse_internal::GetStringOrNull;
using parse_internal::KeyIs;
using parse_internal::KeyOf;
namespace od = simdjson::ondemand;
using Val = simdjson::simdjson_result<od::value>;

using parse_internal::ReadInt;
using parse_internal::ReadString;
using parse_internal::ReadStringList;

namespace {

void ReadStringMap(Val v, std::vector<std::pair<std::string_view, std::string_view>>& out) {
  od::object obj;
  if (v.get_object().get(obj)) return;
  for (auto f : obj) {
    std::string_view k = KeyOf(f), val;
    if (f.error()) return;
    if (!GetStringOrNull(f.value(), val)) out.emplace_back(k, val);
  }
}

void ReadMeta(Val v, ObjectMetaView& meta) {
  od::object obj;
  if (v.get_object().get(obj)) return;
  for (auto f : obj) {
    std::string_view k = KeyOf(f);
    if (KeyIs(k, "name")) {
      ReadString(f.value(), meta.name);
    } else if (KeyIs(k, "generateName")) {
      if (meta.name.empty()) ReadString(f.value(), meta.name);
    } else if (KeyIs(k, "namespace")) {
      ReadString(f.value(), meta.namespace_);
    } else if (KeyIs(k, "labels")) {
      ReadStringMap(f.value(), meta.labels);
    }
  }
}

// Reads one PolicyRule object; false if `v` is not an object.
bool ReadRule(Val v, PolicyRuleView& rule) {
  od::object obj;
  if (v.get_object().get(obj)) return false;
  for (auto f : obj) {
    std::string_view k = KeyOf(f);
    if (KeyIs(k, "verbs"))
      ReadStringList(f.value(), rule.verbs);
    else if (KeyIs(k, "apiGroups"))
      ReadStringList(f.value(), rule.api_groups);
    else if (KeyIs(k, "resources"))
      ReadStringList(f.value(), rule.resources);
    else if (KeyIs(k, "resourceNames"))
      ReadStringList(f.value(), rule.resource_names);
    else if (KeyIs(k, "nonResourceURLs"))
      ReadStringList(f.value(), rule.non_resource_urls);
  }
  return true;
}

void ReadRules(Val v, std::vector<PolicyRuleView>& rules) {
  od::array arr;
  if (v.get_array().get(arr)) return;
  for (auto item : arr) {
    PolicyRuleView rule;
    if (ReadRule(item, rule)) rules.push_back(std::move(rule));
  }
}

void ReadSubjects(Val v, std::vector<SubjectView>& subjects) {
  od::array arr;
  if (v.get_array().get(arr)) return;
  for (auto item : arr) {
    od::object obj;
    if (item.get_object().get(obj)) continue;
    SubjectView s;
    for (auto f : obj) {
      std::string_view k = KeyOf(f);
      if (KeyIs(k, "kind"))
        ReadString(f.value(), s.kind);
      else if (KeyIs(k, "name"))
        ReadString(f.value(), s.name);
      else if (KeyIs(k, "namespace"))
        ReadString(f.value(), s.namespace_);
      else if (KeyIs(k, "apiGroup"))
        ReadString(f.value(), s.api_group);
    }
    subjects.push_back(s);
  }
}

void ReadRoleRef(Val v, RoleBindingView& b) {
  od::object obj;
  if (v.get_object().get(obj)) return;
  for (auto f : obj) {
    std::string_view k = KeyOf(f);
    if (KeyIs(k, "kind"))
      ReadString(f.value(), b.role_ref_kind);
    else if (KeyIs(k, "name"))
      ReadString(f.value(), b.role_ref_name);
    else if (KeyIs(k, "apiGroup"))
      ReadString(f.value(), b.role_ref_api_group);
  }
}

void ReadPorts(Val v, std::vector<ServicePortView>& ports) {
  od::array arr;
  if (v.get_array().get(arr)) return;
  for (auto item : arr) {
    od::object obj;
    if (item.get_object().get(obj)) continue;
    ServicePortView p;
    for (auto f : obj) {
      std::string_view k = KeyOf(f);
      if (KeyIs(k, "name"))
        ReadString(f.value(), p.name);
      else if (KeyIs(k, "protocol"))
        ReadString(f.value(), p.protocol);
      else if (KeyIs(k, "port"))
        ReadInt(f.value(), p.port);
      else if (KeyIs(k, "nodePort"))
        ReadInt(f.value(), p.node_port);
    }
    ports.push_back(p);
  }
}

// spec.tls of an Ingress: [{hosts: [...], secretName: ...}].
void ReadTls(Val v, IngressView& ing) {
  od::array arr;
  if (v.get_array().get(arr)) return;
  for (auto item : arr) {
    ing.has_tls = true;
    od::object obj;
    if (item.get_object().get(obj)) continue;
    for (auto f : obj) {
      if (KeyIs(KeyOf(f), "hosts")) ReadStringList(f.value(), ing.tls_hosts);
    }
  }
}

void ReadIngressRules(Val v, IngressView& ing) {
  od::array arr;
  if (v.get_array().get(arr)) return;
  for (auto item : arr) {
    od::object obj;
    if (item.get_object().get(obj)) continue;
    for (auto f : obj) {
      if (KeyIs(KeyOf(f), "host")) {
        std::string_view h;
        ReadString(f.value(), h);
        ing.rule_hosts.push_back(h);
      }
    }
  }
}

// spec.ingress[].from or spec.egress[].to of a NetworkPolicy (`peers_key` names which).
void ReadNetworkPolicyRules(Val v, std::string_view peers_key,
                            std::vector<NetworkPolicyRuleView>& rules) {
  od::array arr;
  if (v.get_array().get(arr)) return;
  for (auto item : arr) {
    od::object obj;
    if (item.get_object().get(obj)) continue;
    NetworkPolicyRuleView rule;
    rule.any_peer = true;  // until a peer list says otherwise
    for (auto f : obj) {
      std::string_view k = KeyOf(f);
      if (KeyIs(k, "ports")) {
        od::array ports;
        if (f.value().get_array().get(ports)) continue;
        for (auto p : ports) {
          (void)p;
          ++rule.ports;
        }
      } else if (k == peers_key) {
        od::array peers;
        if (f.value().get_array().get(peers)) continue;  // null: no peers given
        for (auto peer : peers) {
          rule.any_peer = false;
          od::object po;
          if (peer.get_object().get(po)) continue;
          for (auto pf : po) {
            if (!KeyIs(KeyOf(pf), "ipBlock")) continue;
            od::object block;
            if (pf.value().get_object().get(block)) continue;
            for (auto bf : block) {
              if (!KeyIs(KeyOf(bf), "cidr")) continue;
              std::string_view cidr;
              ReadString(bf.value(), cidr);
              if (cidr == "0.0.0.0/0" || cidr == "::/0") rule.open_cidr = cidr;
            }
          }
        }
      }
    }
    rules.push_back(rule);
  }
}

// The spec of a Service, an Ingress, a CertificateSigningRequest or a NetworkPolicy: each key
// goes to the view of the kind that has it and sets that view's has_* flag; the caller decides
// which applies by the object's resource.
void ReadSpec(Val v, K8sObjectViews& out) {
  od::object obj;
  if (v.get_object().get(obj)) return;
  ServiceView& svc = out.service;
  IngressView& ing = out.ingress;
  bool service_keys = false, ingress_keys = false;
  for (auto f : obj) {
    std::string_view k = KeyOf(f);
    if (KeyIs(k, "type")) {
      ReadString(f.value(), svc.type);
      service_keys = true;
    } else if (KeyIs(k, "ports")) {
      ReadPorts(f.value(), svc.ports);
      service_keys = true;
    } else if (KeyIs(k, "externalIPs")) {
      ReadStringList(f.value(), svc.external_ips);
      service_keys = true;
    } else if (KeyIs(k, "loadBalancerIP")) {
      ReadString(f.value(), svc.load_balancer_ip);
      service_keys = true;
    } else if (KeyIs(k, "loadBalancerSourceRanges")) {
      ReadStringList(f.value(), svc.load_balancer_source_ranges);
      service_keys = true;
    } else if (KeyIs(k, "selector")) {
      ReadStringMap(f.value(), svc.selector);
      service_keys = true;
    } else if (KeyIs(k, "clusterIP") || KeyIs(k, "clusterIPs") ||
               KeyIs(k, "externalTrafficPolicy") || KeyIs(k, "externalName")) {
      service_keys = true;
    } else if (KeyIs(k, "tls")) {
      ReadTls(f.value(), ing);
      ingress_keys = true;
    } else if (KeyIs(k, "rules")) {
      ReadIngressRules(f.value(), ing);
      ingress_keys = true;
    } else if (KeyIs(k, "ingressClassName") || KeyIs(k, "defaultBackend") || KeyIs(k, "backend")) {
      ingress_keys = true;
    } else if (KeyIs(k, "request")) {
      ReadString(f.value(), out.csr.request);
      out.has_csr = true;
    } else if (KeyIs(k, "signerName")) {
      ReadString(f.value(), out.csr.signer_name);
      out.has_csr = true;
    } else if (KeyIs(k, "usages")) {
      ReadStringList(f.value(), out.csr.usages);
      out.has_csr = true;
    } else if (KeyIs(k, "username")) {
      ReadString(f.value(), out.csr.username);
    } else if (KeyIs(k, "podSelector")) {
      out.has_network_policy = true;
    } else if (KeyIs(k, "policyTypes")) {
      ReadStringList(f.value(), out.network_policy.policy_types);
      out.has_network_policy = true;
    } else if (KeyIs(k, "ingress")) {
      ReadNetworkPolicyRules(f.value(), "from", out.network_policy.ingress);
      out.has_network_policy = true;
    } else if (KeyIs(k, "egress")) {
      ReadNetworkPolicyRules(f.value(), "to", out.network_policy.egress);
      out.has_network_policy = true;
    }
  }
  out.network_policy.has_spec = out.has_network_policy;
  out.csr.has_spec = out.has_csr;
  svc.has_spec = service_keys;
  ing.has_spec = ingress_keys;
  out.has_service = service_keys;
  out.has_ingress = ingress_keys;
}

// status.conditions[].type of a CertificateSigningRequest (Approved, Denied, Failed).
void ReadConditionTypes(Val v, std::vector<std::string_view>& types) {
  od::array arr;
  if (v.get_array().get(arr)) return;
  for (auto item : arr) {
    od::object o;
    if (item.get_object().get(o)) continue;
    for (auto f : o) {
      if (!KeyIs(KeyOf(f), "type")) continue;
      std::string_view t;
      if (!GetStringOrNull(f.value(), t) && !t.empty()) types.push_back(t);
    }
  }
}

// status.loadBalancer.ingress[].ip/hostname of a Service: an external address was assigned.
// status.conditions of a CSR: its approval.
void ReadStatus(Val v, K8sObjectViews& out) {
  ServiceView& svc = out.service;
  od::object obj;
  if (v.get_object().get(obj)) return;
  for (auto f : obj) {
    if (KeyIs(KeyOf(f), "conditions")) {
      ReadConditionTypes(f.value(), out.csr.condition_types);
      continue;
    }
    if (!KeyIs(KeyOf(f), "loadBalancer")) continue;
    od::object lb;
    if (f.value().get_object().get(lb)) return;
    for (auto lf : lb) {
      if (!KeyIs(KeyOf(lf), "ingress")) continue;
      od::array arr;
      if (lf.value().get_array().get(arr)) return;
      for (auto item : arr) {
        od::object io;
        if (item.get_object().get(io)) continue;
        for (auto iof : io) {
          std::string_view ik = KeyOf(iof);
          if (KeyIs(ik, "ip") || KeyIs(ik, "hostname")) {
            std::string_view a;
            ReadString(iof.value(), a);
            if (!a.empty() && svc.load_balancer_ip.empty()) svc.load_balancer_ip = a;
          }
        }
      }
    }
  }
}

// Applies one RFC 6902 operation to the role view when it touches /rules.
void ReadJsonPatchOp(od::object op, RoleView& role, bool& touched) {
  std::string_view path, kind;
  for (auto f : op) {
    std::string_view k = KeyOf(f);
    if (KeyIs(k, "path"))
      ReadString(f.value(), path);
    else if (KeyIs(k, "op"))
      ReadString(f.value(), kind);
  }
  if (path.substr(0, 6) != "/rules") return;
  touched = true;
  if (kind != "add" && kind != "replace") return;
  if (op.reset().error()) return;
  // "/rules", "/rules/N" or "/rules/-", "/rules/N/<field>", "/rules/N/<field>/M".
  std::string_view rest = path.substr(6);
  std::string_view field;
  if (!rest.empty()) {
    size_t slash = rest.find('/', 1);
    if (slash != std::string_view::npos) {
      field = rest.substr(slash + 1);
      size_t s2 = field.find('/');
      if (s2 != std::string_view::npos) field = field.substr(0, s2);
    }
  }
  for (auto f : op) {
    if (!KeyIs(KeyOf(f), "value")) continue;
    Val v = f.value();
    if (rest.empty()) {
      ReadRules(v, role.rules);
      return;
    }
    if (field.empty()) {
      PolicyRuleView rule;
      if (ReadRule(v, rule)) role.rules.push_back(std::move(rule));
      return;
    }
    PolicyRuleView rule;
    std::vector<std::string_view>* list = nullptr;
    if (field == "verbs")
      list = &rule.verbs;
    else if (field == "resources")
      list = &rule.resources;
    else if (field == "apiGroups")
      list = &rule.api_groups;
    else if (field == "resourceNames")
      list = &rule.resource_names;
    else if (field == "nonResourceURLs")
      list = &rule.non_resource_urls;
    if (list == nullptr) return;
    std::string_view s;
    if (!GetStringOrNull(v, s)) {
      list->push_back(s);
    } else {
      ReadStringList(v, *list);
    }
    role.rules.push_back(std::move(rule));
    return;
  }
}

}  // namespace

void K8sObjectViews::Clear() {
  role = RoleView();
  binding = RoleBindingView();
  config_map = ConfigMapView();
  service = ServiceView();
  ingress = IngressView();
  csr = CertificateSigningRequestView();
  network_policy = NetworkPolicyView();
  meta = ObjectMetaView();
  has_meta = false;
  has_role = has_binding = has_config_map = has_service = has_ingress = has_csr = false;
  has_network_policy = false;
}

class K8sObjectParser::Impl {
 public:
  od::parser parser;
  K8sObjectViews views;
  simdjson::padded_string copy;
};

K8sObjectParser::K8sObjectParser() : impl_(std::make_unique<Impl>()) {}
K8sObjectParser::~K8sObjectParser() = default;

const K8sObjectViews* K8sObjectParser::Parse(std::string_view json, size_t capacity) {
  K8sObjectViews& v = impl_->views;
  v.Clear();
  if (json.empty() || capacity < json.size() + simdjson::SIMDJSON_PADDING) return nullptr;
  od::document doc;
  if (impl_->parser.iterate(simdjson::padded_string_view(json.data(), json.size(), capacity))
          .get(doc)) {
    return nullptr;
  }
  od::json_type type;
  if (doc.type().get(type)) return nullptr;
  if (type == od::json_type::array) {
    od::array arr;
    if (doc.get_array().get(arr)) return nullptr;
    bool touched = false;
    for (auto item : arr) {
      od::object op;
      if (item.get_object().get(op)) continue;
      ReadJsonPatchOp(op, v.role, touched);
    }
    v.has_role = touched;
    v.role.from_json_patch = true;
    return &v;
  }
  od::object root;
  if (doc.get_object().get(root)) return nullptr;
  ObjectMetaView meta;
  for (auto f : root) {
    if (f.error()) return nullptr;
    std::string_view k = KeyOf(f);
    if (KeyIs(k, "kind")) {
      ReadString(f.value(), meta.kind);
    } else if (KeyIs(k, "metadata")) {
      ReadMeta(f.value(), meta);
      v.has_meta = true;
    } else if (KeyIs(k, "rules")) {
      v.has_role = true;
      ReadRules(f.value(), v.role.rules);
    } else if (KeyIs(k, "aggregationRule")) {
      v.has_role = true;
      v.role.has_aggregation_rule = true;
    } else if (KeyIs(k, "roleRef")) {
      v.has_binding = true;
      ReadRoleRef(f.value(), v.binding);
    } else if (KeyIs(k, "subjects")) {
      v.has_binding = true;
      ReadSubjects(f.value(), v.binding.subjects);
    } else if (KeyIs(k, "data") || KeyIs(k, "binaryData")) {
      v.has_config_map = true;
      ReadStringMap(f.value(), v.config_map.data);
    } else if (KeyIs(k, "spec")) {
      ReadSpec(f.value(), v);
    } else if (KeyIs(k, "status")) {
      ReadStatus(f.value(), v);
    }
  }
  v.role.meta = meta;
  v.binding.meta = meta;
  v.config_map.meta = meta;
  v.service.meta = meta;
  v.csr.meta = meta;
  v.network_policy.meta = meta;
  v.ingress.meta = meta;
  v.meta = std::move(meta);
  return &v;
}

const K8sObjectViews* K8sObjectParser::ParseCopy(std::string_view json) {
  impl_->copy = simdjson::padded_string(json);
  return Parse(std::string_view(impl_->copy.data(), impl_->copy.size()),
               impl_->copy.size() + simdjson::SIMDJSON_PADDING);
}

const K8sObjectViews* EventObjectCache::Request() {
  if (!request_done_) {
    request_done_ = true;
    request_views_ =
        request_.empty() ? nullptr : request_parser_.Parse(request_, buffer_end_ - request_.data());
  }
  return request_views_;
}

const K8sObjectViews* EventObjectCache::Response() {
  if (!response_done_) {
    response_done_ = true;
    response_views_ = response_.empty()
                          ? nullptr
                          : response_parser_.Parse(response_, buffer_end_ - response_.data());
  }
  return response_views_;
}

#define KAUDIT_VIEW_ACCESSOR(Side, Name, Type, member, flag) \
  const Type* EventObjectCache::Side##Name() {               \
    const K8sObjectViews* v = Side();                        \
    return v != nullptr && v->flag ? &v->member : nullptr;   \
  }
KAUDIT_VIEW_ACCESSOR(Request, Role, RoleView, role, has_role)
KAUDIT_VIEW_ACCESSOR(Response, Role, RoleView, role, has_role)
KAUDIT_VIEW_ACCESSOR(Request, RoleBinding, RoleBindingView, binding, has_binding)
KAUDIT_VIEW_ACCESSOR(Response, RoleBinding, RoleBindingView, binding, has_binding)
KAUDIT_VIEW_ACCESSOR(Request, ConfigMap, ConfigMapView, config_map, has_config_map)
KAUDIT_VIEW_ACCESSOR(Response, ConfigMap, ConfigMapView, config_map, has_config_map)
KAUDIT_VIEW_ACCESSOR(Request, Service, ServiceView, service, has_service)
KAUDIT_VIEW_ACCESSOR(Response, Service, ServiceView, service, has_service)
KAUDIT_VIEW_ACCESSOR(Request, Ingress, IngressView, ingress, has_ingress)
KAUDIT_VIEW_ACCESSOR(Response, Ingress, IngressView, ingress, has_ingress)
KAUDIT_VIEW_ACCESSOR(Request, Csr, CertificateSigningRequestView, csr, has_csr)
KAUDIT_VIEW_ACCESSOR(Response, Csr, CertificateSigningRequestView, csr, has_csr)
KAUDIT_VIEW_ACCESSOR(Request, NetworkPolicy, NetworkPolicyView, network_policy, has_network_policy)
KAUDIT_VIEW_ACCESSOR(Response, NetworkPolicy, NetworkPolicyView, network_policy, has_network_policy)
KAUDIT_VIEW_ACCESSOR(Request, ObjectMeta, ObjectMetaView, meta, has_meta)
KAUDIT_VIEW_ACCESSOR(Response, ObjectMeta, ObjectMetaView, meta, has_meta)
#undef KAUDIT_VIEW_ACCESSOR

}  // namespace kaudit
