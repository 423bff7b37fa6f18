// API server proxying to a node's kubelet (catalog C49): nodes/proxy reaches the kubelet API
// with the apiserver's credentials, including its command endpoints (/run, /exec, /attach,
// /portforward, /cri), which bypass pod exec authorization and leave no pods/exec audit event.
// Medium; high for the command endpoints. Monitoring paths (metrics, stats, healthz, configz)
// are ignored.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "detectors/common/matcher.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class NodeProxy final : public Detector {
 public:
  NodeProxy(std::unique_ptr<PatternSet> ignore, std::unique_ptr<PatternSet> command)
      : ignore_(std::move(ignore)), command_(std::move(command)) {
    info_.id = "node_proxy";
    info_.title = "API server proxy to a kubelet";
    info_.description =
        "A request was proxied through the API server to a node's kubelet (nodes/proxy): "
        "kubelet endpoints can run commands in any pod on the node without a pods/exec check.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1609", "T1613", "T1210"};
    info_.catalog_ids = {"C49"};
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"nodes"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || e.object.subresource != "proxy") return;
    if (!(e.Succeeded() || (e.response_code == 0 && e.decision == "allow"))) return;
    std::string_view uri = e.request_uri;
    size_t p = uri.find("/proxy");
    std::string_view path = p == std::string_view::npos ? uri : uri.substr(p + 6);
    if (path.empty()) path = "/";
    if (ignore_ && ignore_->Matches(path)) return;
    const bool command = command_ && command_->Matches(path);
    Alert a = MakeAlert(info_, e);
    if (command) a.severity = Severity::kHigh;
    a.AddField("kubelet_path", std::string(path));
    a.message = absl::StrCat(ActorLabel(e), " reached the kubelet of node ", ObjectLabel(e),
                             " through the API server (", ToAbsl(path), ")",
                             command ? ": a kubelet command endpoint, code execution in the "
                                       "node's pods without a pods/exec check"
                                     : ": direct kubelet API access bypasses pod-level RBAC");
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
  std::unique_ptr<PatternSet> ignore_, command_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewNodeProxy(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(
      auto ignore,
      PatternsParam(p, "ignore_paths", {R"(/(metrics|healthz|stats|configz|spec)(/.*|\?.*)?)"}));
  KAUDIT_ASSIGN_OR_RETURN(
      auto command,
      PatternsParam(p, "command_paths", {R"(/(run|exec|attach|portforward|cri)(/.*)?)"}));
  return std::make_unique<NodeProxy>(std::move(ignore), std::move(command));
}

}  // namespace kaudit
