#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <vector>

namespace kaudit {

// The resources whose objects carry a pod spec: pods and the workloads with a pod template.
inline constexpr std::string_view kPodSpecResources[] = {
    "pods", "deployments", "daemonsets",   "statefulsets",          "replicasets",
    "jobs", "cronjobs",    "podtemplates", "replicationcontrollers"};

enum class ContainerKind : uint8_t { kContainer, kInit, kEphemeral };
std::string_view ContainerKindName(ContainerKind k);

// securityContext of a pod or a container (fields the Pod Security Standards read).
struct SecurityContextView {
  std::optional<bool> privileged;
  std::optional<bool> allow_privilege_escalation;
  std::optional<bool> run_as_non_root;
  std::optional<bool> read_only_root_filesystem;
  std::optional<int64_t> run_as_user;
  std::optional<int64_t> run_as_group;
  std::optional<bool> windows_host_process;
  std::string_view proc_mount;
  std::string_view seccomp_type;   // seccompProfile.type
  std::string_view apparmor_type;  // appArmorProfile.type
  bool has_se_linux_options = false;
  std::string_view se_linux_type, se_linux_user, se_linux_role;
  std::vector<std::string_view> capabilities_add;
  std::vector<std::string_view> capabilities_drop;
  std::vector<std::string_view> sysctl_names;  // pod level only
  std::vector<int64_t> supplemental_groups;    // pod level only
  void Clear();
};

struct ContainerView {
  ContainerKind kind = ContainerKind::kContainer;
  std::string_view name;
  std::string_view image;
  SecurityContextView security_context;
  bool has_security_context = false;
  std::vector<int64_t> host_ports;  // non-zero hostPort values
  bool has_limits = false;
  bool probe_has_host = false;  // any probe/lifecycle handler with a host field
  void Clear();
};

struct VolumeView {
  std::string_view name;
  std::string_view type;       // the volume source key: "hostPath", "secret", "emptyDir", ...
  std::string_view host_path;  // hostPath.path
};

// A toleration as written (spec.tolerations[]).
struct TolerationView {
  std::string_view key;     // empty with operator Exists: tolerates every taint
  std::string_view op;      // "Exists" or "Equal" (empty means Equal)
  std::string_view effect;  // empty: every effect
};

// A pod spec as written through the API: a Pod's spec or a workload's pod template.
struct PodSpecView {
  std::string_view object_kind;  // "Pod", "Deployment", "CronJob", ...
  std::string_view object_name;  // metadata.name (or generateName)
  bool host_network = false;
  bool host_pid = false;
  bool host_ipc = false;
  bool host_users_false = false;  // hostUsers: false
  std::string_view service_account_name;
  std::string_view node_name;
  std::string_view os_name;  // spec.os.name ("linux", "windows"; empty when unset)
  SecurityContextView pod_security_context;
  std::vector<ContainerView> containers;  // containers, initContainers, ephemeralContainers
  std::vector<VolumeView> volumes;
  std::vector<TolerationView> tolerations;
  // Node labels the pod requires: nodeSelector keys and the keys of the required node affinity's
  // match expressions with operator In or Exists.
  std::vector<std::string_view> required_node_labels;
  // Annotations of the pod (template) metadata with the AppArmor prefix, as key/value.
  std::vector<std::pair<std::string_view, std::string_view>> apparmor_annotations;
  void Clear();
};

// Where a Pod runs, from its metadata and status: read from pod reads and writes (the
// responseObject) and from the kubelet's pods/status writes (the requestObject), which carry
// no container lists. Strings are unescaped views valid during the event's dispatch.
struct PodStatusView {
  std::string_view name;                  // metadata.name
  std::string_view uid;                   // metadata.uid
  std::string_view node_name;             // spec.nodeName
  std::string_view host_ip;               // status.hostIP
  std::vector<std::string_view> pod_ips;  // status.podIP and status.podIPs[].ip, as written
  void Clear() {
    name = uid = node_name = host_ip = {};
    pod_ips.clear();
  }
};

// Calls f(std::string_view&) on every string view of the spec (and status), so that a copy can
// re-point them into storage it owns. Keep in step with the structs above.
template <typename F>
void ForEachStringView(SecurityContextView& c, F&& f) {
  for (std::string_view* v : {&c.proc_mount, &c.seccomp_type, &c.apparmor_type, &c.se_linux_type,
                              &c.se_linux_user, &c.se_linux_role}) {
    f(*v);
  }
  for (auto* list : {&c.capabilities_add, &c.capabilities_drop, &c.sysctl_names}) {
    for (std::string_view& v : *list) f(v);
  }
}
template <typename F>
void ForEachStringView(PodSpecView& s, F&& f) {
  for (std::string_view* v :
       {&s.object_kind, &s.object_name, &s.service_account_name, &s.node_name, &s.os_name}) {
    f(*v);
  }
  ForEachStringView(s.pod_security_context, f);
  for (ContainerView& c : s.containers) {
    f(c.name);
    f(c.image);
    ForEachStringView(c.security_context, f);
  }
  for (VolumeView& v : s.volumes) {
    f(v.name);
    f(v.type);
    f(v.host_path);
  }
  for (TolerationView& t : s.tolerations) {
    f(t.key);
    f(t.op);
    f(t.effect);
  }
  for (std::string_view& label : s.required_node_labels) f(label);
  for (auto& [key, value] : s.apparmor_annotations) {
    f(key);
    f(value);
  }
}
template <typename F>
void ForEachStringView(PodStatusView& s, F&& f) {
  for (std::string_view* v : {&s.name, &s.uid, &s.node_name, &s.host_ip}) f(*v);
  for (std::string_view& v : s.pod_ips) f(v);
}

}  // namespace kaudit
