// Permission enumeration (catalog C12, C13, C14): one identity walks the API to learn what it
// may do. Stateful, over a sliding event-time `window` (default 5m), per key: the acting
// identity and its source IP, or for anonymous clients the source IP and user agent. Alerts
// (one per key per window) when, within the window:
//   denied:    refused on `denied_paths` (10) distinct paths or `denied_resources` (4)
//              distinct resource kinds (C12: Datadog, Elastic AKS/GKE);
//   mixed:     allowed and refused, on `mixed_paths` (6) distinct paths across
//              `mixed_resources` (4) distinct resource kinds (C13: Elastic);
//   anonymous: an anonymous client on `mixed_paths` distinct paths across `mixed_resources`
//              kinds with at least one refusal or 3 distinct 404s (C14: Elastic).
// Only resource requests count (discovery endpoints are not enumeration). Distinct counts are
// exact while the bounds hold: `max_keys` keys (LRU) and 256 values per key (oldest dropped),
// both counted as evictions. Medium. The path thresholds (`denied_paths`, `mixed_paths`) are
// floors: after a learning period a per-key baseline of the key's usual distinct (refused)
// paths per window can raise them (BurstBaseline in detectors/common/burst.h, persisted).
#include <array>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "detectors/common/burst.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/keyed_state.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

// Value tags in the per-key distinct set (DistinctWindowCounter::Options::tagged).
enum Tag : char {
  kPath,
  kResource,
  kDeniedPath,
  kDeniedResource,
  kNotFound,
  kAllowed,
  kDenied,
};
static_assert(kDenied < DistinctWindowCounter::kMaxTags);

struct Thresholds {
  size_t denied_paths = 10, denied_resources = 4, mixed_paths = 6, mixed_resources = 4;
};

