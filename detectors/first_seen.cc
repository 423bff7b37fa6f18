// First seen (DETECTIONS.md stateful #8): per identity, after a learning period, a request
// from a source network (IPv4 /24, IPv6 /64), a user-agent family (kubectl, client-go, curl,
// ...), a namespace, or a verb x resource the identity never used before. Service accounts
// only by default (their behaviour is stable; humans are noisy): `include_users: true` adds
// every other authenticated identity. A stolen token used from a laptop shows up as a new
// network and a new client for that service account.
//
// Stateful and bounded: at most `max_identities` identities (least recently active evicted,
// counted) with at most `max_values` learned values each (past it the identity stops learning
// and the overflow is counted; nothing alerts for it). The learned sets survive a restart
// (engine.state_dir), so a restarted kaudit neither re-learns nor re-alerts.
#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "detectors/common/client.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/keyed_state.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

enum Kind : uint8_t { kNetwork = 0, kAgent, kNamespace, kVerbResource, kNumKinds };
constexpr std::string_view kKindNames[kNumKinds] = {"source_network", "user_agent", "namespace",
                                                    "verb_resource"};

struct Identity {
  absl::Time first_seen = absl::InfinitePast();
  absl::flat_hash_set<std::string, StringHash, StringEq> values;  // "<kind>\x1f<value>"
  // The value of each kind in this identity's last event, when it is in `values`: an identity
  // mostly repeats its network, agent and namespace, and a comparison is cheaper than building
  // and hashing the set key. (Values are never removed from `values`.)
  std::array<std::string, kNumKinds> last;
};

class FirstSeen final : public Detector {
 public:
  struct Options {
    absl::Duration learning_period = absl::Hours(24);
    bool include_users = false;
    size_t max_identities = 100000;
    size_t max_values = 1000;
    std::array<bool, kNumKinds> kinds{true, true, true, true};
  };

