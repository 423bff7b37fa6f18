// Role change then workload change (catalog C84): an identity creates or changes a Role or
// ClusterRole and then, within `window` (5m) of event time, creates or patches a DaemonSet,
// Deployment, StatefulSet or CronJob: granting a service account new powers and deploying the
// code that uses them. Identities in system:masters are skipped (as in Elastic's rule: they
// need no role change). Stateful and bounded: the last role change per identity, at most
// `max_identities` (LRU, evictions counted). One alert per role change. Medium.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "detectors/common/rbac.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/keyed_state.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

struct RoleChange {
  std::string role;  // "ClusterRole x"
  std::string audit_id;
  absl::Time at = absl::InfinitePast();
};

class RoleThenWorkload final : public Detector {
 public:
  RoleThenWorkload(absl::Duration window, size_t max_identities)
      : window_(window), changes_(max_identities) {
    info_.id = "role_then_workload";
    info_.title = "Role change followed by a workload change";
    info_.description =
        "An identity changed a Role or ClusterRole and then created or patched a workload "
        "within minutes: new powers granted and code deployed to use them.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1098.006", "T1610"};
    info_.catalog_ids = {"C84"};
    info_.interest.verbs = Interest::WriteVerbs();
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"roles",       "clusterroles", "daemonsets",
                                "deployments", "statefulsets", "cronjobs"};
    info_.stateful = true;
  }

  const DetectorInfo& info() const override { return info_; }
  size_t state_entries() const override { return changes_.size(); }
  uint64_t state_evictions() const override { return changes_.evictions(); }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded() || !e.object.subresource.empty()) return;
    if (e.HasGroup("system:masters")) return;
    std::string_view r = e.object.resource;
    if (r == "roles" || r == "clusterroles") {
      RoleChange& c = changes_.Touch(e.Actor());
      c.role = RoleLabel(e);
      c.audit_id = std::string(e.audit_id);
      c.at = e.stage_timestamp;
      return;
    }
    if (e.verb == Verb::kUpdate) return;  // create and patch, as the vendors' rules
    RoleChange* c = changes_.Find(e.Actor());
    if (c == nullptr) return;
    absl::Duration after = e.stage_timestamp - c->at;
    if (after < absl::ZeroDuration() || after > window_) return;
    Alert a = MakeSequenceAlert(info_, e, c->audit_id, c->at);
    a.AddField("role", c->role);
    a.AddField("seconds_after_role_change", absl::StrCat(absl::ToInt64Seconds(after)));
    a.message =
        absl::StrCat(ActorLabel(e), " changed ", c->role, " and ", ToAbsl(PastTense(e.verb)), " ",
                     ToAbsl(r), " ", ObjectLabel(e), " ", absl::FormatDuration(after),
                     " later: new powers granted and code deployed to use them");
    out.Emit(std::move(a));
    changes_.Erase(e.Actor());
  }

  void OnWatermark(absl::Time watermark, AlertEmitter& out) override {
    changes_.EraseOldestWhile([&](const RoleChange& c) { return c.at + window_ < watermark; });
  }

 private:
  DetectorInfo info_;
  absl::Duration window_;
  BoundedLruMap<RoleChange> changes_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewRoleThenWorkload(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(absl::Duration window, p.Duration("window", absl::Minutes(5),
                                                            absl::Seconds(1), absl::Hours(24)));
  KAUDIT_ASSIGN_OR_RETURN(int64_t max_ids, p.Int("max_identities", 100000, 1, 100000000));
  return std::make_unique<RoleThenWorkload>(window, static_cast<size_t>(max_ids));
}

}  // namespace kaudit
