// Role diff (DETECTIONS.md stateful #5): when a Role or ClusterRole is updated or patched,
// alert on the permissions the change adds compared with the last known rules of that role
// (learned from its create, earlier updates, or reads that return it). A quiet way to escalate:
// widen an existing, already bound role instead of creating a new binding. Roles with an
// aggregationRule are rewritten by the aggregation controller and only learned.
//
// Stateful and bounded: last-known rules of at most `max_roles` roles (least recently touched
// evicted, counted), at most `max_rules` rules each (the rest dropped and counted). The state
// survives a restart (engine.state_dir).
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "detectors/common/rbac.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/keyed_state.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

constexpr char kSep = '\x1f';

struct Rule {
  std::vector<std::string> verbs, groups, resources, names, urls;
};
using Rules = std::vector<Rule>;

std::vector<std::string> Own(const std::vector<std::string_view>& v) {
  return std::vector<std::string>(v.begin(), v.end());
}

bool Has(const std::vector<std::string>& list, std::string_view s) {
  for (const auto& x : list) {
    if (x == "*" || x == s) return true;
  }
  return false;
}

// One permission: a verb on group/resource[/name], or a verb on a non-resource URL.
struct Atom {
  std::string verb, group, resource, name, url;
  std::string Text() const {
    if (!url.empty()) return absl::StrCat(verb, " ", url);
    return absl::StrCat(verb, " ", resource, group.empty() ? "" : ".", group,
                        name.empty() ? "" : absl::StrCat(" name=", name));
  }
};

bool Covers(const Rule& r, const Atom& a) {
  if (!Has(r.verbs, a.verb)) return false;
  if (!a.url.empty()) {
    for (const auto& u : r.urls) {
      if (u == a.url || u == "*" ||
          (EndsWith(u, "*") && StartsWith(a.url, std::string_view(u).substr(0, u.size() - 1)))) {
        return true;
      }
    }
    return false;
  }
  if (!Has(r.groups, a.group) || !Has(r.resources, a.resource)) return false;
  if (r.names.empty()) return true;
  return !a.name.empty() && Has(r.names, a.name);
}

