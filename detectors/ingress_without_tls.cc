// Ingress created without TLS (catalog C69): spec.tls absent or empty, so the hosts it
// publishes are served over plain HTTP and credentials cross the network in clear text.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "detectors/common/rbac.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class IngressWithoutTls final : public Detector {
 public:
  IngressWithoutTls() {
    info_.id = "ingress_without_tls";
    info_.title = "Ingress without TLS";
    info_.description =
        "An Ingress without a TLS section was created: the services it publishes are served "
        "over plain HTTP, exposing their traffic and credentials.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1040", "T1552.004"};
    info_.catalog_ids = {"C69"};
    info_.interest.verbs = Interest::Verbs({Verb::kCreate});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"ingresses"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded() || !e.object.subresource.empty()) return;
    const IngressView* ing = e.RequestIngress();
    if (ing == nullptr) {
      if (e.request_object.empty()) ++not_judged_;
      return;
    }
    if (ing->has_tls) return;
    Alert a = MakeAlert(info_, e);
    std::string hosts = JoinList(ing->rule_hosts);
    a.message = absl::StrCat(ActorLabel(e), " created Ingress ", ObjectLabel(e), " without TLS",
                             ing->rule_hosts.empty() ? "" : " for hosts ",
                             ing->rule_hosts.empty() ? "" : hosts,
                             ": its traffic is served over plain HTTP");
    if (!ing->rule_hosts.empty()) a.AddField("hosts", hosts);
    out.Emit(std::move(a));
  }

  uint64_t events_not_judged() const override { return not_judged_; }

 private:
  DetectorInfo info_;
  uint64_t not_judged_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewIngressWithoutTls(DetectorParams&) {
  return std::make_unique<IngressWithoutTls>();
}

}  // namespace kaudit
