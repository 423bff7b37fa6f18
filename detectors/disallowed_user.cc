// Request by a user outside the allow-list (Falco's Disallowed K8s User): every request
// (judged once) by a non-system user (not system:*) whose name matches none of the allowed
// users (RE2 patterns; Falco's default list: minikube, minikube-user, kubelet, kops, admin,
// kube, kube-proxy, kube-apiserver-healthcheck, kubernetes-admin, the VPA and
// cluster-autoscaler users, cloud-controller-manager, and EKS's eks:* users). Meant for
// clusters whose human and CI identities are known; low severity. One alert per user per
// `repeat_window` of event time (default 1h; 0s: every request), remembered for at most
// `max_users` users (LRU, evictions counted).
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "detectors/common/matcher.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/keyed_state.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class DisallowedUser final : public Detector {
 public:
  DisallowedUser(std::unique_ptr<PatternSet> allowed, absl::Duration repeat_window,
                 int64_t max_users)
      : allowed_(std::move(allowed)), repeat_(repeat_window, static_cast<size_t>(max_users)) {
    info_.id = "disallowed_user";
    info_.title = "Request by a user outside the allow-list";
    info_.description =
        "A user that is not a system component and not on the allowed users list made a "
        "request: an unknown identity is using the API.";
    info_.severity = Severity::kLow;
    info_.mitre = {"T1078"};
    info_.catalog_ids = {"C07"};
    info_.interest.stages = Interest::OutcomeStages();
    info_.stateful = repeat_.enabled();
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome) return;
    std::string_view user = e.username;
    if (user.empty() || StartsWith(user, "system:")) return;
    if (allowed_ && allowed_->Matches(e.HashedUsername())) return;
    if (!repeat_.Pass(user, e.stage_timestamp)) return;
    Alert a = MakeAlert(info_, e);
    std::string target = TargetLabel(e);
    a.message = absl::StrCat("user ", ToAbsl(user), ", not on the allowed users list, ",
                             ToAbsl(e.verb_text), " ", target, " (", e.response_code,
                             "): an unknown identity is using the API");
    out.Emit(std::move(a));
  }

  size_t state_entries() const override { return repeat_.size(); }
  uint64_t state_evictions() const override { return repeat_.evictions(); }

 private:
  DetectorInfo info_;
  std::unique_ptr<PatternSet> allowed_;
  RepeatGate repeat_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewDisallowedUser(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(
      auto list,
      p.List("allowed_users",
             {"minikube", "minikube-user", "kubelet", "kops", "admin", "kube", "kube-proxy",
              "kube-apiserver-healthcheck", "kubernetes-admin", "vpa-recommender", "vpa-updater",
              "cluster-autoscaler", "cloud-controller-manager", "eks:.*"}));
  std::unique_ptr<PatternSet> set;
  if (!list.empty()) {
    KAUDIT_ASSIGN_OR_RETURN(set, PatternSet::Create(list, p.KeyPath("allowed_users")));
  }
  KAUDIT_ASSIGN_OR_RETURN(auto window, p.Duration("repeat_window", absl::Hours(1),
                                                  absl::ZeroDuration(), absl::Hours(24 * 7)));
  KAUDIT_ASSIGN_OR_RETURN(int64_t max_users, p.Int("max_users", 10000, 1, 10000000));
  return std::make_unique<DisallowedUser>(std::move(set), window, max_users);
}

}  // namespace kaudit
