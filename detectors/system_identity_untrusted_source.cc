// System identity used from an untrusted address (catalog C06): a node, control-plane
// component, kube-system service account or cloud system user (`system_users`) called the API
// from a source IP outside `trusted_cidrs` (the node, pod and control-plane networks). Those
// credentials live on the cluster's machines; used from elsewhere, they were stolen. Critical.
// With `admin_cidrs` (the admin networks or VPN people reach the API from, as hardening guides
// advise), a person (an identity that is neither `system:*` nor `eks:*`) calling from outside
// them is reported too, high. Loopback is always trusted. Both lists are empty by default,
// which keeps the detector quiet. One alert per (identity, address) per `repeat_window` (1h),
// at most `max_keys` remembered (LRU, counted).
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "detectors/common/burst.h"
#include "detectors/common/cidr.h"
#include "detectors/common/matcher.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/keyed_state.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class SystemIdentityUntrustedSource final : public Detector {
 public:
  SystemIdentityUntrustedSource(CidrList trusted, CidrList admin, std::unique_ptr<PatternSet> users,
                                RepeatGate repeat)
      : trusted_(std::move(trusted)),
        admin_(std::move(admin)),
        users_(std::move(users)),
        repeat_(std::move(repeat)) {
    info_.id = "system_identity_untrusted_source";
    info_.title = "System identity or person used from an untrusted address";
    info_.description =
        "A node, control-plane or kube-system identity called the API from outside the "
        "cluster's networks (its credential was taken off the machine it belongs to), or a "
        "person from outside the admin networks.";
    info_.severity = Severity::kCritical;
    info_.mitre = {"T1078.004", "T1528", "T1550.001"};
    info_.catalog_ids = {"C06"};
    // Without networks to judge against (or users to watch) there is nothing to judge: the
    // dispatcher shows it no event.
    if (WatchesSystem() || !admin_.empty()) info_.interest.stages = Interest::OutcomeStages();
    info_.activated_by = trusted_.empty() ? "trusted_cidrs or admin_cidrs" : "system_users";
    info_.stateful = repeat_.enabled();
  }

  const DetectorInfo& info() const override { return info_; }
  size_t state_entries() const override { return repeat_.size(); }
  uint64_t state_evictions() const override { return repeat_.evictions(); }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome) return;
    std::string_view ip = e.SourceIp();
    if (ip.empty() || IsLoopbackIp(ip)) return;
    bool person = false;
    if (WatchesSystem() && users_->Matches(e.HashedUsername())) {
      if (trusted_.Contains(ip)) return;
    } else if (!admin_.empty() && IsPerson(e.username)) {
      if (admin_.Contains(ip)) return;
      person = true;
    } else {
      return;
    }
    if (!repeat_.Pass(absl::StrCat(ToAbsl(e.username), "\x1f", ToAbsl(ip)), e.stage_timestamp)) {
      return;
    }
    Alert a = MakeAlert(info_, e);
    if (person) {
      a.severity = Severity::kHigh;
      a.message = absl::StrCat(ToAbsl(e.username), " called the API from ", ToAbsl(ip),
                               ", outside the admin networks (", ToAbsl(e.verb_text), " ",
                               ToAbsl(e.request_uri), ", ", e.response_code,
                               "): a person's credential used from where people do not work");
    } else {
      a.message = absl::StrCat("system identity ", ToAbsl(e.username), " called the API from ",
                               ToAbsl(ip), ", outside the trusted networks (", ToAbsl(e.verb_text),
                               " ", ToAbsl(e.request_uri), ", ", e.response_code,
                               "): a cluster credential used off its machine");
    }
    a.AddField("source_network", person ? "outside admin_cidrs" : "outside trusted_cidrs");
    out.Emit(std::move(a));
  }

 private:
  bool WatchesSystem() const { return !trusted_.empty() && users_ != nullptr; }
  // A person: not an identity of the cluster or its cloud (system:*, which takes in nodes,
  // service accounts and anonymous, or eks:*).
  static bool IsPerson(std::string_view user) {
    return !user.empty() && !user.starts_with("system:") && !user.starts_with("eks:");
  }

  DetectorInfo info_;
  CidrList trusted_;
  CidrList admin_;
  std::unique_ptr<PatternSet> users_;
  RepeatGate repeat_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewSystemIdentityUntrustedSource(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(auto list, p.List("trusted_cidrs", {}));
  KAUDIT_ASSIGN_OR_RETURN(CidrList trusted, CidrList::Parse(list, p.KeyPath("trusted_cidrs")));
  KAUDIT_ASSIGN_OR_RETURN(auto admin_list, p.List("admin_cidrs", {}));
  KAUDIT_ASSIGN_OR_RETURN(CidrList admin, CidrList::Parse(admin_list, p.KeyPath("admin_cidrs")));
  KAUDIT_ASSIGN_OR_RETURN(auto users,
                          PatternsParam(p, "system_users",
                                        {"system:node:.*", "system:kube-.*", "system:apiserver",
                                         "system:serviceaccount:kube-system:.*", "eks:.*"}));
  KAUDIT_ASSIGN_OR_RETURN(RepeatGate repeat, RepeatGateParams(p));
  return std::make_unique<SystemIdentityUntrustedSource>(std::move(trusted), std::move(admin),
                                                         std::move(users), std::move(repeat));
}

}  // namespace kaudit
