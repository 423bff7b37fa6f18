// Workload placed on the control plane (DETECTIONS.md's hardening table, H6): a pod or workload
// created (or patched) with a spec that requires control-plane nodes (`node_labels` among its
// nodeSelector keys or its required node affinity's In/Exists expressions) or tolerates their
// taint (`taint_keys`; a toleration without a key and with operator Exists tolerates every
// taint). Control-plane nodes hold etcd and the API server's keys on their disks: a workload
// scheduled there is one hostPath mount or container escape away from them. Requiring
// control-plane nodes: medium; only tolerating the taint (the scheduler may put it there):
// low. Dedicated node pools are watched by adding their taint keys and labels. Updates (whole
// objects: what changed is not visible) are left to workload_diff; pods created by
// kube-system's controllers (from a workload already judged) and by kubelets are skipped, and
// so are objects in `ignore_namespaces` (kube-system: its DaemonSets, CNI and kube-proxy,
// tolerate every taint by design).
#include <memory>
#include <string>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "detectors/common/pod_security.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class ControlPlanePlacement final : public PodSpecDetector {
 public:
  ControlPlanePlacement(std::vector<std::string> taint_keys, std::vector<std::string> node_labels,
                        std::vector<std::string> ignore_namespaces)
      : taint_keys_(std::move(taint_keys)),
        node_labels_(std::move(node_labels)),
        ignore_namespaces_(std::move(ignore_namespaces)) {
    info_.id = "control_plane_placement";
    info_.title = "Workload placed on control-plane nodes";
    info_.description =
        "A pod or workload was written to require control-plane nodes or to tolerate their "
        "taint: workloads there sit next to etcd and the API server's keys, which hardening "
        "guides keep on nodes of their own.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1610", "T1611"};
    info_.catalog_ids = {"H6"};
    info_.interest.verbs = Interest::Verbs({Verb::kCreate, Verb::kPatch});
    why_ = "the control plane's nodes hold etcd and the API server's keys";
  }

 protected:
  void Check(const AuditEvent& e, const PodSpecView& s, std::vector<PodFinding>& out) override {
    if (e.verb == Verb::kUpdate || !e.object.subresource.empty()) return;
    if (PodFromControllerOrNode(e) ||
        absl::c_linear_search(ignore_namespaces_, e.object.namespace_))
      return;
    std::vector<std::string> required, tolerated;
    for (std::string_view label : s.required_node_labels) {
      if (absl::c_linear_search(node_labels_, label)) required.emplace_back(label);
    }
    for (const TolerationView& t : s.tolerations) {
      if (t.key.empty() && t.op == "Exists") {
        tolerated.emplace_back("every taint");
      } else if (absl::c_linear_search(taint_keys_, t.key)) {
        tolerated.emplace_back(t.key);
      }
    }
    if (required.empty() && tolerated.empty()) return;
    PodFinding& f = out.emplace_back();
    if (!required.empty()) {
      f.control = "nodeSelector";
      f.severity = Severity::kMedium;
      f.detail = absl::StrCat("a requirement for nodes labelled ", absl::StrJoin(required, ", "));
      if (!tolerated.empty()) {
        absl::StrAppend(&f.detail, " and a toleration of ", absl::StrJoin(tolerated, ", "));
      }
      f.fields.emplace_back("node_labels", absl::StrJoin(required, ","));
    } else {
      f.control = "tolerations";
      f.severity = Severity::kLow;
      f.detail = absl::StrCat("a toleration of ", absl::StrJoin(tolerated, ", "),
                              " (it may be scheduled onto control-plane nodes)");
    }
    if (!tolerated.empty()) f.fields.emplace_back("tolerates", absl::StrJoin(tolerated, ","));
  }

 private:
  std::vector<std::string> taint_keys_, node_labels_, ignore_namespaces_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewControlPlanePlacement(DetectorParams& p) {
  const std::vector<std::string> control_plane = {"node-role.kubernetes.io/control-plane",
                                                  "node-role.kubernetes.io/master"};
  KAUDIT_ASSIGN_OR_RETURN(std::vector<std::string> taint_keys, p.List("taint_keys", control_plane));
  KAUDIT_ASSIGN_OR_RETURN(std::vector<std::string> node_labels,
                          p.List("node_labels", control_plane));
  KAUDIT_ASSIGN_OR_RETURN(std::vector<std::string> ignore,
                          p.List("ignore_namespaces", {"kube-system"}));
  return std::make_unique<ControlPlanePlacement>(std::move(taint_keys), std::move(node_labels),
                                                 std::move(ignore));
}

}  // namespace kaudit