class RoleDiff final : public Detector {
 public:
  RoleDiff(size_t max_roles, size_t max_rules) : max_rules_(max_rules), roles_(max_roles) {
    info_.id = "role_diff";
    info_.title = "Permissions added to an existing role";
    info_.description =
        "An update or patch added permissions to a Role or ClusterRole compared with its last "
        "known rules: every subject already bound to it silently gains them.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1098", "T1078.004"};
    info_.catalog_ids = {"S6"};  // DETECTIONS.md stateful #6
    info_.interest.verbs =
        Interest::Verbs({Verb::kCreate, Verb::kUpdate, Verb::kPatch, Verb::kDelete, Verb::kGet});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"roles", "clusterroles"};
    info_.stateful = true;
  }

  const DetectorInfo& info() const override { return info_; }
  size_t state_entries() const override { return roles_.size(); }
  uint64_t state_evictions() const override { return roles_.evictions() + dropped_; }
  uint64_t events_not_judged() const override { return not_judged_; }
  bool persistent() const override { return true; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded() || !e.object.subresource.empty()) return;
    std::string name(e.object.name);
    const RoleView* resp = e.ResponseRole();
    if (name.empty() && resp != nullptr) name = std::string(resp->meta.name);
    if (name.empty()) return;
    std::string key = e.object.resource == "clusterroles"
                          ? absl::StrCat("ClusterRole ", name)
                          : absl::StrCat("Role ", ToAbsl(e.object.namespace_), "/", name);
    if (e.verb == Verb::kDelete) {
      roles_.Erase(key);
      return;
    }
    // The full rules after the request, when the event shows them.
    const RoleView* full = nullptr;
    if (resp != nullptr && !resp->from_json_patch) full = resp;
    const RoleView* req = e.RequestRole();
    if (full == nullptr && e.verb != Verb::kPatch && e.verb != Verb::kGet) full = req;
    if (full == nullptr && e.verb == Verb::kPatch && req != nullptr && !req->from_json_patch &&
        !req->rules.empty()) {
      full = req;  // a merge patch replaces the rules list as a whole
    }
    if (e.verb == Verb::kGet || e.verb == Verb::kCreate) {
      if (full != nullptr) Store(key, *full);
      return;
    }
    // update / patch
    Rules* known = roles_.Find(key);
    const RoleView* changed = full != nullptr ? full : req;
    if (changed == nullptr) {
      ++not_judged_;
      return;
    }
    if (known == nullptr || changed->has_aggregation_rule) {
      if (full != nullptr) Store(key, *full);
      return;
    }
    std::vector<Atom> added;
    for (const auto& rv : changed->rules) Expand(rv, *known, &added);
    if (full != nullptr) {
      Store(key, *full);
    } else {
      Merge(key, *changed);  // a JSON patch: what it adds joins the known rules
    }
    if (added.empty()) return;
    Alert a = MakeAlert(info_, e);
    bool sensitive = false;
    std::vector<std::string> texts;
    for (const auto& at : added) {
      texts.push_back(at.Text());
      if (at.verb == "*" || at.resource == "*" || at.url == "*" || at.resource == "secrets" ||
          at.verb == "escalate" || at.verb == "bind" || at.verb == "impersonate" ||
          at.resource == "pods/exec" || at.resource == "nodes/proxy") {
        sensitive = true;
      }
    }
    if (sensitive) a.severity = Severity::kHigh;
    std::sort(texts.begin(), texts.end());
    texts.erase(std::unique(texts.begin(), texts.end()), texts.end());
    const size_t n = texts.size();
    if (texts.size() > 20) texts.resize(20);
    a.count = n;
    a.AddField("added_permissions", absl::StrJoin(texts, ", "));
    a.AddField("added_count", absl::StrCat(n));
    a.message =
        absl::StrCat(ActorLabel(e), " ", ToAbsl(PastTense(e.verb)), " ", key, " adding ", n,
                     " permission", n == 1 ? "" : "s", " (", absl::StrJoin(texts, ", "),
                     n > texts.size() ? ", ..." : "", "): every subject bound to it gains them");
    out.Emit(std::move(a));
  }

  absl::Status SaveState(StateWriter& w) const override {
    // Records: "e", role (no rules) | "r", role, verbs, groups, resources, names, urls
    roles_.ForEachOldestFirst([&](const std::string& key, const Rules& rules) {
      if (rules.empty()) w.Record({"e", key});
      for (const auto& r : rules) {
        w.Record({"r", key, Join(r.verbs), Join(r.groups), Join(r.resources), Join(r.names),
                  Join(r.urls)});
      }
    });
    return absl::OkStatus();
  }

  absl::Status LoadState(StateReader& in) override {
    if (in.version() != 1) return in.Error(absl::StrCat("unknown version ", in.version()));
    std::vector<std::string> f;
    std::string last;
    while (in.Next(&f)) {
      if (f.size() == 2 && f[0] == "e") {
        roles_.Touch(f[1]).clear();
        continue;
      }
      if (f.size() != 7 || f[0] != "r") return in.Error("expected: r <role> <5 lists>");
      Rules& rules = roles_.Touch(f[1]);
      if (f[1] != last) rules.clear();
      last = f[1];
      if (rules.size() >= max_rules_) {
        ++dropped_;
        continue;
      }
      Rule r;
      if (!Split(f[2], &r.verbs) || !Split(f[3], &r.groups) || !Split(f[4], &r.resources) ||
          !Split(f[5], &r.names) || !Split(f[6], &r.urls)) {
        return in.Error("bad list (expected <count>\\x1f<items>)");
      }
      rules.push_back(std::move(r));
    }
    return absl::OkStatus();
  }

 private:
  // A list as "<count>\x1f<e1>\x1f<e2>...": the count keeps [""] (the core API group)
  // apart from [] (no groups).
  static std::string Join(const std::vector<std::string>& v) {
    if (v.empty()) return "0";
    return absl::StrCat(v.size(), std::string(1, kSep), absl::StrJoin(v, std::string(1, kSep)));
  }
  static bool Split(const std::string& s, std::vector<std::string>* out) {
    out->clear();
    size_t p = s.find(kSep);
    size_t n = 0;
    if (!absl::SimpleAtoi(s.substr(0, p), &n)) return false;
    if (n == 0) return p == std::string::npos;
    if (p == std::string::npos) return false;
    std::vector<std::string> parts = absl::StrSplit(s.substr(p + 1), kSep);
    *out = std::move(parts);
    return out->size() == n;
  }

  Rule ToRule(const PolicyRuleView& rv) {
    return Rule{Own(rv.verbs), Own(rv.api_groups), Own(rv.resources), Own(rv.resource_names),
                Own(rv.non_resource_urls)};
  }

  void Store(const std::string& key, const RoleView& role) {
    Rules& rules = roles_.Touch(key);
    rules.clear();
    for (const auto& rv : role.rules) {
      if (rules.size() >= max_rules_) {
        ++dropped_;
        break;
      }
      rules.push_back(ToRule(rv));
    }
  }

  void Merge(const std::string& key, const RoleView& role) {
    Rules& rules = roles_.Touch(key);
    for (const auto& rv : role.rules) {
      if (rules.size() >= max_rules_) {
        ++dropped_;
        break;
      }
      rules.push_back(ToRule(rv));
    }
  }

  // Appends the permissions of `rv` that no known rule covers (bounded per event).
  void Expand(const PolicyRuleView& rv, const Rules& known, std::vector<Atom>* added) {
    constexpr size_t kMaxAtoms = 4096;
    auto consider = [&](Atom a) {
      if (added->size() >= kMaxAtoms) return;
      for (const auto& r : known) {
        if (Covers(r, a)) return;
      }
      added->push_back(std::move(a));
    };
    for (std::string_view verb : rv.verbs) {
      for (std::string_view url : rv.non_resource_urls) {
        consider(Atom{std::string(verb), "", "", "", std::string(url)});
      }
      if (rv.resources.empty()) continue;
      std::vector<std::string_view> groups = rv.api_groups;
      if (groups.empty()) groups.push_back("");
      for (std::string_view g : groups) {
        for (std::string_view res : rv.resources) {
          if (rv.resource_names.empty()) {
            consider(Atom{std::string(verb), std::string(g), std::string(res), "", ""});
          }
          for (std::string_view n : rv.resource_names) {
            consider(Atom{std::string(verb), std::string(g), std::string(res), std::string(n), ""});
          }
        }
      }
    }
  }

  DetectorInfo info_;
  size_t max_rules_;
  BoundedLruMap<Rules> roles_;
  uint64_t dropped_ = 0;
  uint64_t not_judged_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewRoleDiff(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(int64_t max_roles, p.Int("max_roles", 50000, 1, 10000000));
  KAUDIT_ASSIGN_OR_RETURN(int64_t max_rules, p.Int("max_rules", 256, 1, 100000));
  return std::make_unique<RoleDiff>(static_cast<size_t>(max_roles), static_cast<size_t>(max_rules));
}

}  // namespace kaudit
