// Host probes and lifecycle hooks (Pod Security Standards baseline "Host Probes / Lifecycle
// Hooks"): a probe or lifecycle handler of a container sets httpGet.host or tcpSocket.host,
// making the kubelet connect to an arbitrary address (SSRF from the node).
#include <memory>

#include "detectors/common/pod_security.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class HostProbe final : public PodSpecDetector {
 public:
  HostProbe() {
    info_.id = "host_probe";
    info_.title = "Probe or lifecycle hook targets a host";
    info_.description =
        "A container was written with a probe or lifecycle handler naming a host: the kubelet "
        "connects from the node to that address (server-side request forgery).";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1090", "T1611"};
    info_.catalog_ids = {"C58"};
    why_ = "the kubelet will connect from the node to an address the pod author chose";
  }

 protected:
  void Check(const AuditEvent&, const PodSpecView& s, std::vector<PodFinding>& out) override {
    for (const ContainerView& c : s.containers) {
      if (!c.probe_has_host) continue;
      PodFinding& f = out.emplace_back();
      f.container = &c;
      f.control = "probe.host";
      f.severity = info_.severity;
      f.detail = "a probe or lifecycle hook with a host";
    }
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewHostProbe(DetectorParams&) {
  return std::make_unique<HostProbe>();
}

}  // namespace kaudit
