#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "absl/time/time.h"
#include "src/event/k8s_objects.h"
#include "src/event/pod_spec.h"

namespace kaudit {

// A string with its hash (HashText), computed once and shared by everything that hashes the same
// string (the pattern lists of many detectors match the same user name and user agent).
uint64_t HashText(std::string_view s);
struct HashedString {
  std::string_view text;
  uint64_t hash;
};

// Audit event stages (audit.k8s.io). One request yields up to four events sharing auditID.
enum class Stage : uint8_t {
  kUnknown = 0,
  kRequestReceived,
  kResponseStarted,
  kResponseComplete,
  kPanic,
};
inline constexpr int kNumStages = 5;

// Kubernetes verbs as they appear in audit events (resource verbs and, for non-resource
// URLs, lowercased HTTP methods).
enum class Verb : uint8_t {
  kOther = 0,
  kGet,
  kList,
  kWatch,
  kCreate,
  kUpdate,
  kPatch,
  kDelete,
  kDeleteCollection,
  kPost,
  kPut,
  kHead,
  kOptions,
};
inline constexpr int kNumVerbs = 13;

enum class Level : uint8_t { kUnknown = 0, kNone, kMetadata, kRequest, kRequestResponse };

std::string_view StageName(Stage s);
std::string_view VerbName(Verb v);
std::string_view LevelName(Level l);
Stage ParseStage(std::string_view s);
Verb ParseVerb(std::string_view s);
Level ParseLevel(std::string_view s);

struct ObjectRef {
  std::string_view resource, subresource, namespace_, name, api_group, api_version, uid;
};

// Lazily parsed views of requestObject/responseObject, implemented by src/parse. Results are
// cached per event and valid only during dispatch of that event.
class LazyObjects {
 public:
  virtual ~LazyObjects() = default;
  // The pod spec written by this request (a Pod, or the pod template of a Deployment,
  // DaemonSet, StatefulSet, ReplicaSet, Job, CronJob or ReplicationController);
  // nullptr when the event carries no parseable pod spec.
  virtual const PodSpecView* RequestPodSpec() = 0;
  virtual const PodSpecView* ResponsePodSpec() = 0;
  // A Pod's addresses, name, uid and node (status.podIP(s), status.hostIP): nullptr when the
  // object carries no pod or host IP. Read in the same pass as the pod spec.
  virtual const PodStatusView* RequestPodStatus() { return nullptr; }
  virtual const PodStatusView* ResponsePodStatus() { return nullptr; }
  // Role/ClusterRole rules (objects, merge patches, or JSON patches under /rules), bindings,
  // ConfigMap data, Service and Ingress specs; nullptr when the object carries none of them
  // (or there is no object). The defaults return nullptr.
  virtual const RoleView* RequestRole() { return nullptr; }
  virtual const RoleView* ResponseRole() { return nullptr; }
  virtual const RoleBindingView* RequestRoleBinding() { return nullptr; }
  virtual const RoleBindingView* ResponseRoleBinding() { return nullptr; }
  virtual const ConfigMapView* RequestConfigMap() { return nullptr; }
  virtual const ConfigMapView* ResponseConfigMap() { return nullptr; }
  virtual const ServiceView* RequestService() { return nullptr; }
  virtual const ServiceView* ResponseService() { return nullptr; }
  virtual const NetworkPolicyView* RequestNetworkPolicy() { return nullptr; }
  virtual const NetworkPolicyView* ResponseNetworkPolicy() { return nullptr; }
  // The object's metadata (name, namespace, labels) whatever its kind; a merge patch's null
  // label value (a removal) reads as an empty value.
  virtual const ObjectMetaView* RequestObjectMeta() { return nullptr; }
  virtual const ObjectMetaView* ResponseObjectMeta() { return nullptr; }
  virtual const IngressView* RequestIngress() { return nullptr; }
  virtual const IngressView* ResponseIngress() { return nullptr; }
  virtual const CertificateSigningRequestView* RequestCsr() { return nullptr; }
  virtual const CertificateSigningRequestView* ResponseCsr() { return nullptr; }
};

// A borrowed view of one audit.k8s.io/v1 (or v1beta1) Event. Every string_view points into
// the batch being parsed (or the parser's unescape buffer) and is valid only while the event
// is dispatched. Detectors copy what they must remember.
struct AuditEvent {
  std::string_view audit_id;
  Stage stage = Stage::kUnknown;
  Verb verb = Verb::kOther;
  std::string_view verb_text;  // as written, e.g. "create", "get"
  Level level = Level::kUnknown;
  std::string_view request_uri;
  std::string_view user_agent;

  std::string_view username;
  std::string_view user_uid;
  std::span<const std::string_view> groups;
  std::string_view user_extra;  // raw JSON of user.extra, parse on demand

  std::string_view impersonated_user;  // impersonatedUser.username
  std::span<const std::string_view> impersonated_groups;

  std::span<const std::string_view> source_ips;

  bool has_object_ref = false;
  ObjectRef object;

  int32_t response_code = 0;         // 0 = absent
  std::string_view response_status;  // responseStatus.status ("Failure", ...)
  std::string_view response_reason;  // responseStatus.reason ("Forbidden", ...)

  std::string_view decision;                       // annotations["authorization.k8s.io/decision"]
  std::string_view authz_reason;                   // annotations["authorization.k8s.io/reason"]
  std::string_view pod_security_audit_violations;  // pod-security.kubernetes.io/audit-violations