class PermissionEnumeration final : public Detector {
 public:
  PermissionEnumeration(Thresholds t, DistinctWindowCounter::Options o, BurstBaseline::Options b)
      : t_(t), counter_(o), baseline_(b, o.window) {
    info_.id = "permission_enumeration";
    info_.title = "Permission enumeration";
    info_.description =
        "One identity (or anonymous client) tried many distinct API endpoints and resource "
        "kinds within minutes, many of them refused: a stolen token or a scanner mapping what "
        "it may do.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1613", "T1069", "T1595.003"};
    info_.catalog_ids = {"C12", "C13", "C14", "S8"};  // S8: per-key baselines
    info_.interest.stages = Interest::OutcomeStages();
    info_.stateful = true;
    info_.default_allow_users = {"system:node:[^:]+", "system:serviceaccount:kube-system:.*",
                                 "system:kube-scheduler", "system:kube-controller-manager",
                                 "system:apiserver"};
  }

  const DetectorInfo& info() const override { return info_; }
  size_t state_entries() const override { return counter_.size() + baseline_.size(); }
  uint64_t state_evictions() const override { return counter_.evictions() + baseline_.evictions(); }
  bool persistent() const override { return baseline_.enabled(); }
  absl::Status SaveState(StateWriter& out) const override {
    baseline_.Save(out);
    return absl::OkStatus();
  }
  absl::Status LoadState(StateReader& in) override { return baseline_.Load(in); }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || e.object.resource.empty()) return;
    const bool denied = e.decision == "forbid" || e.response_code == 401 || e.response_code == 403;
    const bool anonymous = e.IsAnonymous();
    key_.clear();
    if (anonymous) {
      absl::StrAppend(&key_, "anonymous\x1f", ToAbsl(e.SourceIp()), "\x1f", ToAbsl(e.user_agent));
    } else {
      absl::StrAppend(&key_, ToAbsl(e.Actor()), "\x1f", ToAbsl(e.SourceIp()));
    }
    std::string_view path = e.request_uri.substr(0, e.request_uri.find('?'));
    const absl::Time t = e.stage_timestamp;
    DistinctWindowCounter::KeyState& st = counter_.Touch(key_, t);  // one lookup per event
    Add(st, kPath, path, t, e.audit_id);
    Add(st, denied ? kDenied : kAllowed, {}, t, {});
    if (denied) {
      Add(st, kDeniedPath, path, t, {});
      Add(st, kDeniedResource, e.object.resource, t, {});
    }
    if (e.response_code == 404) Add(st, kNotFound, path, t, {});
    Add(st, kResource, e.object.resource, t, {});
    const auto& n = st.tagged;
    // Per-key baselines of distinct refused paths and distinct paths (keys prefixed d / m).
    bool ready = false;
    base_key_.clear();
    base_key_.push_back('d');
    base_key_.append(key_);
    const size_t denied_paths =
        baseline_.Observe(base_key_, n[kDeniedPath], t, t_.denied_paths, &ready);
    const bool denied_ready = ready;
    base_key_[0] = 'm';
    const size_t mixed_paths = baseline_.Observe(base_key_, n[kPath], t, t_.mixed_paths, &ready);
    const bool mixed_ready = ready;
    if (t < st.quiet_until) return;
    std::string_view kind;
    if (!anonymous &&
        (n[kDeniedPath] >= denied_paths || n[kDeniedResource] >= t_.denied_resources)) {
      kind = "denied";
    } else if (n[kPath] >= mixed_paths && n[kResource] >= t_.mixed_resources) {
      if (anonymous && (n[kDenied] > 0 || n[kNotFound] >= 3)) {
        kind = "anonymous";
      } else if (!anonymous && n[kDenied] > 0 && n[kAllowed] > 0) {
        kind = "mixed";
      }
    }
    if (kind.empty()) return;
    Alert a = MakeBurstAlert(info_, e, st, st.audit_ids.size());
    a.AddField("pattern", std::string(kind));
    a.AddField("distinct_paths", absl::StrCat(n[kPath]));
    a.AddField("distinct_resources", absl::StrCat(n[kResource]));
    a.AddField("denied_paths", absl::StrCat(n[kDeniedPath]));
    a.AddField("denied_resources", absl::StrCat(n[kDeniedResource]));
    if (denied_paths > t_.denied_paths) {
      a.AddField("learned_denied_paths", absl::StrCat(denied_paths));
    }
    if (mixed_paths > t_.mixed_paths) a.AddField("learned_mixed_paths", absl::StrCat(mixed_paths));
    std::string who = anonymous ? absl::StrCat("an anonymous client from ", ToAbsl(e.SourceIp()),
                                               " (", ToAbsl(e.user_agent), ")")
                                : ActorLabel(e);
    a.message = absl::StrCat(who, " tried ", n[kPath], " distinct paths across ", n[kResource],
                             " resource kinds in ", absl::FormatDuration(counter_.options().window),
                             ", refused on ", n[kDeniedPath], " paths (", n[kDeniedResource],
                             " kinds): mapping what it may do in the cluster");
    out.Emit(std::move(a));
    if (denied_ready) baseline_.MarkAlerted(absl::StrCat("d", key_));
    if (mixed_ready) baseline_.MarkAlerted(absl::StrCat("m", key_));
    QuietAfterAlert(counter_, st, t);
  }

  void OnWatermark(absl::Time watermark, AlertEmitter& out) override { counter_.Expire(watermark); }

 private:
  void Add(DistinctWindowCounter::KeyState& st, Tag tag, std::string_view v, absl::Time t,
           std::string_view audit_id) {
    value_.assign(1, tag);
    value_.append(v);
    counter_.AddValue(st, value_, t, audit_id);
  }

  DetectorInfo info_;
  Thresholds t_;
  DistinctWindowCounter counter_;
  BurstBaseline baseline_;
  std::string key_, value_, base_key_;  // reused buffers
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewPermissionEnumeration(DetectorParams& p) {
  Thresholds t;
  KAUDIT_ASSIGN_OR_RETURN(int64_t dp, p.Int("denied_paths", 10, 2, 100));
  KAUDIT_ASSIGN_OR_RETURN(int64_t dr, p.Int("denied_resources", 4, 2, 100));
  KAUDIT_ASSIGN_OR_RETURN(int64_t mp, p.Int("mixed_paths", 6, 2, 100));
  KAUDIT_ASSIGN_OR_RETURN(int64_t mr, p.Int("mixed_resources", 4, 2, 100));
  t.denied_paths = dp;
  t.denied_resources = dr;
  t.mixed_paths = mp;
  t.mixed_resources = mr;
  KAUDIT_ASSIGN_OR_RETURN(BurstBaseline::Options b, BaselineParams(p));
  KAUDIT_ASSIGN_OR_RETURN(DistinctWindowCounter::Options o,
                          WindowParams(p, absl::Minutes(5), absl::Hours(24), 256));
  o.tagged = true;
  return std::make_unique<PermissionEnumeration>(t, o, b);
}

}  // namespace kaudit
