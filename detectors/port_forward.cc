// Port-forward to a pod (catalog C47): a tunnel from the client's machine into the pod's
// network namespace, past NetworkPolicies, ingress and service meshes. Judged once per request
// (Falco's rule fires once per stage). Medium.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class PortForward final : public Detector {
 public:
  PortForward() {
    info_.id = "port_forward";
    info_.title = "Port-forward to a pod";
    info_.description =
        "Someone opened a port-forward to a pod: a tunnel from their machine into the cluster "
        "network that bypasses network policies and ingress controls.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1572"};
    info_.catalog_ids = {"C47"};
    // kubectl port-forward is a POST (verb create); over WebSocket it is a GET.
    info_.interest.verbs = Interest::Verbs({Verb::kCreate, Verb::kGet});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"pods"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || e.object.subresource != "portforward" || !ExecAllowed(e)) return;
    Alert a = MakeAlert(info_, e);
    std::string ports = absl::StrJoin(QueryValues(e.request_uri, "ports"), ",");
    if (!ports.empty()) a.AddField("ports", ports);
    a.message = absl::StrCat(ActorLabel(e), " opened a port-forward to pod ", ObjectLabel(e),
                             ports.empty() ? "" : absl::StrCat(" (ports ", ports, ")"),
                             ": a tunnel into the cluster network past its network controls");
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewPortForward(DetectorParams&) {
  return std::make_unique<PortForward>();
}

}  // namespace kaudit
