// Workload created with the defaults the hardening guides say to avoid (DETECTIONS.md's
// hardening table, H4 and H5): a pod or workload created without its own service account (no
// serviceAccountName, or `default`: one identity shared by everything in the namespace, so
// whatever RBAC it is granted every workload gets), or created in the `default` namespace
// (`namespaces`), where nothing separates it from everything else put there. Judged on creates
// only; pods created by kube-system's controllers (from a workload already judged) and by
// kubelets (static pods' mirrors) are skipped. Low: a posture signal.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "detectors/common/pod_security.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class WorkloadDefaults final : public PodSpecDetector {
 public:
  explicit WorkloadDefaults(std::vector<std::string> namespaces)
      : namespaces_(std::move(namespaces)) {
    info_.id = "workload_defaults";
    info_.title = "Workload with the default service account or in the default namespace";
    info_.description =
        "A pod or workload was created running as its namespace's default service account, or "
        "in the default namespace: hardening guides ask for one service account per "
        "application and for namespaces that separate workloads.";
    info_.severity = Severity::kLow;
    info_.mitre = {"T1078.001", "T1610"};
    info_.catalog_ids = {"H4", "H5"};
    info_.interest.verbs = Interest::Verbs({Verb::kCreate});
    why_ = "hardening guides ask for one service account per application and separate namespaces";
  }

 protected:
  void Check(const AuditEvent& e, const PodSpecView& s, std::vector<PodFinding>& out) override {
    if (e.verb != Verb::kCreate || !e.object.subresource.empty()) return;
    if (PodFromControllerOrNode(e)) return;
    const std::string_view sa = s.service_account_name;
    if (sa.empty() || sa == "default") {
      PodFinding& f = out.emplace_back();
      f.control = "serviceAccountName";
      f.severity = info_.severity;
      f.detail = sa.empty() ? "no serviceAccountName (the namespace's default service account)"
                            : "serviceAccountName default";
      f.fields = {{"service_account", "default"}};
    }
    if (std::find(namespaces_.begin(), namespaces_.end(), e.object.namespace_) !=
        namespaces_.end()) {
      PodFinding& f = out.emplace_back();
      f.control = "namespace";
      f.severity = info_.severity;
      f.detail = absl::StrCat("namespace ", ToAbsl(e.object.namespace_));
    }
  }

 private:
  std::vector<std::string> namespaces_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewWorkloadDefaults(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(std::vector<std::string> namespaces, p.List("namespaces", {"default"}));
  return std::make_unique<WorkloadDefaults>(std::move(namespaces));
}

}  // namespace kaudit