  absl::Time request_received = absl::InfinitePast();
  absl::Time stage_timestamp = absl::InfinitePast();  // event time

  std::string_view request_object;   // raw JSON, empty if absent
  std::string_view response_object;  // raw JSON, empty if absent
  std::string_view raw;              // the whole event as read (when known)

  // True for the event of a request on which its outcome is judged exactly once: the
  // ResponseStarted event of long-running requests (watch, exec, attach, port-forward), else
  // ResponseComplete or Panic. Set by the dispatcher.
  bool first_outcome = false;

  // DeliveryKey(*this) and ResponseStartedKey(audit_id) when the reader computed them already
  // (the parallel reader does, on its parse threads); 0 = not computed.
  uint64_t delivery_key = 0;
  uint64_t started_key = 0;
  // HashText of username and user_agent when computed already (ComputeEventKeys, or the
  // dispatcher before it hands the event to the detectors); 0 = not computed.
  uint64_t username_hash = 0;
  uint64_t user_agent_hash = 0;

  LazyObjects* lazy = nullptr;

  const PodSpecView* RequestPodSpec() const { return lazy ? lazy->RequestPodSpec() : nullptr; }
  const PodSpecView* ResponsePodSpec() const { return lazy ? lazy->ResponsePodSpec() : nullptr; }
  const PodStatusView* RequestPodStatus() const {
    return lazy ? lazy->RequestPodStatus() : nullptr;
  }
  const PodStatusView* ResponsePodStatus() const {
    return lazy ? lazy->ResponsePodStatus() : nullptr;
  }
  const RoleView* RequestRole() const { return lazy ? lazy->RequestRole() : nullptr; }
  const RoleView* ResponseRole() const { return lazy ? lazy->ResponseRole() : nullptr; }
  const RoleBindingView* RequestRoleBinding() const {
    return lazy ? lazy->RequestRoleBinding() : nullptr;
  }
  const RoleBindingView* ResponseRoleBinding() const {
    return lazy ? lazy->ResponseRoleBinding() : nullptr;
  }
  const ConfigMapView* RequestConfigMap() const {
    return lazy ? lazy->RequestConfigMap() : nullptr;
  }
  const ConfigMapView* ResponseConfigMap() const {
    return lazy ? lazy->ResponseConfigMap() : nullptr;
  }
  const ServiceView* RequestService() const { return lazy ? lazy->RequestService() : nullptr; }
  const ServiceView* ResponseService() const { return lazy ? lazy->ResponseService() : nullptr; }
  const NetworkPolicyView* RequestNetworkPolicy() const {
    return lazy ? lazy->RequestNetworkPolicy() : nullptr;
  }
  const NetworkPolicyView* ResponseNetworkPolicy() const {
    return lazy ? lazy->ResponseNetworkPolicy() : nullptr;
  }
  const ObjectMetaView* RequestObjectMeta() const {
    return lazy ? lazy->RequestObjectMeta() : nullptr;
  }
  const ObjectMetaView* ResponseObjectMeta() const {
    return lazy ? lazy->ResponseObjectMeta() : nullptr;
  }
  const IngressView* RequestIngress() const { return lazy ? lazy->RequestIngress() : nullptr; }
  const IngressView* ResponseIngress() const { return lazy ? lazy->ResponseIngress() : nullptr; }
  const CertificateSigningRequestView* RequestCsr() const {
    return lazy ? lazy->RequestCsr() : nullptr;
  }
  const CertificateSigningRequestView* ResponseCsr() const {
    return lazy ? lazy->ResponseCsr() : nullptr;
  }

  HashedString HashedUsername() const {
    return {username, username_hash != 0 ? username_hash : HashText(username)};
  }
  HashedString HashedUserAgent() const {
    return {user_agent, user_agent_hash != 0 ? user_agent_hash : HashText(user_agent)};
  }

  bool IsAnonymous() const;  // system:anonymous, system:unauthenticated group or no user
  bool HasGroup(std::string_view g) const;
  std::string_view SourceIp() const {
    return source_ips.empty() ? std::string_view() : source_ips[0];
  }
  // The identity that acted: the impersonated user when impersonating, else the user.
  std::string_view Actor() const {
    return impersonated_user.empty() ? username : impersonated_user;
  }
  bool IsOutcomeStage() const {
    return stage == Stage::kResponseStarted || stage == Stage::kResponseComplete ||
           stage == Stage::kPanic;
  }
  bool Succeeded() const { return response_code >= 100 && response_code < 400; }
};

// Identity of one delivered event, on which duplicates are dropped: the same request stage,
// written at the same time, with the same length. Re-deliveries (webhook retries, overlapping
// or copied log files) are byte-identical and collide; distinct events that reuse an auditID
// (hand-edited captures) do not.
uint64_t DeliveryKey(const AuditEvent& e);
// Key of a request's ResponseStarted event, by which its ResponseComplete is recognised as the
// end of a long-running request rather than a second outcome.
uint64_t ResponseStartedKey(std::string_view audit_id);
// Computes both, and the hashes of username and user agent, into the event (readers call it
// where work is cheaper than on the detectors' thread).
inline void ComputeEventKeys(AuditEvent& e) {
  e.delivery_key = DeliveryKey(e);
  if (e.IsOutcomeStage()) e.started_key = ResponseStartedKey(e.audit_id);
  e.username_hash = HashText(e.username);
  e.user_agent_hash = HashText(e.user_agent);
}

}  // namespace kaudit
