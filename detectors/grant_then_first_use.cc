// Grant then first use (DETECTIONS.md stateful #2): a RoleBinding or ClusterRoleBinding is
// created, and within a window of event time a request is allowed *because of that binding*
// (the RBAC authorizer names it in the annotation authorization.k8s.io/reason, e.g.
// `RBAC: allowed by ClusterRoleBinding "x" of ClusterRole "cluster-admin" to User "mallory"`).
// The pair shows a grant being put to use: persistence or escalation completed. Stateful and
// bounded: bindings created in the last `window`, at most `max_bindings` (evictions counted).
// One alert per binding (its first use).
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/keyed_state.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

struct Grant {
  std::string creator;
  std::string role;  // "ClusterRole cluster-admin"
  std::string audit_id;
  absl::Time created = absl::InfinitePast();
  bool privileged_role = false;
};

// The binding named by an RBAC "allowed by" reason: "ClusterRoleBinding/name" or
// "RoleBinding/name/namespace" (the authorizer writes RoleBinding names as name/namespace).
// Handles both unescaped quotes and quotes still escaped as \".
std::string BindingFromReason(std::string_view reason) {
  constexpr std::string_view kPrefix = "RBAC: allowed by ";
  if (!StartsWith(reason, kPrefix)) return "";
  reason.remove_prefix(kPrefix.size());
  std::string_view kind;
  if (StartsWith(reason, "ClusterRoleBinding ")) {
    kind = "ClusterRoleBinding";
  } else if (StartsWith(reason, "RoleBinding ")) {
    kind = "RoleBinding";
  } else {
    return "";
  }
  reason.remove_prefix(kind.size() + 1);
  size_t open = reason.find('"');
  if (open == std::string_view::npos) return "";
  size_t close = reason.find('"', open + 1);
  if (close == std::string_view::npos) return "";
  std::string_view name = reason.substr(open + 1, close - open - 1);
  if (EndsWith(name, "\\")) name.remove_suffix(1);
  return absl::StrCat(ToAbsl(kind), "/", ToAbsl(name));
}

class GrantThenFirstUse final : public Detector {
 public:
  GrantThenFirstUse(absl::Duration window, size_t max_bindings)
      : window_(window), grants_(max_bindings) {
    info_.id = "grant_then_first_use";
    info_.title = "New role binding put to use";
    info_.description =
        "A role binding was created and soon after a request was allowed because of it: a "
        "fresh grant exercised, the second half of privilege escalation or persistence.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1098.006", "T1078.004"};
    info_.catalog_ids = {"S2"};                         // DETECTIONS.md stateful #2
    info_.interest.stages = Interest::OutcomeStages();  // every resource: any request may use it
    info_.stateful = true;
  }

  const DetectorInfo& info() const override { return info_; }
  size_t state_entries() const override { return grants_.size(); }
  uint64_t state_evictions() const override { return grants_.evictions(); }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome) return;
    if (e.verb == Verb::kCreate && e.object.subresource.empty() &&
        (e.object.resource == "clusterrolebindings" || e.object.resource == "rolebindings")) {
      OnBindingCreated(e);
      return;
    }
    if (e.authz_reason.empty() || e.decision != "allow") return;
    std::string key = BindingFromReason(e.authz_reason);
    if (key.empty()) return;
    Grant* g = grants_.Find(key);
    if (g == nullptr) return;
    absl::Duration after = e.stage_timestamp - g->created;
    if (after < absl::ZeroDuration() || after > window_) return;
    Alert a = MakeSequenceAlert(info_, e, g->audit_id, g->created);
    if (g->privileged_role) a.severity = Severity::kHigh;
    a.AddField("binding", key);
    a.AddField("role", g->role);
    a.AddField("granted_by", g->creator);
    a.AddField("seconds_after_grant", absl::StrCat(absl::ToInt64Seconds(after)));
    a.message = absl::StrCat(ActorLabel(e), " first used ", key, " (", g->role, ", granted by ",
                             g->creator, " ", absl::FormatDuration(after), " earlier) to ",
                             ToAbsl(e.verb_text), " ", ObjectLabel(e),
                             ": a new grant put to use, escalation or persistence completed");
    out.Emit(std::move(a));
    grants_.Erase(key);
  }

  void OnWatermark(absl::Time watermark, AlertEmitter& out) override {
    grants_.EraseOldestWhile([&](const Grant& g) { return g.created + window_ < watermark; });
  }

 private:
  void OnBindingCreated(const AuditEvent& e) {
    if (!e.Succeeded()) return;
    const RoleBindingView* b = e.ResponseRoleBinding();
    if (b == nullptr || b->role_ref_name.empty()) b = e.RequestRoleBinding();
    std::string_view name = e.object.name;
    if (name.empty() && b != nullptr) name = b->meta.name;
    if (name.empty()) return;
    std::string key =
        e.object.resource == "clusterrolebindings"
            ? absl::StrCat("ClusterRoleBinding/", ToAbsl(name))
            : absl::StrCat("RoleBinding/", ToAbsl(name), "/", ToAbsl(e.object.namespace_));
    Grant& g = grants_.Touch(key);
    g = Grant{};
    g.creator = ActorLabel(e);
    g.audit_id = std::string(e.audit_id);
    g.created = e.stage_timestamp;
    if (b != nullptr) {
      g.role = absl::StrCat(ToAbsl(b->role_ref_kind), " ", ToAbsl(b->role_ref_name));
      g.privileged_role = b->role_ref_name == "cluster-admin" || b->role_ref_name == "admin" ||
                          b->role_ref_name == "edit";
    } else {
      g.role = "role unknown";
    }
  }

  DetectorInfo info_;
  absl::Duration window_;
  BoundedLruMap<Grant> grants_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewGrantThenFirstUse(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(absl::Duration window, p.Duration("window", absl::Hours(1),
                                                            absl::Seconds(1), absl::Hours(24 * 7)));
  KAUDIT_ASSIGN_OR_RETURN(int64_t max_bindings, p.Int("max_bindings", 100000, 1, 100000000));
  return std::make_unique<GrantThenFirstUse>(window, static_cast<size_t>(max_bindings));
}

}  // namespace kaudit
