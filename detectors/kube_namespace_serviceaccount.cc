// Service account created in a system namespace (catalog C81): kube-system and kube-public by
// default. A new identity there is a common persistence foothold next to the cluster's own
// components.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "detectors/common/rbac.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class KubeNamespaceServiceAccount final : public Detector {
 public:
  explicit KubeNamespaceServiceAccount(std::vector<std::string> namespaces)
      : namespaces_(std::move(namespaces)) {
    info_.id = "kube_namespace_serviceaccount";
    info_.title = "Service account created in a system namespace";
    info_.description =
        "A service account was created in kube-system or kube-public: a new identity hidden "
        "among the cluster's own components, a common persistence foothold.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1136", "T1078.004"};
    info_.catalog_ids = {"C81"};
    info_.interest.verbs = Interest::Verbs({Verb::kCreate});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"serviceaccounts"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded() || !e.object.subresource.empty()) return;
    if (!ContainsString(namespaces_, e.object.namespace_)) return;
    Alert a = MakeAlert(info_, e);
    a.message = absl::StrCat(ActorLabel(e), " created service account ", ObjectLabel(e),
                             " in system namespace ", ToAbsl(e.object.namespace_),
                             ": a new identity among the cluster's own components");
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
  std::vector<std::string> namespaces_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewKubeNamespaceServiceAccount(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(auto ns, p.List("namespaces", {"kube-system", "kube-public"}));
  return std::make_unique<KubeNamespaceServiceAccount>(std::move(ns));
}

}  // namespace kaudit
