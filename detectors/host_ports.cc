// Host ports (Pod Security Standards baseline "Host Ports"): a container binds a port of the
// node (ports[].hostPort). One alert per container and port.
#include <memory>

#include "absl/strings/str_cat.h"
#include "detectors/common/pod_security.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class HostPorts final : public PodSpecDetector {
 public:
  HostPorts() {
    info_.id = "host_ports";
    info_.title = "Container binds a host port";
    info_.description =
        "A container was written with a hostPort: it listens on the node's address, bypassing "
        "Services and network policies.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1611", "T1133"};
    info_.catalog_ids = {"C62"};
    why_ = "it is reachable on the node's address, outside Services and network policies";
  }

 protected:
  void Check(const AuditEvent&, const PodSpecView& s, std::vector<PodFinding>& out) override {
    for (const ContainerView& c : s.containers) {
      for (int64_t port : c.host_ports) {
        PodFinding& f = out.emplace_back();
        f.container = &c;
        f.control = "hostPort";
        f.severity = info_.severity;
        f.detail = absl::StrCat("hostPort ", port);
        f.fields = {{"host_port", absl::StrCat(port)}};
      }
    }
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewHostPorts(DetectorParams&) {
  return std::make_unique<HostPorts>();
}

}  // namespace kaudit