  explicit FirstSeen(Options o) : opts_(o), ids_(o.max_identities) {
    info_.id = "first_seen";
    info_.title = "Identity seen with something new";
    info_.description =
        "After a learning period, a service account (or user) made a request from a network, "
        "with a client, in a namespace or with a verb on a resource never seen for it: a "
        "stolen token used elsewhere or an identity doing something new.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1078", "T1550.001"};
    info_.catalog_ids = {"S9", "C17", "C85"};  // stateful #9; new-terms / baselines (not ML)
    info_.interest.stages = Interest::OutcomeStages();
    info_.stateful = true;
    info_.default_allow_users = {"system:node:[^:]+"};
  }

  const DetectorInfo& info() const override { return info_; }
  size_t state_entries() const override { return ids_.size(); }
  uint64_t state_evictions() const override { return ids_.evictions() + overflow_; }
  bool persistent() const override { return true; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || e.IsAnonymous()) return;
    if (e.response_code >= 400 || (e.response_code == 0 && e.decision != "allow")) return;
    std::string_view who = e.Actor();
    const bool sa = StartsWith(who, "system:serviceaccount:");
    if (!sa && !opts_.include_users) return;
    bool inserted = false;
    Identity& id = ids_.Touch(who, &inserted);
    if (inserted) id.first_seen = e.stage_timestamp;
    const bool learning = e.stage_timestamp < id.first_seen + opts_.learning_period;

    auto& values = values_;
    for (auto& v : values) v.clear();
    if (opts_.kinds[kNetwork]) NetworkOf(e.SourceIp(), values[kNetwork]);
    if (opts_.kinds[kAgent]) AgentFamily(e.user_agent, values[kAgent]);
    if (opts_.kinds[kNamespace]) values[kNamespace].assign(e.object.namespace_);
    if (opts_.kinds[kVerbResource] && e.has_object_ref && !e.object.resource.empty()) {
      absl::StrAppend(&values[kVerbResource], ToAbsl(e.verb_text), " ", ToAbsl(e.object.resource),
                      e.object.subresource.empty() ? "" : "/", ToAbsl(e.object.subresource));
    }
    for (int k = 0; k < kNumKinds; ++k) {
      if (values[k].empty() || values[k] == id.last[k]) continue;
      std::string& v = scratch_;
      v.clear();
      absl::StrAppend(&v, ToAbsl(kKindNames[k]), "\x1f", values[k]);
      if (id.values.contains(v)) {
        id.last[k] = values[k];
        continue;
      }
      if (id.values.size() >= opts_.max_values) {
        ++overflow_;
        continue;
      }
      id.values.insert(v);
      id.last[k] = values[k];
      if (learning) continue;
      Alert a = MakeAlert(info_, e);
      a.severity = (k == kNetwork || k == kAgent) ? Severity::kMedium : Severity::kLow;
      a.AddField("new", std::string(kKindNames[k]));
      a.AddField("value", values[k]);
      a.AddField("known_since", absl::FormatTime(id.first_seen));
      a.message =
          absl::StrCat(ActorLabel(e), " ", ToAbsl(PastTense(e.verb)), " ", ObjectLabel(e),
                       " with a ", ToAbsl(kKindNames[k]), " never seen for it (", values[k],
                       ") after learning since ", absl::FormatTime(id.first_seen),
                       ": a stolen credential used elsewhere, or an identity doing something new");
      out.Emit(std::move(a));
    }
  }

  absl::Status SaveState(StateWriter& w) const override {
    // Records: "i", identity, first_seen_ns, value...  (one per identity)
    std::vector<std::string> rec;
    ids_.ForEachOldestFirst([&](const std::string& who, const Identity& id) {
      rec.clear();
      rec.push_back("i");
      rec.push_back(who);
      rec.push_back(TimeToField(id.first_seen));
      std::vector<std::string> sorted(id.values.begin(), id.values.end());
      std::sort(sorted.begin(), sorted.end());
      for (auto& v : sorted) rec.push_back(std::move(v));
      w.RecordFields(rec);
    });
    return absl::OkStatus();
  }

  absl::Status LoadState(StateReader& r) override {
    if (r.version() != 1) return r.Error(absl::StrCat("unknown version ", r.version()));
    std::vector<std::string> f;
    while (r.Next(&f)) {
      absl::Time t;
      if (f.size() < 3 || f[0] != "i" || !TimeFromField(f[2], &t)) {
        return r.Error("expected: i <identity> <first_seen_ns> <values...>");
      }
      Identity& id = ids_.Touch(f[1]);
      id.first_seen = t;
      for (size_t i = 3; i < f.size() && id.values.size() < opts_.max_values; ++i) {
        id.values.insert(std::move(f[i]));
      }
    }
    return absl::OkStatus();
  }

 private:
  DetectorInfo info_;
  Options opts_;
  BoundedLruMap<Identity> ids_;
  uint64_t overflow_ = 0;
  std::array<std::string, kNumKinds> values_;  // scratch, reused per event
  std::string scratch_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewFirstSeen(DetectorParams& p) {
  FirstSeen::Options o;
  KAUDIT_ASSIGN_OR_RETURN(
      o.learning_period,
      p.Duration("learning_period", absl::Hours(24), absl::ZeroDuration(), absl::Hours(24 * 90)));
  KAUDIT_ASSIGN_OR_RETURN(o.include_users, p.Bool("include_users", false));
  KAUDIT_ASSIGN_OR_RETURN(int64_t max_ids, p.Int("max_identities", 100000, 1, 100000000));
  KAUDIT_ASSIGN_OR_RETURN(int64_t max_values, p.Int("max_values", 1000, 1, 1000000));
  o.max_identities = static_cast<size_t>(max_ids);
  o.max_values = static_cast<size_t>(max_values);
  KAUDIT_ASSIGN_OR_RETURN(auto kinds, p.List("attributes", {"source_network", "user_agent",
                                                            "namespace", "verb_resource"}));
  o.kinds = {false, false, false, false};
  for (const auto& k : kinds) {
    auto it = std::find(std::begin(kKindNames), std::end(kKindNames), k);
    if (it == std::end(kKindNames)) {
      return absl::InvalidArgumentError(absl::StrCat(
          p.KeyPath("attributes"),
          ": expected source_network, user_agent, namespace or verb_resource; got '", k, "'"));
    }
    o.kinds[it - std::begin(kKindNames)] = true;
  }
  return std::make_unique<FirstSeen>(o);
}

}  // namespace kaudit
