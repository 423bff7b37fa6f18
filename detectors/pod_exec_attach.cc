// Exec or attach into a pod (catalog C41, C43): judged once per request, at ResponseStarted
// (code 101) where the stream opens, or at ResponseComplete when the policy dropped that
// stage. Exec into kube-system is high. The decoded command (command= query parameters) and
// container are part of the alert.
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

class PodExecAttach final : public Detector {
 public:
  PodExecAttach(std::vector<std::string> sensitive_namespaces)
      : sensitive_namespaces_(std::move(sensitive_namespaces)) {
    info_.id = "pod_exec_attach";
    info_.title = "Exec or attach into a pod";
    info_.description =
        "Someone opened an interactive session in a running container (exec or attach): "
        "hands-on-keyboard access to the workload, its secrets and its network.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1609"};
    info_.catalog_ids = {"C41", "C43"};
    // kubectl exec is a POST (verb create); over WebSocket (kubectl >= 1.30) it is a GET.
    info_.interest.verbs = Interest::Verbs({Verb::kCreate, Verb::kGet});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"pods"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome) return;
    std::string_view sub = e.object.subresource;
    if (sub != "exec" && sub != "attach") return;
    if (!ExecAllowed(e)) return;
    Alert a = MakeAlert(info_, e);
    for (const auto& ns : sensitive_namespaces_) {
      if (e.object.namespace_ == ns) a.severity = Severity::kHigh;
    }
    auto containers = QueryValues(e.request_uri, "container");
    std::string container = containers.empty() ? "" : containers[0];
    a.AddField("container", container);
    std::string what = std::string(sub);
    if (sub == "exec") {
      std::string command = absl::StrJoin(QueryValues(e.request_uri, "command"), " ");
      a.AddField("command", command);
      what = command.empty() ? "exec" : absl::StrCat("exec `", command, "`");
    }
    a.message = absl::StrCat(ActorLabel(e), " ran ", what, " in pod ", ObjectLabel(e),
                             container.empty() ? "" : absl::StrCat(" (container ", container, ")"),
                             ": an interactive session inside a running workload");
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
  std::vector<std::string> sensitive_namespaces_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewPodExecAttach(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(auto ns, p.List("high_severity_namespaces", {"kube-system"}));
  return std::make_unique<PodExecAttach>(std::move(ns));
}

}  // namespace kaudit
