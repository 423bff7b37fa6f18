#pragma once

// Helpers of the fuzz entry points: read every byte a view points at, so that ASan reports a
// view that outlives its buffer.
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "src/event/audit_event.h"
#include "src/event/k8s_objects.h"
#include "src/event/pod_spec.h"
#include "src/parse/object_parser.h"

namespace kaudit::fuzz {

class Toucher {
 public:
  void operator()(std::string_view s) {
    for (char c : s) sum_ += static_cast<unsigned char>(c);
    sum_ += s.size();
  }
  void operator()(std::span<const std::string_view> list) {
    for (std::string_view s : list) (*this)(s);
  }
  void operator()(const std::vector<std::string_view>& list) {
    for (std::string_view s : list) (*this)(s);
  }
  uint64_t sum() const { return sum_; }

 private:
  uint64_t sum_ = 0;
};

inline void TouchEvent(const AuditEvent& e, Toucher& t) {
  t(e.audit_id);
  t(e.verb_text);
  t(e.request_uri);
  t(e.user_agent);
  t(e.username);
  t(e.user_uid);
  t(e.groups);
  t(e.user_extra);
  t(e.impersonated_user);
  t(e.impersonated_groups);
  t(e.source_ips);
  t(e.object.resource);
  t(e.object.subresource);
  t(e.object.namespace_);
  t(e.object.name);
  t(e.object.api_group);
  t(e.object.api_version);
  t(e.object.uid);
  t(e.response_status);
  t(e.response_reason);
  t(e.decision);
  t(e.authz_reason);
  t(e.pod_security_audit_violations);
  t(e.request_object);
  t(e.response_object);
  t(e.raw);
}

inline void TouchPodSpec(const PodSpecView* p, Toucher& t) {
  if (p == nullptr) return;
  t(p->object_kind);
  t(p->object_name);
  t(p->service_account_name);
  t(p->node_name);
  t(p->os_name);
  for (const ContainerView& c : p->containers) {
    t(c.name);
    t(c.image);
  }
  for (const VolumeView& v : p->volumes) {
    t(v.name);
    t(v.type);
    t(v.host_path);
  }
  for (const auto& [k, v] : p->apparmor_annotations) {
    t(k);
    t(v);
  }
}

inline void TouchObjects(const K8sObjectViews* o, Toucher& t) {
  if (o == nullptr) return;
  for (const PolicyRuleView& r : o->role.rules) {
    t(r.verbs);
    t(r.api_groups);
    t(r.resources);
    t(r.resource_names);
    t(r.non_resource_urls);
  }
  t(o->binding.role_ref_kind);
  t(o->binding.role_ref_name);
  for (const SubjectView& s : o->binding.subjects) {
    t(s.kind);
    t(s.name);
    t(s.namespace_);
  }
  for (const auto& [k, v] : o->config_map.data) {
    t(k);
    t(v);
  }
  t(o->service.type);
  t(o->service.external_ips);
  t(o->service.load_balancer_ip);
  t(o->ingress.tls_hosts);
  t(o->ingress.rule_hosts);
}

// Sink for the sums (a fuzz harness's only global: keeps the reads from being optimised out).
inline volatile uint64_t g_sink = 0;

}  // namespace kaudit::fuzz
