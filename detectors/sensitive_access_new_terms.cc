// Sensitive access with new terms (catalog C16, C29, C52: Elastic's "new terms" rules per
// action class). Per class of sensitive request, learns the values of a few attributes (terms)
// seen for that class and reports a request whose value was not seen for the class within
// `history` (7d), once `learning_period` (24h of event time from the first event) has passed:
//
//   forbidden_request (C16)  any request refused by authorization (decision forbid, or 403
//                            without a decision; admission refusals are not counted);
//                            term: user agent (Elastic: *Forbidden Request from Unusual User
//                            Agent*). Medium.
//   secret_access (C29)      get/list of secrets that was allowed; terms: user agent, source
//                            network, username (Elastic: *Secret Access via Unusual User
//                            Agent*). Low.
//   workload_change (C52)    allowed create/patch of daemonsets, deployments, cronjobs by an
//                            identity outside system:masters; terms: user agent, source
//                            network, username (Elastic: *Unusual Sensitive Workload
//                            Modification*). Low.
//
// Each term is judged on its own (a user agent never seen for secret access, a username never
// seen changing workloads, ...), unlike Elastic, whose multi-field rules alert on a new
// combination; one alert per request names every new term. Requests whose user agent matches
// `ignore_user_agents` (`*kubernetes/$Format`, unversioned builds, as Elastic excludes) are
// neither learned nor judged.
//
// Stateful and bounded: per class at most `max_values` learned values (least recently seen
// evicted, counted; an evicted value alerts again when next seen); values not seen within
// `history` expire. The learned values and the learning start survive a restart
// (engine.state_dir), like first_seen.
#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "detectors/common/client.h"
#include "detectors/common/matcher.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/keyed_state.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

enum Class : uint8_t { kForbidden = 0, kSecretAccess, kWorkloadChange, kNumClasses };
constexpr std::string_view kClassNames[kNumClasses] = {"forbidden_request", "secret_access",
                                                       "workload_change"};
constexpr std::string_view kClassLabels[kNumClasses] = {"refused requests", "secret reads",
                                                        "workload changes"};

enum Term : uint8_t { kUserAgent = 0, kSourceIp, kSourceNetwork, kUsername, kNumTerms };
constexpr std::string_view kTermNames[kNumTerms] = {"user_agent", "source_ip", "source_network",
                                                    "username"};

template <size_t N>
int IndexOf(const std::string_view (&names)[N], std::string_view s) {
  auto it = std::find(std::begin(names), std::end(names), s);
  return it == std::end(names) ? -1 : static_cast<int>(it - std::begin(names));
}

class SensitiveAccessNewTerms final : public Detector {
 public:
  struct Options {
    absl::Duration history = absl::Hours(24 * 7);
    absl::Duration learning_period = absl::Hours(24);
    size_t max_values = 10000;
    std::array<std::array<bool, kNumTerms>, kNumClasses> terms{};
    std::vector<std::string> workload_resources;
    std::vector<std::string> trusted_groups;
    std::unique_ptr<PatternSet> ignore_user_agents;
  };

