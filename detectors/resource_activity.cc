// Activity stream (catalog C57): info alerts for creates and deletes of deployments,
// services, configmaps, namespaces, serviceaccounts, roles, clusterroles, rolebindings,
// clusterrolebindings and secrets, and for secret reads (successful or refused), as Falco's
// "K8s <Kind> Created/Deleted" and "K8s Secret Get ..." rules; also secret lists (catalog C25,
// Sigma's Kubernetes Secrets Enumeration) and secret updates and patches (C32, Sigma's
// Kubernetes Secrets Modified or Deleted). As in Falco, secrets in kube-system and requests by
// system:* users are left out of the secret events. Off by default (a log of changes, not
// findings).
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

class ResourceActivity final : public Detector {
 public:
  ResourceActivity(std::vector<std::string> resources, bool secret_reads, bool secret_lists,
                   bool secret_writes)
      : resources_(std::move(resources)),
        secret_reads_(secret_reads),
        secret_lists_(secret_lists),
        secret_writes_(secret_writes) {
    info_.id = "resource_activity";
    info_.title = "Resource activity";
    info_.description =
        "An audit trail of creates and deletes of workloads, services, configuration, "
        "namespaces, identities and RBAC objects, and of secret reads, lists and changes.";
    info_.severity = Severity::kInfo;
    info_.mitre = {"T1098", "T1552.007"};
    info_.catalog_ids = {"C57", "C25", "C32"};
    info_.interest.verbs = Interest::Verbs(
        {Verb::kCreate, Verb::kDelete, Verb::kGet, Verb::kList, Verb::kUpdate, Verb::kPatch});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = resources_;
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.object.subresource.empty()) return;
    const bool secret = e.object.resource == "secrets";
    if (secret && (e.object.namespace_ == "kube-system" || StartsWith(e.username, "system:"))) {
      return;
    }
    std::string_view what;
    if (e.verb == Verb::kGet) {
      if (!secret || !secret_reads_) return;
      what = e.Succeeded() ? "read" : "tried to read";
    } else if (e.verb == Verb::kList) {
      if (!secret || !secret_lists_) return;
      what = e.Succeeded() ? "listed" : "tried to list";
    } else if (e.verb == Verb::kUpdate || e.verb == Verb::kPatch) {
      if (!secret || !secret_writes_ || !e.Succeeded()) return;
      what = PastTense(e.verb);
    } else {
      if (!e.Succeeded()) return;
      what = PastTense(e.verb);
    }
    Alert a = MakeAlert(info_, e);
    a.message = absl::StrCat(
        ActorLabel(e), " ", ToAbsl(what), " ", ToAbsl(e.object.resource), " ", ObjectLabel(e),
        e.Succeeded() ? "" : absl::StrCat(" (refused, ", e.response_code, ")"));
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
  std::vector<std::string> resources_;
  bool secret_reads_, secret_lists_, secret_writes_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewResourceActivity(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(
      auto resources, p.List("resources", {"deployments", "services", "configmaps", "namespaces",
                                           "serviceaccounts", "roles", "clusterroles",
                                           "rolebindings", "clusterrolebindings", "secrets"}));
  KAUDIT_ASSIGN_OR_RETURN(bool reads, p.Bool("secret_reads", true));
  KAUDIT_ASSIGN_OR_RETURN(bool lists, p.Bool("secret_lists", true));
  KAUDIT_ASSIGN_OR_RETURN(bool writes, p.Bool("secret_writes", true));
  return std::make_unique<ResourceActivity>(std::move(resources), reads, lists, writes);
}

}  // namespace kaudit
