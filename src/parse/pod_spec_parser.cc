#include "src/parse/pod_spec_parser.h"

#include <algorithm>
#include <iterator>

#include "src/common/strings.h"
#include "src/parse/json_util.h"
#include "src/parse/pod_object_walk.h"

namespace kaudit {

using parse_internal::GetStringOrNull;
using parse_internal::KeyIs;
using parse_internal::KeyOf;
using parse_internal::ReadBool;
using parse_internal::ReadInt;
using parse_internal::ReadString;
using parse_internal::ReadStringList;
namespace od = simdjson::ondemand;
using Val = simdjson::simdjson_result<od::value>;

namespace {

constexpr std::string_view kAppArmorPrefix = "container.apparmor.security.beta.kubernetes.io/";

// Reads `type` from {type: ...} objects such as seccompProfile.
void ReadTypeField(Val v, std::string_view& out) {
  od::object obj;
  if (v.get_object().get(obj)) return;
  for (auto f : obj) {
    if (KeyOf(f) == "type") ReadString(f.value(), out);
  }
}

void ReadSecurityContext(Val v, SecurityContextView& sc) {
  od::object obj;
  if (v.get_object().get(obj)) return;
  for (auto f : obj) {
    std::string_view k = KeyOf(f);
    Val fv = f.value();
    if (KeyIs(k, "privileged"))
      ReadBool(fv, sc.privileged);
    else if (KeyIs(k, "allowPrivilegeEscalation"))
      ReadBool(fv, sc.allow_privilege_escalation);
    else if (KeyIs(k, "runAsNonRoot"))
      ReadBool(fv, sc.run_as_non_root);
    else if (KeyIs(k, "readOnlyRootFilesystem"))
      ReadBool(fv, sc.read_only_root_filesystem);
    else if (KeyIs(k, "runAsUser"))
      ReadInt(fv, sc.run_as_user);
    else if (KeyIs(k, "runAsGroup"))
      ReadInt(fv, sc.run_as_group);
    else if (KeyIs(k, "procMount"))
      ReadString(fv, sc.proc_mount);
    else if (KeyIs(k, "seccompProfile"))
      ReadTypeField(fv, sc.seccomp_type);
    else if (KeyIs(k, "appArmorProfile"))
      ReadTypeField(fv, sc.apparmor_type);
    else if (KeyIs(k, "seLinuxOptions")) {
      od::object se;
      if (fv.get_object().get(se)) continue;
      sc.has_se_linux_options = true;
      for (auto sf : se) {
        std::string_view sk = KeyOf(sf);
        if (KeyIs(sk, "type"))
          ReadString(sf.value(), sc.se_linux_type);
        else if (KeyIs(sk, "user"))
          ReadString(sf.value(), sc.se_linux_user);
        else if (KeyIs(sk, "role"))
          ReadString(sf.value(), sc.se_linux_role);
      }
    } else if (KeyIs(k, "capabilities")) {
      od::object caps;
      if (fv.get_object().get(caps)) continue;
      for (auto cf : caps) {
        std::string_view ck = KeyOf(cf);
        if (KeyIs(ck, "add"))
          ReadStringList(cf.value(), sc.capabilities_add);
        else if (KeyIs(ck, "drop"))
          ReadStringList(cf.value(), sc.capabilities_drop);
      }
    } else if (KeyIs(k, "windowsOptions")) {
      od::object wo;
      if (fv.get_object().get(wo)) continue;
      for (auto wf : wo) {
        if (KeyOf(wf) == "hostProcess") ReadBool(wf.value(), sc.windows_host_process);
      }
    } else if (KeyIs(k, "sysctls")) {
      od::array arr;
      if (fv.get_array().get(arr)) continue;
      for (auto item : arr) {
        od::object so;
        if (item.get_object().get(so)) continue;
        for (auto sf : so) {
          if (KeyOf(sf) == "name") {
            std::string_view name;
            ReadString(sf.value(), name);
            sc.sysctl_names.push_back(name);
          }
        }
      }
    } else if (KeyIs(k, "supplementalGroups")) {
      od::array arr;
      if (fv.get_array().get(arr)) continue;
      for (auto item : arr) {
        int64_t g;
        if (!item.get_int64().get(g)) sc.supplemental_groups.push_back(g);
      }
    }
  }
}

// True if a probe or lifecycle handler object names a host (httpGet.host / tcpSocket.host).
bool HandlerHasHost(Val v, int depth = 0) {
  od::object obj;
  if (depth > 3 || v.get_object().get(obj)) return false;
  bool found = false;
  for (auto f : obj) {
    std::string_view k = KeyOf(f);
    if (KeyIs(k, "host")) {
      std::string_view h;
      ReadString(f.value(), h);
      if (!h.empty()) found = true;
    } else if (KeyIs(k, "httpGet") || KeyIs(k, "tcpSocket") || KeyIs(k, "postStart") ||
               KeyIs(k, "preStop")) {
      if (HandlerHasHost(f.value(), depth + 1)) found = true;
    }
  }
  return found;
}

void ReadContainer(Val v, ContainerKind kind, PodSpecView& spec) {
  od::object obj;
  if (v.get_object().get(obj)) return;
  ContainerView& c = spec.containers.emplace_back();
  c.kind = kind;
  for (auto f : obj) {
    std::string_view k = KeyOf(f);
    Val fv = f.value();
    if (KeyIs(k, "name"))
      ReadString(fv, c.name);
    else if (KeyIs(k, "image"))
      ReadString(fv, c.image);
    else if (KeyIs(k, "securityContext")) {
      c.has_security_context = true;
      ReadSecurityContext(fv, c.security_context);
    } else if (KeyIs(k, "ports")) {
      od::array arr;
      if (fv.get_array().get(arr)) continue;
      for (auto item : arr) {
        od::object po;
        if (item.get_object().get(po)) continue;
        for (auto pf : po) {
          if (KeyOf(pf) == "hostPort") {
            int64_t p;
            if (!pf.value().get_int64().get(p) && p != 0) c.host_ports.push_back(p);
          }
        }
      }
    } else if (KeyIs(k, "resources")) {
      od::object ro;
      if (fv.get_object().get(ro)) continue;
      for (auto rf : ro) {
        if (KeyOf(rf) == "limits") {
          od::object lo;
          if (!rf.value().get_object().get(lo)) {
            for (auto lf : lo) {
              (void)lf;
              c.has_limits = true;
            }
          }
        }
      }
    } else if (KeyIs(k, "livenessProbe") || KeyIs(k, "readinessProbe") ||
               KeyIs(k, "startupProbe") || KeyIs(k, "lifecycle")) {
      if (HandlerHasHost(fv)) c.probe_has_host = true;
    }
  }
}

void ReadVolume(Val v, PodSpecView& spec) {
  od::object obj;
  if (v.get_object().get(obj)) return;
  VolumeView& vol = spec.volumes.emplace_back();
  for (auto f : obj) {
    std::string_view k = KeyOf(f);
    if (KeyIs(k, "name")) {
      ReadString(f.value(), vol.name);
    } else if (!k.empty()) {
      vol.type = k;
      if (KeyIs(k, "hostPath")) {
        od::object hp;
        if (f.value().get_object().get(hp)) continue;
        for (auto hf : hp) {
          if (KeyOf(hf) == "path") ReadString(hf.value(), vol.host_path);
        }
      }
    }
  }
}

// `uid` is set for the top-level metadata only (a pod template has none).
void ReadMetadata(Val v, PodSpecView& spec, std::string_view* uid) {
  const bool top = uid != nullptr;
  od::object obj;
  if (v.get_object().get(obj)) return;
  for (auto f : obj) {
    std::string_view k = KeyOf(f);
    if (top && KeyIs(k, "name"))
      ReadString(f.value(), spec.object_name);
    else if (top && KeyIs(k, "uid"))
      ReadString(f.value(), *uid);
    else if (top && KeyIs(k, "generateName") && spec.object_name.empty()) {
      ReadString(f.value(), spec.object_name);
    } else if (KeyIs(k, "annotations")) {
      od::object ann;
      if (f.value().get_object().get(ann)) continue;
      for (auto af : ann) {
        std::string_view ak;
        if (af.unescaped_key().get(ak)) continue;
        if (StartsWith(ak, kAppArmorPrefix)) {
          std::string_view val;
          ReadString(af.value(), val);
          spec.apparmor_annotations.emplace_back(ak.substr(kAppArmorPrefix.size()), val);
        }
      }
    }
  }
}

// Reads a spec object; descends into template / jobTemplate. Returns true if container
// lists were found.
// spec.tolerations[]: key, operator, effect.
void ReadTolerations(Val v, PodSpecView& spec) {
  od::array arr;
  if (v.get_array().get(arr)) return;
  for (auto item : arr) {
    od::object obj;
    if (item.get_object().get(obj)) continue;
    TolerationView& t = spec.tolerations.emplace_back();
    for (auto f : obj) {
      std::string_view k = KeyOf(f);
      if (KeyIs(k, "key"))
        ReadString(f.value(), t.key);
      else if (KeyIs(k, "operator"))
        ReadString(f.value(), t.op);
      else if (KeyIs(k, "effect"))
        ReadString(f.value(), t.effect);
    }
  }
}

// spec.nodeSelector's keys.
void ReadNodeSelector(Val v, PodSpecView& spec) {
  od::object obj;
  if (v.get_object().get(obj)) return;
  for (auto f : obj) {
    std::string_view k = KeyOf(f);
    if (!k.empty()) spec.required_node_labels.push_back(k);
  }
}

// The keys of spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
// .nodeSelectorTerms[].matchExpressions[] whose operator is In or Exists.
void ReadRequiredNodeAffinity(Val v, PodSpecView& spec) {
  auto member = [](Val parent, std::string_view name, Val& out) {
    od::object obj;
    if (parent.get_object().get(obj)) return false;
    for (auto f : obj) {
      if (KeyOf(f) == name) {
        out = f.value();
        return true;
      }
    }
    return false;
  };
  Val node_affinity, required, terms;
  if (!member(v, "nodeAffinity", node_affinity) ||
      !member(node_affinity, "requiredDuringSchedulingIgnoredDuringExecution", required) ||
      !member(required, "nodeSelectorTerms", terms)) {
    return;
  }
  od::array term_list;
  if (terms.get_array().get(term_list)) return;
  for (auto term : term_list) {
    Val expressions;
    if (!member(term, "matchExpressions", expressions)) continue;
    od::array list;
    if (expressions.get_array().get(list)) continue;
    for (auto e : list) {
      od::object obj;
      if (e.get_object().get(obj)) continue;
      std::string_view key, op;
      for (auto f : obj) {
        std::string_view k = KeyOf(f);
        if (KeyIs(k, "key"))
          ReadString(f.value(), key);
        else if (KeyIs(k, "operator"))
          ReadString(f.value(), op);
      }
      if (!key.empty() && (op == "In" || op == "Exists")) spec.required_node_labels.push_back(key);
    }
  }
}

bool ReadSpec(Val v, PodSpecView& spec, int depth);

bool ReadTemplate(Val v, PodSpecView& spec, int depth) {
  od::object obj;
  if (depth > 4 || v.get_object().get(obj)) return false;
  bool found = false;
  for (auto f : obj) {
    std::string_view k = KeyOf(f);
    if (KeyIs(k, "metadata"))
      ReadMetadata(f.value(), spec, nullptr);
    else if (KeyIs(k, "spec"))
      found |= ReadSpec(f.value(), spec, depth + 1);
  }
  return found;
}

bool ReadSpec(Val v, PodSpecView& spec, int depth) {
  od::object obj;
  if (depth > 4 || v.get_object().get(obj)) return false;
  bool found = false;
  for (auto f : obj) {
    std::string_view k = KeyOf(f);
    Val fv = f.value();
    if (k.empty()) continue;
    switch (k[0]) {
      case 'c':
        if (KeyIs(k, "containers")) {
          found = true;
          od::array arr;
          if (!fv.get_array().get(arr)) {
            for (auto item : arr) {
              ReadContainer(item, ContainerKind::kContainer, spec);
            }
          }
        }
        break;
      case 'i':
        if (KeyIs(k, "initContainers")) {
          found = true;
          od::array arr;
          if (!fv.get_array().get(arr)) {
            for (auto item : arr) {
              ReadContainer(item, ContainerKind::kInit, spec);
            }
          }
        }
        break;
      case 'e':
        if (KeyIs(k, "ephemeralContainers")) {
          found = true;
          od::array arr;
          if (!fv.get_array().get(arr)) {
            for (auto item : arr) {
              ReadContainer(item, ContainerKind::kEphemeral, spec);
            }
          }
        }
        break;
      case 'v':
        if (KeyIs(k, "volumes")) {
          od::array arr;
          if (!fv.get_array().get(arr)) {
            for (auto item : arr) {
              ReadVolume(item, spec);
            }
          }
        }
        break;
      case 'h':
        if (KeyIs(k, "hostNetwork"))
          ReadBool(fv, spec.host_network);
        else if (KeyIs(k, "hostPID"))
          ReadBool(fv, spec.host_pid);
        else if (KeyIs(k, "hostIPC"))
          ReadBool(fv, spec.host_ipc);
        else if (KeyIs(k, "hostUsers")) {
          bool b = true;
          ReadBool(fv, b);
          spec.host_users_false = !b;
        }
        break;
      case 's':
        if (KeyIs(k, "securityContext"))
          ReadSecurityContext(fv, spec.pod_security_context);
        else if (KeyIs(k, "serviceAccountName"))
          ReadString(fv, spec.service_account_name);
        else if (KeyIs(k, "serviceAccount") && spec.service_account_name.empty()) {
          ReadString(fv, spec.service_account_name);
        }
        break;
      case 'n':
        if (KeyIs(k, "nodeName"))
          ReadString(fv, spec.node_name);
        else if (KeyIs(k, "nodeSelector"))
          ReadNodeSelector(fv, spec);
        break;
      case 'a':
        if (KeyIs(k, "affinity")) ReadRequiredNodeAffinity(fv, spec);
        break;
      case 'o':
        if (KeyIs(k, "os")) {
          od::object os;
          if (fv.get_object().get(os)) break;
          for (auto of : os) {
            if (KeyOf(of) == "name") ReadString(of.value(), spec.os_name);
          }
        }
        break;
      case 't':
        if (KeyIs(k, "template"))
          found |= ReadTemplate(fv, spec, depth + 1);
        else if (KeyIs(k, "tolerations"))
          ReadTolerations(fv, spec);
        break;
      case 'j':
        if (KeyIs(k, "jobTemplate")) found |= ReadTemplate(fv, spec, depth + 1);
        break;
      default:
        break;
    }
  }
  return found;
}

// status.podIP, status.podIPs[].ip and status.hostIP of a Pod.
void ReadPodStatus(Val v, PodStatusView& status) {
  od::object obj;
  if (v.get_object().get(obj)) return;
  for (auto f : obj) {
    std::string_view k = KeyOf(f);
    if (KeyIs(k, "podIP")) {
      std::string_view ip;
      ReadString(f.value(), ip);
      if (!ip.empty()) status.pod_ips.push_back(ip);
    } else if (KeyIs(k, "podIPs")) {
      od::array arr;
      if (f.value().get_array().get(arr)) continue;
      for (auto item : arr) {
        od::object o;
        if (item.get_object().get(o)) continue;
        for (auto pf : o) {
          if (KeyOf(pf) != "ip") continue;
          std::string_view ip;
          ReadString(pf.value(), ip);
          if (!ip.empty()) status.pod_ips.push_back(ip);
        }
      }
    } else if (KeyIs(k, "hostIP")) {
      ReadString(f.value(), status.host_ip);
    }
  }
}

// The fields of a pod object (or a workload with a pod template) that detectors read into
// `out`; returns the JSON error of a malformed object.
simdjson::error_code WalkPod(od::object root, ParsedPodObject& out) {
  out.spec.Clear();
  out.status.Clear();
  out.has_spec = out.has_status = false;
  for (auto f : root) {
    if (f.error()) return f.error();
    std::string_view k = KeyOf(f);
    if (KeyIs(k, "kind"))
      ReadString(f.value(), out.spec.object_kind);
    else if (KeyIs(k, "metadata"))
      ReadMetadata(f.value(), out.spec, &out.status.uid);
    else if (KeyIs(k, "spec"))
      out.has_spec |= ReadSpec(f.value(), out.spec, 0);
    else if (KeyIs(k, "status"))
      ReadPodStatus(f.value(), out.status);
  }
  if (!out.status.pod_ips.empty() || !out.status.host_ip.empty()) {
    out.has_status = true;
    out.status.name = out.spec.object_name;
    out.status.node_name = out.spec.node_name;
  }
  return simdjson::SUCCESS;
}

}  // namespace

class PodSpecParser::Impl {
 public:
  od::parser parser;
  ParsedPodObject pod;
  simdjson::padded_string copy;
};

const PodStatusView* PodSpecParser::status() const {
  return impl_->pod.has_status ? &impl_->pod.status : nullptr;
}

PodSpecParser::PodSpecParser() : impl_(std::make_unique<Impl>()) {}
PodSpecParser::~PodSpecParser() = default;

const PodSpecView* PodSpecParser::Parse(std::string_view json, size_t capacity) {
  ParsedPodObject& pod = impl_->pod;
  od::document doc;
  od::object root;
  if (json.empty() || capacity < json.size() + simdjson::SIMDJSON_PADDING ||
      impl_->parser.iterate(simdjson::padded_string_view(json.data(), json.size(), capacity))
          .get(doc) ||
      doc.get_object().get(root) || WalkPod(root, pod) != simdjson::SUCCESS) {
    pod.has_spec = pod.has_status = false;
    return nullptr;
  }
  return pod.has_spec ? &pod.spec : nullptr;
}

namespace parse_internal {

bool PodObjectsWanted(Stage stage, Verb verb, const ObjectRef& ref) {
  if (stage != Stage::kResponseComplete && stage != Stage::kResponseStarted &&
      stage != Stage::kPanic) {
    return false;
  }
  const std::string_view res = ref.resource, sub = ref.subresource;
  if (res == "pods") {
    if (!sub.empty() && sub != "status" && sub != "ephemeralcontainers") return false;
    return verb == Verb::kGet || verb == Verb::kCreate || verb == Verb::kUpdate ||
           verb == Verb::kPatch;
  }
  if (!sub.empty()) return false;
  if (verb != Verb::kCreate && verb != Verb::kUpdate && verb != Verb::kPatch) return false;
  return std::find(std::begin(kPodSpecResources), std::end(kPodSpecResources), res) !=
         std::end(kPodSpecResources);
}

simdjson::error_code WalkPodObject(od::object obj, ParsedPodObject& out) {
  return WalkPod(obj, out);
}

}  // namespace parse_internal

const PodSpecView* PodSpecParser::ParseCopy(std::string_view json) {
  impl_->copy = simdjson::padded_string(json);
  return Parse(std::string_view(impl_->copy.data(), impl_->copy.size()),
               impl_->copy.size() + simdjson::SIMDJSON_PADDING);
}

}  // namespace kaudit
