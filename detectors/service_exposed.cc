// Service exposed outside the cluster (catalog C67): a Service created, updated or patched to
// type NodePort or LoadBalancer, or with externalIPs (which can also intercept traffic to
// those addresses, CVE-2020-8554: high).
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "detectors/common/rbac.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class ServiceExposed final : public Detector {
 public:
  ServiceExposed(bool load_balancer, bool external_ips)
      : load_balancer_(load_balancer), external_ips_(external_ips) {
    info_.id = "service_exposed";
    info_.title = "Service exposed outside the cluster";
    info_.description =
        "A Service of type NodePort or LoadBalancer, or with externalIPs, was created or "
        "changed: the workload behind it is reachable from outside the cluster network.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1133", "T1190"};
    info_.catalog_ids = {"C67"};
    info_.interest.verbs = Interest::WriteVerbs();
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"services"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded() || !e.object.subresource.empty()) return;
    const ServiceView* s = e.RequestService();
    if (s == nullptr) {
      if (e.request_object.empty()) ++not_judged_;
      return;
    }
    bool node_port = s->type == "NodePort";
    bool lb = load_balancer_ && s->type == "LoadBalancer";
    bool ext = external_ips_ && !s->external_ips.empty();
    if (!node_port && !lb && !ext) return;
    std::vector<std::string> node_ports;
    for (const auto& p : s->ports) {
      if (p.node_port) node_ports.push_back(absl::StrCat(p.node_port));
    }
    Alert a = MakeAlert(info_, e);
    std::string how;
    if (node_port || lb) {
      how = absl::StrCat("type ", ToAbsl(s->type));
      if (!node_ports.empty())
        absl::StrAppend(&how, " (nodePort ", absl::StrJoin(node_ports, ", "), ")");
    }
    if (ext) {
      a.severity = Severity::kHigh;
      absl::StrAppend(&how, how.empty() ? "" : " and ", "externalIPs ", JoinList(s->external_ips));
      a.AddField("external_ips", JoinList(s->external_ips));
    }
    a.message = absl::StrCat(ActorLabel(e), " ", ToAbsl(PastTense(e.verb)), " Service ",
                             ObjectLabel(e), " with ", how,
                             ext ? ": reachable from outside, and able to capture traffic to "
                                   "those addresses"
                                 : ": the workload is reachable from outside the cluster");
    if (!s->type.empty()) a.AddField("type", std::string(s->type));
    if (!node_ports.empty()) a.AddField("node_ports", absl::StrJoin(node_ports, ","));
    out.Emit(std::move(a));
  }

  uint64_t events_not_judged() const override { return not_judged_; }

 private:
  DetectorInfo info_;
  bool load_balancer_, external_ips_;
  uint64_t not_judged_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewServiceExposed(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(bool lb, p.Bool("load_balancer", true));
  KAUDIT_ASSIGN_OR_RETURN(bool ext, p.Bool("external_ips", true));
  return std::make_unique<ServiceExposed>(lb, ext);
}

}  // namespace kaudit
