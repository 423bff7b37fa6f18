#include "src/sinks/alert_format.h"

#include "absl/strings/str_cat.h"
#include "src/common/json_writer.h"
#include "src/common/strings.h"
#include "src/common/time_util.h"

namespace kaudit {

void AppendAlertJson(const Alert& a, std::string_view cluster, std::string& out) {
  JsonWriter w(out);
  w.BeginObject();
  w.Field("detector", a.detector_id);
  w.Field("title", a.title);
  w.Field("severity", SeverityName(a.severity));
  w.Key("mitre").BeginArray();
  for (const auto& m : a.mitre) w.String(m);
  w.EndArray();
  w.Field("time", FormatRfc3339Micros(a.event_time));
  if (!cluster.empty()) w.Field("cluster", cluster);
  w.Field("message", a.message);
  w.Key("actor").BeginObject();
  w.Field("user", a.user);
  if (!a.impersonated_user.empty()) w.Field("impersonated_user", a.impersonated_user);
  w.Key("groups").BeginArray();
  for (const auto& g : a.groups) w.String(g);
  w.EndArray();
  w.Key("source_ips").BeginArray();
  for (const auto& ip : a.source_ips) w.String(ip);
  w.EndArray();
  if (!a.user_agent.empty()) w.Field("user_agent", a.user_agent);
  w.EndObject();
  w.Key("object").BeginObject();
  if (!a.resource.empty()) w.Field("resource", a.resource);
  if (!a.subresource.empty()) w.Field("subresource", a.subresource);
  if (!a.namespace_.empty()) w.Field("namespace", a.namespace_);
  if (!a.name.empty()) w.Field("name", a.name);
  if (!a.api_group.empty()) w.Field("api_group", a.api_group);
  w.EndObject();
  w.Field("verb", a.verb);
  if (!a.request_uri.empty()) w.Field("request_uri", a.request_uri);
  if (a.response_code != 0) w.Field("response_code", static_cast<int64_t>(a.response_code));
  w.Key("audit_ids").BeginArray();
  for (const auto& id : a.audit_ids) w.String(id);
  w.EndArray();
  w.Field("audit_id_count", static_cast<int64_t>(a.audit_id_count));
  w.Field("count", static_cast<int64_t>(a.count));
  if (a.window_start != absl::InfinitePast()) {
    w.Field("window_start", FormatRfc3339Micros(a.window_start));
    w.Field("window_end", FormatRfc3339Micros(a.window_end));
  }
  if (!a.fields.empty()) {
    w.Key("fields").BeginObject();
    for (const auto& [k, v] : a.fields) w.Field(k, v);
    w.EndObject();
  }
  w.EndObject();
}

void AppendAlertText(const Alert& a, bool color, std::string& out) {
  static constexpr std::string_view kColors[] = {"\x1b[2m", "\x1b[36m", "\x1b[33m", "\x1b[31m",
                                                 "\x1b[1;31m"};
  std::string_view sev = SeverityName(a.severity);
  absl::StrAppend(&out, FormatRfc3339Micros(a.event_time), " ");
  if (color) out.append(kColors[static_cast<int>(a.severity)]);
  absl::StrAppend(&out, ToAbsl(sev));
  for (size_t i = sev.size(); i < 8; ++i) out.push_back(' ');
  if (color) out.append("\x1b[0m");
  absl::StrAppend(&out, " ", a.detector_id, ": ", a.message);
  if (!a.audit_ids.empty()) {
    absl::StrAppend(&out, " [auditID ", a.audit_ids.front());
    if (a.audit_id_count > 1) absl::StrAppend(&out, " +", a.audit_id_count - 1);
    out.push_back(']');
  }
}

}  // namespace kaudit
