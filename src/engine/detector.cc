#include "src/engine/detector.h"

namespace kaudit {

uint32_t EventTraits(const AuditEvent& e) {
  uint32_t t = 0;
  if (e.IsAnonymous()) t |= EventTrait::kAnonymous;
  if (!e.impersonated_user.empty() || !e.impersonated_groups.empty()) {
    t |= EventTrait::kImpersonating;
  }
  if (e.response_code == 401 || e.response_code == 403 || e.decision == "forbid") {
    t |= EventTrait::kRefused;
  }
  if (!e.pod_security_audit_violations.empty()) t |= EventTrait::kPodSecurityViolation;
  if (e.username.ends_with(":default") && e.username.starts_with("system:serviceaccount:")) {
    t |= EventTrait::kDefaultServiceAccount;
  }
  return t;
}

uint32_t Interest::Verbs(std::initializer_list<Verb> vs) {
  uint32_t m = 0;
  for (Verb v : vs) m |= Bit(v);
  return m;
}

uint32_t Interest::Stages(std::initializer_list<Stage> ss) {
  uint32_t m = 0;
  for (Stage s : ss) m |= Bit(s);
  return m;
}

uint32_t Interest::OutcomeStages() {
  return Stages({Stage::kResponseStarted, Stage::kResponseComplete, Stage::kPanic});
}

uint32_t Interest::WriteVerbs() { return Verbs({Verb::kCreate, Verb::kUpdate, Verb::kPatch}); }

Alert MakeDetectorAlert(const DetectorInfo& info) {
  Alert a;
  a.detector_id = info.id;
  a.title = info.title;
  a.severity = info.severity;
  a.mitre = info.mitre;
  return a;
}

Alert MakeAlert(const DetectorInfo& info, const AuditEvent& e) {
  Alert a = MakeDetectorAlert(info);
  a.event_time = e.stage_timestamp;
  a.user = std::string(e.username);
  a.impersonated_user = std::string(e.impersonated_user);
  a.groups.assign(e.groups.begin(), e.groups.end());
  a.source_ips.assign(e.source_ips.begin(), e.source_ips.end());
  a.user_agent = std::string(e.user_agent);
  a.verb = std::string(e.verb_text);
  a.resource = std::string(e.object.resource);
  a.subresource = std::string(e.object.subresource);
  a.namespace_ = std::string(e.object.namespace_);
  a.name = std::string(e.object.name);
  a.api_group = std::string(e.object.api_group);
  a.request_uri = std::string(e.request_uri);
  a.response_code = e.response_code;
  a.AddAuditId(e.audit_id);
  return a;
}

Alert MakeSequenceAlert(const DetectorInfo& info, const AuditEvent& e,
                        std::string_view first_audit_id, absl::Time first_time) {
  Alert a = MakeAlert(info, e);
  a.audit_ids.clear();
  a.audit_id_count = 0;
  a.AddAuditId(first_audit_id);
  a.AddAuditId(e.audit_id);
  a.count = 2;
  a.window_start = first_time;
  a.window_end = e.stage_timestamp;
  return a;
}

}  // namespace kaudit
