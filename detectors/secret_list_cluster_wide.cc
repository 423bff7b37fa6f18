// Secrets listed across the cluster (catalog C24): one list request returns every secret of
// every namespace (or of kube-system), service-account tokens and cloud credentials included.
// High cluster-wide, medium for the namespaces in `sensitive_namespaces` (kube-system).
// Controllers that cache secrets list them when they start: allow-list them.
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

class SecretListClusterWide final : public Detector {
 public:
  explicit SecretListClusterWide(std::vector<std::string> namespaces)
      : namespaces_(std::move(namespaces)) {
    info_.id = "secret_list_cluster_wide";
    info_.title = "Secrets listed across the cluster";
    info_.description =
        "All secrets of the cluster (or of kube-system) were listed in one request: every "
        "token and credential they hold was read at once.";
    info_.severity = Severity::kHigh;
    info_.mitre = {"T1552.007", "T1613"};
    info_.catalog_ids = {"C24"};
    info_.interest.verbs = Interest::Verbs({Verb::kList});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"secrets"};
    info_.default_allow_users = {"system:kube-controller-manager", "system:apiserver",
                                 "system:serviceaccount:kube-system:.*", "eks:.*"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded() || !e.object.subresource.empty()) return;
    const bool cluster = e.object.namespace_.empty();
    if (!cluster && !ContainsString(namespaces_, e.object.namespace_)) return;
    Alert a = MakeAlert(info_, e);
    if (!cluster) a.severity = Severity::kMedium;
    a.message = absl::StrCat(ActorLabel(e), " listed all secrets ",
                             cluster ? std::string("of every namespace")
                                     : absl::StrCat("in ", ToAbsl(e.object.namespace_)),
                             ": every token and credential in them was read at once");
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
  std::vector<std::string> namespaces_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewSecretListClusterWide(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(auto ns, p.List("sensitive_namespaces", {"kube-system"}));
  return std::make_unique<SecretListClusterWide>(std::move(ns));
}

}  // namespace kaudit
