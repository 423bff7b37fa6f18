#pragma once

// Shared machinery of the workload-security (Pod Security Standards) detectors: a base class
// that judges each pod spec write once and turns findings into alerts, effective security
// context values with pod-level inheritance, image reference parsing and host path matching.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/common/strings.h"
#include "src/engine/alert.h"
#include "src/engine/detector.h"
#include "src/event/audit_event.h"

namespace kaudit {

// One violated control: of a container (container != nullptr) or of the pod itself.
struct PodFinding {
  const ContainerView* container = nullptr;
  std::string control;  // stable control name, e.g. "hostNetwork", "capabilities.add"
  std::string detail;   // for the message, e.g. "hostPath /etc", "capability SYS_ADMIN"
  Severity severity = Severity::kMedium;
  std::vector<std::pair<std::string, std::string>> fields;  // extra evidence
};

// Base of the pod spec detectors: sees create/update/patch of pods (and their
// ephemeralcontainers subresource) and of every workload with a pod template, judges each
// successful write once (first_outcome), and counts writes whose spec is not visible
// (audit level Metadata) as not judged. Subclasses fill info_ and why_ and implement Check.
class PodSpecDetector : public Detector {
 public:
  PodSpecDetector();
  const DetectorInfo& info() const override { return info_; }
  uint64_t events_not_judged() const override { return not_judged_; }
  void OnEvent(const AuditEvent& e, AlertEmitter& out) final;

 protected:
  virtual void Check(const AuditEvent& e, const PodSpecView& spec,
                     std::vector<PodFinding>& findings) = 0;

  DetectorInfo info_;
  std::string why_;  // why it matters, ends the message: "it shares the node's network"
  // For controls violated by a field's absence (restricted profile, hardening): a patch's
  // body shows only what it changes, so patches are judged on the responseObject (the whole
  // object after the patch) and counted as not judged when the audit level omits it.
  bool needs_whole_object_ = false;

 private:
  uint64_t not_judged_ = 0;
  std::vector<PodFinding> findings_;
};

// Effective values for a container: the container's field, else the pod's.
inline std::string_view EffectiveSeccomp(const PodSpecView& s, const ContainerView& c) {
  return c.security_context.seccomp_type.empty() ? s.pod_security_context.seccomp_type
                                                 : c.security_context.seccomp_type;
}
inline std::optional<bool> EffectiveRunAsNonRoot(const PodSpecView& s, const ContainerView& c) {
  return c.security_context.run_as_non_root ? c.security_context.run_as_non_root
                                            : s.pod_security_context.run_as_non_root;
}
inline bool IsWindowsPod(const PodSpecView& s) { return s.os_name == "windows"; }

// A pod created by kube-system's controllers (from a workload judged when it was written) or
// by a kubelet (a static pod's mirror): detectors of what a person chose skip these.
inline bool PodFromControllerOrNode(const AuditEvent& e) {
  return e.object.resource == "pods" &&
         (StartsWith(e.username, "system:serviceaccount:kube-system:") ||
          StartsWith(e.username, "system:node:"));
}

// Capability name without a CAP_ prefix, upper-cased ("cap_sys_admin" -> "SYS_ADMIN").
std::string NormalizeCapability(std::string_view cap);

// A parsed container image reference. `path` is the repository path within the registry as
// written ("nginx", "library/nginx", "team/app"); `registry` is empty when the reference
// names none (Docker Hub is implied).
struct ImageRef {
  std::string_view registry;
  std::string_view path;
  std::string_view tag;
  std::string_view digest;
  // The repository as written, without tag or digest ("registry:5000/app", "nginx").
  std::string_view repository;
  // "docker.io/library/nginx", "registry:5000/app": comparable across spellings.
  std::string NormalizedRepository() const;
};
ImageRef ParseImageRef(std::string_view image);

// Lexically normalized absolute path: "//etc/./kubernetes/" -> "/etc/kubernetes",
// "/etc/../root" -> "/root".
std::string NormalizeHostPath(std::string_view path);

// The sensitive entry `path` touches: the path itself, a path under it, or a directory that
// contains it ("/var" contains "/var/run/docker.sock"). "/" matches only "/" itself as a
// parent. Returns the matching entry or an empty view.
std::string_view SensitiveHostPathMatch(std::string_view normalized_path,
                                        const std::vector<std::string>& sensitive);

}  // namespace kaudit
