#pragma once

#include <memory>
#include <string_view>

#include "src/event/audit_event.h"
#include "src/event/k8s_objects.h"
#include "src/parse/pod_spec_parser.h"

namespace kaudit {

// Everything the RBAC, ConfigMap, Service, Ingress, CSR and NetworkPolicy views need from one
// object, read in a
// single On-Demand pass. Which views are present depends on the fields found, not on `kind`
// (patches usually carry no kind).
struct K8sObjectViews {
  RoleView role;
  RoleBindingView binding;
  ConfigMapView config_map;
  ServiceView service;
  IngressView ingress;
  CertificateSigningRequestView csr;
  NetworkPolicyView network_policy;
  ObjectMetaView meta;  // the object's metadata, whatever its kind (has_meta)
  bool has_role = false, has_binding = false, has_config_map = false;
  bool has_service = false, has_ingress = false, has_csr = false, has_network_policy = false;
  bool has_meta = false;
  void Clear();
};

class K8sObjectParser {
 public:
  K8sObjectParser();
  ~K8sObjectParser();
  // `json` must have SIMDJSON_PADDING (64) readable bytes after it within `capacity`.
  // Returns nullptr when `json` is not a JSON object or JSON patch array. The result is
  // valid until the next call.
  const K8sObjectViews* Parse(std::string_view json, size_t capacity);
  // Copies `json` into a padded buffer first (tests, tools).
  const K8sObjectViews* ParseCopy(std::string_view json);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// LazyObjects for the reader: pod specs from LazyObjectCache, the other views from
// K8sObjectParser; each side (request/response) is parsed at most once per event.
class EventObjectCache final : public LazyObjects {
 public:
  void Reset(std::string_view request, std::string_view response, const char* buffer_end) {
    pods_.Reset(request, response, buffer_end);
    request_ = request;
    response_ = response;
    buffer_end_ = buffer_end;
    request_done_ = response_done_ = false;
    request_views_ = response_views_ = nullptr;
  }
  // See LazyObjectCache::PresetRequest/PresetResponse.
  void PresetRequestPod(const ParsedPodObject& parsed) { pods_.PresetRequest(parsed); }
  void PresetResponsePod(const ParsedPodObject& parsed) { pods_.PresetResponse(parsed); }
  const ParsedPodObject* preset_request_pod() const { return pods_.preset_request(); }
  const ParsedPodObject* preset_response_pod() const { return pods_.preset_response(); }
  const PodSpecView* RequestPodSpec() override { return pods_.RequestPodSpec(); }
  const PodSpecView* ResponsePodSpec() override { return pods_.ResponsePodSpec(); }
  const PodStatusView* RequestPodStatus() override { return pods_.RequestPodStatus(); }
  const PodStatusView* ResponsePodStatus() override { return pods_.ResponsePodStatus(); }
  const RoleView* RequestRole() override;
  const RoleView* ResponseRole() override;
  const RoleBindingView* RequestRoleBinding() override;
  const RoleBindingView* ResponseRoleBinding() override;
  const ConfigMapView* RequestConfigMap() override;
  const ConfigMapView* ResponseConfigMap() override;
  const ServiceView* RequestService() override;
  const ServiceView* ResponseService() override;
  const IngressView* RequestIngress() override;
  const IngressView* ResponseIngress() override;
  const CertificateSigningRequestView* RequestCsr() override;
  const CertificateSigningRequestView* ResponseCsr() override;
  const NetworkPolicyView* RequestNetworkPolicy() override;
  const NetworkPolicyView* ResponseNetworkPolicy() override;
  const ObjectMetaView* RequestObjectMeta() override;
  const ObjectMetaView* ResponseObjectMeta() override;

 private:
  const K8sObjectViews* Request();
  const K8sObjectViews* Response();

  LazyObjectCache pods_;
  K8sObjectParser request_parser_, response_parser_;
  std::string_view request_, response_;
  const char* buffer_end_ = nullptr;
  bool request_done_ = false, response_done_ = false;
  const K8sObjectViews* request_views_ = nullptr;
  const K8sObjectViews* response_views_ = nullptr;
};

}  // namespace kaudit