  explicit SensitiveAccessNewTerms(Options o)
      : opts_(std::move(o)),
        seen_{BoundedLruMap<absl::Time>(opts_.max_values),
              BoundedLruMap<absl::Time>(opts_.max_values),
              BoundedLruMap<absl::Time>(opts_.max_values)} {
    info_.id = "sensitive_access_new_terms";
    info_.title = "Sensitive request with a never-seen user agent, address or user";
    info_.description =
        "After a learning period, a refused request, a secret read or a change of a "
        "DaemonSet/Deployment/CronJob came with a user agent, source network or username not "
        "seen for that kind of request in the history window: a new tool or a stolen "
        "credential at work.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1613", "T1552.007", "T1098.006", "T1610"};
    info_.catalog_ids = {"C16", "C29", "C52"};
    info_.interest.stages = Interest::OutcomeStages();
    info_.stateful = true;
  }

  const DetectorInfo& info() const override { return info_; }
  size_t state_entries() const override {
    size_t n = 0;
    for (const auto& s : seen_) n += s.size();
    return n;
  }
  uint64_t state_evictions() const override {
    uint64_t n = 0;
    for (const auto& s : seen_) n += s.evictions();
    return n;
  }
  bool persistent() const override { return true; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    Start(e.stage_timestamp);
    if (!e.first_outcome) return;
    int c = Classify(e);
    if (c < 0) return;
    if (opts_.ignore_user_agents && opts_.ignore_user_agents->Matches(e.HashedUserAgent())) return;
    const absl::Time t = e.stage_timestamp;
    const bool learning = t < start_ + opts_.learning_period;
    auto& values = values_;
    for (auto& v : values) v.clear();
    const auto& terms = opts_.terms[c];
    if (terms[kUserAgent]) values[kUserAgent].assign(e.user_agent);
    if (terms[kSourceIp]) values[kSourceIp].assign(e.SourceIp());
    if (terms[kSourceNetwork]) NetworkOf(e.SourceIp(), values[kSourceNetwork]);
    if (terms[kUsername]) values[kUsername].assign(e.Actor());
    fresh_.clear();
    for (int k = 0; k < kNumTerms; ++k) {
      if (values[k].empty()) continue;
      key_.clear();
      absl::StrAppend(&key_, ToAbsl(kTermNames[k]), "\x1f", values[k]);
      bool inserted = false;
      absl::Time& last = seen_[c].Touch(key_, &inserted);
      const bool fresh = inserted || t - last > opts_.history;
      if (inserted || t > last) last = t;
      if (fresh && !learning) fresh_.push_back(k);
    }
    if (fresh_.empty()) return;
    Alert a = MakeAlert(info_, e);
    a.severity = c == kForbidden ? Severity::kMedium : Severity::kLow;
    a.AddField("class", std::string(kClassNames[c]));
    std::vector<std::string> names, parts;
    for (int k : fresh_) {
      names.emplace_back(kTermNames[k]);
      a.AddField(std::string(kTermNames[k]), values[k]);
      parts.push_back(absl::StrCat(ToAbsl(kTermNames[k]), " '", values[k], "'"));
    }
    a.AddField("new_terms", absl::StrJoin(names, ","));
    a.AddField("learning_since", absl::FormatTime(start_));
    a.message = absl::StrCat(
        ActorLabel(e), " ", ToAbsl(PastTense(e.verb)), " ", TargetLabel(e),
        c == kForbidden ? " (refused)" : "", " with ", absl::StrJoin(parts, " and "),
        " never seen in ", ToAbsl(kClassLabels[c]), " within ", absl::FormatDuration(opts_.history),
        ": a new client, address or identity for a sensitive action (a new tool or a stolen "
        "credential)");
    out.Emit(std::move(a));
  }

  void OnWatermark(absl::Time watermark, AlertEmitter&) override {
    // End of input is not time passing: keep what was learned for SaveState.
    if (watermark == absl::InfiniteFuture()) return;
    Start(watermark);
    for (auto& s : seen_) {
      s.EraseOldestWhile([&](const absl::Time& t) { return t + opts_.history < watermark; });
    }
  }

  // Records: "start" <ns>; then "v" <class> <term> <value> <last seen ns>, per class least
  // recently seen first.
  absl::Status SaveState(StateWriter& w) const override {
    if (start_ != absl::InfinitePast()) w.Record({"start", TimeToField(start_)});
    for (int c = 0; c < kNumClasses; ++c) {
      seen_[c].ForEachOldestFirst([&](const std::string& key, const absl::Time& t) {
        size_t sep = key.find('\x1f');
        w.Record({kClassNames[c], std::string_view(key).substr(0, sep),
                  std::string_view(key).substr(sep + 1), TimeToField(t)});
      });
    }
    return absl::OkStatus();
  }

  absl::Status LoadState(StateReader& r) override {
    if (r.version() != 1) return r.Error(absl::StrCat("unknown version ", r.version()));
    std::vector<std::string> f;
    while (r.Next(&f)) {
      absl::Time t;
      if (f.size() == 2 && f[0] == "start" && TimeFromField(f[1], &t)) {
        start_ = t;
        continue;
      }
      int c = f.size() == 4 ? IndexOf(kClassNames, f[0]) : -1;
      int k = c >= 0 ? IndexOf(kTermNames, f[1]) : -1;
      if (k < 0 || !TimeFromField(f[3], &t)) {
        return r.Error(
            "expected: start <ns> | <forbidden_request|secret_access|workload_change> "
            "<term> <value> <last_seen_ns>");
      }
      if (!opts_.terms[c][k]) continue;  // a term no longer configured
      seen_[c].Touch(absl::StrCat(f[1], "\x1f", f[2])) = t;
    }
    return absl::OkStatus();
  }

 private:
  void Start(absl::Time t) {
    if (start_ == absl::InfinitePast() && t != absl::InfinitePast()) start_ = t;
  }

  bool Allowed(const AuditEvent& e) const {
    return e.response_code != 0 ? e.Succeeded() : e.decision == "allow";
  }

  int Classify(const AuditEvent& e) const {
    // Refused by authorization; a 403 from admission (decision allow) is not a refusal.
    if (e.decision == "forbid" || (e.decision.empty() && e.response_code == 403)) {
      return Enabled(kForbidden) ? kForbidden : -1;
    }
    if (!Allowed(e)) return -1;
    const std::string_view res = e.object.resource;
    if (res == "secrets" && e.object.subresource.empty() &&
        (e.verb == Verb::kGet || e.verb == Verb::kList)) {
      return Enabled(kSecretAccess) ? kSecretAccess : -1;
    }
    if ((e.verb == Verb::kCreate || e.verb == Verb::kPatch) && e.object.subresource != "status" &&
        Enabled(kWorkloadChange) &&
        std::find(opts_.workload_resources.begin(), opts_.workload_resources.end(), res) !=
            opts_.workload_resources.end()) {
      for (const auto& g : opts_.trusted_groups) {
        if (e.HasGroup(g)) return -1;
      }
      return kWorkloadChange;
    }
    return -1;
  }

  bool Enabled(int c) const {
    const auto& t = opts_.terms[c];
    return std::any_of(t.begin(), t.end(), [](bool b) { return b; });
  }

  DetectorInfo info_;
  Options opts_;
  std::array<BoundedLruMap<absl::Time>, kNumClasses> seen_;  // "<term>\x1f<value>" -> last seen
  absl::Time start_ = absl::InfinitePast();
  std::array<std::string, kNumTerms> values_;  // scratch, reused per event
  std::vector<int> fresh_;
  std::string key_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewSensitiveAccessNewTerms(DetectorParams& p) {
  SensitiveAccessNewTerms::Options o;
  KAUDIT_ASSIGN_OR_RETURN(o.history, p.Duration("history", absl::Hours(24 * 7), absl::Minutes(1),
                                                absl::Hours(24 * 90)));
  KAUDIT_ASSIGN_OR_RETURN(
      o.learning_period,
      p.Duration("learning_period", absl::Hours(24), absl::ZeroDuration(), absl::Hours(24 * 90)));
  KAUDIT_ASSIGN_OR_RETURN(int64_t max_values, p.Int("max_values", 10000, 1, 10000000));
  o.max_values = static_cast<size_t>(max_values);
  const std::vector<std::string> kDefaults[kNumClasses] = {
      {"user_agent"},
      {"user_agent", "source_network", "username"},
      {"user_agent", "source_network", "username"},
  };
  for (int c = 0; c < kNumClasses; ++c) {
    std::string key = absl::StrCat(ToAbsl(kClassNames[c]), ".terms");
    KAUDIT_ASSIGN_OR_RETURN(auto terms, p.List(key, kDefaults[c]));
    for (const auto& t : terms) {
      int k = IndexOf(kTermNames, t);
      if (k < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            p.KeyPath(key), ": expected user_agent, source_ip, source_network or username; got '",
            t, "'"));
      }
      o.terms[c][k] = true;
    }
  }
  KAUDIT_ASSIGN_OR_RETURN(o.workload_resources, p.List("workload_change.resources",
                                                       {"daemonsets", "deployments", "cronjobs"}));
  KAUDIT_ASSIGN_OR_RETURN(o.trusted_groups,
                          p.List("workload_change.trusted_groups", {"system:masters"}));
  KAUDIT_ASSIGN_OR_RETURN(o.ignore_user_agents,
                          PatternsParam(p, "ignore_user_agents", {".*kubernetes/\\$Format"}));
  return std::make_unique<SensitiveAccessNewTerms>(std::move(o));
}

}  // namespace kaudit
