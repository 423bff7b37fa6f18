#pragma once
// Helpers shared by the RBAC, config and exposure detectors: reading roles and bindings
// written by a request, and rendering rules and subjects as evidence.

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "src/engine/detector.h"
#include "src/event/audit_event.h"

namespace kaudit {

bool ContainsView(const std::vector<std::string_view>& list, std::string_view s);
bool ContainsAny(const std::vector<std::string_view>& list,
                 std::initializer_list<std::string_view> wanted);
bool ContainsString(const std::vector<std::string>& list, std::string_view s);

// "[a, b]" for messages and fields.
std::string JoinList(const std::vector<std::string_view>& list);

// "verbs=[get, list] resources=[pods] apiGroups=[\"\"]" (only the non-empty parts).
std::string RuleText(const PolicyRuleView& rule);

// "User minikube, ServiceAccount kube-system/default".
std::string SubjectText(const SubjectView& s);
std::string SubjectsText(const std::vector<SubjectView>& subjects);

// True for create, update, patch.
bool IsWrite(Verb v);

// The role (rules) this request wrote: the request object (object, merge patch or JSON
// patch), else for creates and updates the response object.
const RoleView* WrittenRole(const AuditEvent& e);
// The binding this request wrote: the request object, else (no request object, e.g. level
// Metadata for requests) the response object.
const RoleBindingView* WrittenBinding(const AuditEvent& e);

// "ClusterRole x" / "Role ns/x" from objectRef.
std::string RoleLabel(const AuditEvent& e);

// Judges the Role or ClusterRole a successful write put into the cluster, once per request:
// `describe(rule)` returns, for a rule that matters, the rest of the message after
// "<actor> <created> <role>" (empty for rules that do not), and one alert is emitted for the
// first such rule, with the rule as evidence. Events that carry no object (audit level
// Metadata) are counted in *not_judged.
void JudgeWrittenRole(const DetectorInfo& info, const AuditEvent& e, AlertEmitter& out,
                      uint64_t* not_judged,
                      const std::function<std::string(const PolicyRuleView&)>& describe);

}  // namespace kaudit
