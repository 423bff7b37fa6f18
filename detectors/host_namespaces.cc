// Host namespaces (catalog C62, C63, C64; Pod Security Standards baseline "Host Namespaces"):
// a pod or pod template written with hostNetwork, hostPID or hostIPC. One alert per shared
// namespace. Falco: Create HostNetwork Pod, Create HostPid Pod, Create HostIPC Pod.
#include <memory>

#include "detectors/common/pod_security.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class HostNamespaces final : public PodSpecDetector {
 public:
  HostNamespaces() {
    info_.id = "host_namespaces";
    info_.title = "Pod shares a host namespace";
    info_.description =
        "A pod or workload was written with hostNetwork, hostPID or hostIPC: its containers "
        "see the node's network, processes or IPC and can attack the node and its neighbours.";
    info_.severity = Severity::kHigh;
    info_.mitre = {"T1611", "T1610"};
    info_.catalog_ids = {"C62", "C63", "C64"};
    why_ = "its containers share the node's namespace and can reach the node and other pods";
  }

 protected:
  void Check(const AuditEvent&, const PodSpecView& s, std::vector<PodFinding>& out) override {
    auto add = [&](bool on, const char* field) {
      if (!on) return;
      PodFinding& f = out.emplace_back();
      f.control = field;
      f.detail = std::string(field) + ": true";
      f.severity = info_.severity;
    };
    add(s.host_network, "hostNetwork");
    add(s.host_pid, "hostPID");
    add(s.host_ipc, "hostIPC");
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewHostNamespaces(DetectorParams&) {
  return std::make_unique<HostNamespaces>();
}

}  // namespace kaudit
