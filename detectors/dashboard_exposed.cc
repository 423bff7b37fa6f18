// Sensitive UI exposed outside the cluster (catalog C68): a Service of type LoadBalancer or
// NodePort whose name, labels or selector name a cluster dashboard (Kubernetes Dashboard,
// Kubeflow's central dashboard, Argo CD, Weave Scope, ...), `ui_patterns`. Such UIs act with
// their own, often broad, service account: exposing one hands the cluster to whoever reaches
// it. High; medium when loadBalancerSourceRanges restricts who can connect.
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

class DashboardExposed final : public Detector {
 public:
  explicit DashboardExposed(std::unique_ptr<PatternSet> ui) : ui_(std::move(ui)) {
    info_.id = "dashboard_exposed";
    info_.title = "Cluster dashboard exposed";
    info_.description =
        "A cluster dashboard or management UI was exposed through a LoadBalancer or NodePort "
        "Service: it acts with its own service account for whoever reaches it.";
    info_.severity = Severity::kHigh;
    info_.mitre = {"T1133", "T1190"};
    info_.catalog_ids = {"C68"};
    info_.interest.verbs = Interest::WriteVerbs();
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"services"};
  }

  const DetectorInfo& info() const override { return info_; }
  uint64_t events_not_judged() const override { return not_judged_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded() || !e.object.subresource.empty() || !ui_) return;
    const ServiceView* svc = e.RequestService();
    if (svc == nullptr || svc->type.empty()) {
      if (const ServiceView* r = e.ResponseService()) svc = r;
    }
    if (svc == nullptr) {
      ++not_judged_;
      return;
    }
    if (svc->type != "LoadBalancer" && svc->type != "NodePort") return;
    std::string_view matched;
    auto check = [&](std::string_view s) {
      if (matched.empty() && !s.empty() && ui_->Matches(s)) matched = s;
    };
    check(e.object.name);
    check(svc->meta.name);
    for (const auto& [k, v] : svc->meta.labels) check(v);
    for (const auto& [k, v] : svc->selector) check(v);
    if (matched.empty()) return;
    const bool restricted = !svc->load_balancer_source_ranges.empty();
    Alert a = MakeAlert(info_, e);
    if (restricted) a.severity = Severity::kMedium;
    a.AddField("type", std::string(svc->type));
    a.AddField("ui", std::string(matched));
    std::string name = e.object.name.empty()
                           ? absl::StrCat(ToAbsl(e.object.namespace_), "/", ToAbsl(svc->meta.name))
                           : ObjectLabel(e);
    a.message =
        absl::StrCat(ActorLabel(e), " exposed ", ToAbsl(matched), " through ", ToAbsl(svc->type),
                     " Service ", name, restricted ? " (source ranges restricted)" : "",
                     ": a management UI acting with its own service account is reachable "
                     "from outside the cluster");
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
  std::unique_ptr<PatternSet> ui_;
  uint64_t not_judged_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewDashboardExposed(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(
      auto ui, PatternsParam(p, "ui_patterns",
                             {"(?i).*kubernetes-dashboard.*", "(?i).*centraldashboard.*",
                              "(?i).*kubeflow.*dashboard.*", "(?i)argocd-server",
                              "(?i)weave-scope.*", "(?i).*kube-ops-view.*", "(?i).*headlamp.*"}));
  return std::make_unique<DashboardExposed>(std::move(ui));
}

}  // namespace kaudit
