// Secret or ConfigMap access through the Azure Arc Cluster Connect proxy (catalog C30; Elastic
// *Kubernetes Secret or ConfigMap Access via Azure Arc Proxy*). Cluster Connect forwards a
// caller's kubectl requests to the API server as the service account
// `system:serviceaccount:azure-arc:*` impersonating the caller's Entra ID identity, so the real
// actor is impersonatedUser. A read or write of secrets/configmaps this way, outside the Arc
// agent's own namespaces (azure-arc, azure-arc-release, kube-system) and Helm release secrets
// (`sh.helm.release.v1.*`), is reported once per impersonated user when that user made no such
// access within `window` (5d: Elastic alerts when a user's first such access in its 5-day
// look-back is recent). Medium.
//
// Stateful and bounded: last access per impersonated user, at most `max_users` (least recently
// seen evicted, counted), forgotten after `window`; persisted in engine.state_dir so a restart
// does not alert again for users already seen.
#include <algorithm>
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

class ArcProxySecretAccess final : public Detector {
 public:
  struct Options {
    absl::Duration window = absl::Hours(24 * 5);
    size_t max_users = 100000;
    std::unique_ptr<PatternSet> proxy_users;
    std::vector<std::string> resources;
    std::vector<std::string> ignore_namespaces;
    std::vector<std::string> ignore_name_prefixes;
  };

  explicit ArcProxySecretAccess(Options o) : opts_(std::move(o)), last_(opts_.max_users) {
    info_.id = "arc_proxy_secret_access";
    info_.title = "Secret or ConfigMap accessed through the Azure Arc proxy";
    info_.description =
        "A user reached secrets or configmaps through the Azure Arc Cluster Connect proxy "
        "(the azure-arc service account impersonating them) for the first time in the window: "
        "credential access from outside the cluster network that RBAC logs under a proxy "
        "identity.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1552.007", "T1213", "T1530", "T1565.001"};
    info_.catalog_ids = {"C30"};
    info_.interest.verbs = Interest::Verbs(
        {Verb::kGet, Verb::kList, Verb::kCreate, Verb::kUpdate, Verb::kPatch, Verb::kDelete});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = opts_.resources;
    info_.stateful = true;
  }

  const DetectorInfo& info() const override { return info_; }
  size_t state_entries() const override { return last_.size(); }
  uint64_t state_evictions() const override { return last_.evictions(); }
  bool persistent() const override { return true; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || e.impersonated_user.empty()) return;
    if (!opts_.proxy_users || !opts_.proxy_users->Matches(e.HashedUsername())) return;
    const std::string_view ns = e.object.namespace_;
    for (const auto& n : opts_.ignore_namespaces) {
      if (ns == n) return;
    }
    for (const auto& prefix : opts_.ignore_name_prefixes) {
      if (StartsWith(e.object.name, prefix)) return;
    }
    const absl::Time t = e.stage_timestamp;
    bool inserted = false;
    absl::Time& last = last_.Touch(e.impersonated_user, &inserted);
    const bool fresh = inserted || t - last > opts_.window;
    if (inserted || t > last) last = t;
    if (!fresh) return;
    Alert a = MakeAlert(info_, e);
    a.AddField("impersonated_user", std::string(e.impersonated_user));
    a.AddField("proxy", std::string(e.username));
    a.message = absl::StrCat(
        ToAbsl(e.impersonated_user), " ", ToAbsl(PastTense(e.verb)), " ", TargetLabel(e),
        " through the Azure Arc Cluster Connect proxy (", ToAbsl(e.username),
        "), its first such access in ", absl::FormatDuration(opts_.window),
        ": secrets reached from outside the cluster network under a proxy identity");
    out.Emit(std::move(a));
  }

  void OnWatermark(absl::Time watermark, AlertEmitter&) override {
    // End of input is not time passing: keep the last accesses for SaveState.
    if (watermark == absl::InfiniteFuture()) return;
    last_.EraseOldestWhile([&](const absl::Time& t) { return t + opts_.window < watermark; });
  }

  // Records: "u" <impersonated user> <last access ns>, least recent first.
  absl::Status SaveState(StateWriter& w) const override {
    last_.ForEachOldestFirst([&](const std::string& user, const absl::Time& t) {
      w.Record({"u", user, TimeToField(t)});
    });
    return absl::OkStatus();
  }

  absl::Status LoadState(StateReader& r) override {
    if (r.version() != 1) return r.Error(absl::StrCat("unknown version ", r.version()));
    std::vector<std::string> f;
    while (r.Next(&f)) {
      absl::Time t;
      if (f.size() != 3 || f[0] != "u" || !TimeFromField(f[2], &t)) {
        return r.Error("expected: u <impersonated user> <last_access_ns>");
      }
      last_.Touch(f[1]) = t;
    }
    return absl::OkStatus();
  }

 private:
  DetectorInfo info_;
  Options opts_;
  BoundedLruMap<absl::Time> last_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewArcProxySecretAccess(DetectorParams& p) {
  ArcProxySecretAccess::Options o;
  KAUDIT_ASSIGN_OR_RETURN(
      o.window, p.Duration("window", absl::Hours(24 * 5), absl::Minutes(1), absl::Hours(24 * 90)));
  KAUDIT_ASSIGN_OR_RETURN(int64_t max_users, p.Int("max_users", 100000, 1, 100000000));
  o.max_users = static_cast<size_t>(max_users);
  KAUDIT_ASSIGN_OR_RETURN(o.proxy_users,
                          PatternsParam(p, "proxy_users", {"system:serviceaccount:azure-arc:.*"}));
  KAUDIT_ASSIGN_OR_RETURN(o.resources, p.List("resources", {"secrets", "configmaps"}));
  KAUDIT_ASSIGN_OR_RETURN(
      o.ignore_namespaces,
      p.List("ignore_namespaces", {"azure-arc", "azure-arc-release", "kube-system"}));
  KAUDIT_ASSIGN_OR_RETURN(o.ignore_name_prefixes,
                          p.List("ignore_name_prefixes", {"sh.helm.release.v1"}));
  return std::make_unique<ArcProxySecretAccess>(std::move(o));
}

}  // namespace kaudit
