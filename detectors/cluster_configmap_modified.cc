// Cluster authentication or DNS ConfigMap modified (catalog C87, C88): EKS's kube-system/aws-auth
// maps cloud IAM identities to Kubernetes users and groups (an added mapping to
// system:masters is a cluster-admin backdoor); kube-system/coredns, kube-dns and
// coredns-custom configure cluster DNS (a rewritten Corefile redirects service traffic).
// High.
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

class ClusterConfigMapModified final : public Detector {
 public:
  ClusterConfigMapModified(std::vector<std::string> auth, std::vector<std::string> dns)
      : auth_(std::move(auth)), dns_(std::move(dns)) {
    info_.id = "cluster_configmap_modified";
    info_.title = "Cluster authentication or DNS ConfigMap modified";
    info_.description =
        "The ConfigMap that maps cloud identities to cluster users (EKS aws-auth) or the "
        "cluster DNS configuration (CoreDNS, kube-dns) was changed: an admin backdoor or DNS "
        "poisoning.";
    info_.severity = Severity::kHigh;
    info_.mitre = {"T1098.006", "T1565.001", "T1557"};
    info_.catalog_ids = {"C87", "C88"};
    info_.interest.verbs = Interest::Verbs(
        {Verb::kCreate, Verb::kUpdate, Verb::kPatch, Verb::kDelete, Verb::kDeleteCollection});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"configmaps"};
    info_.default_allow_users = {"system:node:[^:]+", "eks:.*", "aksService",
                                 "system:serviceaccount:kube-system:(coredns|kube-dns)"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded() || e.object.name.empty()) return;
    std::string key = absl::StrCat(ToAbsl(e.object.namespace_), "/", ToAbsl(e.object.name));
    const bool auth = ContainsString(auth_, key);
    if (!auth && !ContainsString(dns_, key)) return;
    Alert a = MakeAlert(info_, e);
    a.AddField("kind", auth ? "authentication" : "dns");
    a.message = absl::StrCat(ActorLabel(e), " ", ToAbsl(PastTense(e.verb)), " ConfigMap ", key,
                             auth ? ": it maps cloud identities to cluster users and groups (a "
                                    "new mapping can grant cluster-admin)"
                                  : ": it configures cluster DNS (a rewrite can redirect "
                                    "service traffic)");
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
  std::vector<std::string> auth_, dns_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewClusterConfigMapModified(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(auto auth, p.List("auth_configmaps", {"kube-system/aws-auth"}));
  KAUDIT_ASSIGN_OR_RETURN(auto dns,
                          p.List("dns_configmaps", {"kube-system/coredns", "kube-system/kube-dns",
                                                    "kube-system/coredns-custom"}));
  return std::make_unique<ClusterConfigMapModified>(std::move(auth), std::move(dns));
}

}  // namespace kaudit
