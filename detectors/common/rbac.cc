#include "detectors/common/rbac.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "detectors/common/util.h"
#include "src/common/strings.h"

namespace kaudit {

bool ContainsView(const std::vector<std::string_view>& list, std::string_view s) {
  for (auto v : list) {
    if (v == s) return true;
  }
  return false;
}

bool ContainsAny(const std::vector<std::string_view>& list,
                 std::initializer_list<std::string_view> wanted) {
  for (auto w : wanted) {
    if (ContainsView(list, w)) return true;
  }
  return false;
}

bool ContainsString(const std::vector<std::string>& list, std::string_view s) {
  for (const auto& v : list) {
    if (v == s) return true;
  }
  return false;
}

std::string JoinList(const std::vector<std::string_view>& list) {
  std::string out = "[";
  for (size_t i = 0; i < list.size(); ++i) {
    if (i) out += ", ";
    if (list[i].empty()) {
      out += "\"\"";
    } else {
      out.append(list[i].data(), list[i].size());
    }
  }
  out += "]";
  return out;
}

std::string RuleText(const PolicyRuleView& r) {
  std::vector<std::string> parts;
  if (!r.verbs.empty()) parts.push_back(absl::StrCat("verbs=", JoinList(r.verbs)));
  if (!r.api_groups.empty()) parts.push_back(absl::StrCat("apiGroups=", JoinList(r.api_groups)));
  if (!r.resources.empty()) parts.push_back(absl::StrCat("resources=", JoinList(r.resources)));
  if (!r.resource_names.empty()) {
    parts.push_back(absl::StrCat("resourceNames=", JoinList(r.resource_names)));
  }
  if (!r.non_resource_urls.empty()) {
    parts.push_back(absl::StrCat("nonResourceURLs=", JoinList(r.non_resource_urls)));
  }
  return absl::StrJoin(parts, " ");
}

std::string SubjectText(const SubjectView& s) {
  if (!s.namespace_.empty()) {
    return absl::StrCat(ToAbsl(s.kind), " ", ToAbsl(s.namespace_), "/", ToAbsl(s.name));
  }
  return absl::StrCat(ToAbsl(s.kind), " ", ToAbsl(s.name));
}

std::string SubjectsText(const std::vector<SubjectView>& subjects) {
  std::vector<std::string> parts;
  for (const auto& s : subjects) parts.push_back(SubjectText(s));
  return absl::StrJoin(parts, ", ");
}

bool IsWrite(Verb v) { return v == Verb::kCreate || v == Verb::kUpdate || v == Verb::kPatch; }

const RoleView* WrittenRole(const AuditEvent& e) {
  if (const RoleView* r = e.RequestRole()) return r;
  if (e.request_object.empty() && (e.verb == Verb::kCreate || e.verb == Verb::kUpdate)) {
    return e.ResponseRole();
  }
  return nullptr;
}

const RoleBindingView* WrittenBinding(const AuditEvent& e) {
  if (const RoleBindingView* b = e.RequestRoleBinding()) return b;
  if (e.request_object.empty()) return e.ResponseRoleBinding();
  return nullptr;
}

std::string RoleLabel(const AuditEvent& e) {
  std::string_view kind = "Role";
  if (e.object.resource == "clusterroles") kind = "ClusterRole";
  if (e.object.resource == "rolebindings") kind = "RoleBinding";
  if (e.object.resource == "clusterrolebindings") kind = "ClusterRoleBinding";
  return absl::StrCat(ToAbsl(kind), " ", ObjectLabel(e));
}

void JudgeWrittenRole(const DetectorInfo& info, const AuditEvent& e, AlertEmitter& out,
                      uint64_t* not_judged,
                      const std::function<std::string(const PolicyRuleView&)>& describe) {
  if (!e.first_outcome || !e.Succeeded()) return;
  const RoleView* role = WrittenRole(e);
  if (role == nullptr) {
    if (e.request_object.empty()) ++*not_judged;
    return;
  }
  for (const auto& rule : role->rules) {
    std::string tail = describe(rule);
    if (tail.empty()) continue;
    Alert a = MakeAlert(info, e);
    a.message =
        absl::StrCat(ActorLabel(e), " ", ToAbsl(PastTense(e.verb)), " ", RoleLabel(e), tail);
    a.AddField("rule", RuleText(rule));
    out.Emit(std::move(a));
    return;
  }
}

}  // namespace kaudit
