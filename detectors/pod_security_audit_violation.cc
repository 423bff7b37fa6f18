// Pod Security admission audit violation (catalog C58): the apiserver's own
// pod-security.kubernetes.io/audit-violations annotation on a request, which Pod Security
// admission adds when an object violates the namespace's `audit` level. Medium when the
// violated level is baseline (or privileged), low for restricted.
#include <memory>

#include "absl/strings/str_cat.h"
#include "detectors/common/util.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class PodSecurityAuditViolation final : public Detector {
 public:
  PodSecurityAuditViolation() {
    info_.id = "pod_security_audit_violation";
    info_.title = "Pod Security admission audit violation";
    info_.description =
        "The apiserver's Pod Security admission annotated a request as violating the "
        "namespace's audit level: a workload weaker than the cluster's policy was admitted.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1610", "T1611"};
    info_.catalog_ids = {"C58"};
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.traits = EventTrait::kPodSecurityViolation;
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || e.pod_security_audit_violations.empty()) return;
    std::string_view v = e.pod_security_audit_violations;
    bool restricted_only = v.find("\"restricted") != std::string_view::npos &&
                           v.find("\"baseline") == std::string_view::npos;
    Alert a = MakeAlert(info_, e);
    a.severity = restricted_only ? Severity::kLow : Severity::kMedium;
    a.AddField("violations", std::string(v));
    a.message =
        absl::StrCat(ActorLabel(e), " ", ToAbsl(PastTense(e.verb)), " ", ToAbsl(e.object.resource),
                     " ", ObjectLabel(e), ", which Pod Security admission reports: ", ToAbsl(v));
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewPodSecurityAuditViolation(DetectorParams&) {
  return std::make_unique<PodSecurityAuditViolation>();
}

}  // namespace kaudit
