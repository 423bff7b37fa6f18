#include "src/sinks/alert_format.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "src/common/json_writer.h"
#include "src/common/strings.h"
#include "src/common/time_util.h"

namespace kaudit {

std::optional<AlertFormat> ParseAlertFormat(std::string_view name) {
  if (name == "json") return AlertFormat::kJson;
  if (name == "text") return AlertFormat::kText;
  if (name == "falco") return AlertFormat::kFalco;
  if (name == "ecs") return AlertFormat::kEcs;
  if (name == "hec") return AlertFormat::kHec;
  return std::nullopt;
}

std::string_view AlertFormatName(AlertFormat f) {
  switch (f) {
    case AlertFormat::kJson:
      return "json";
    case AlertFormat::kText:
      return "text";
    case AlertFormat::kFalco:
      return "falco";
    case AlertFormat::kEcs:
      return "ecs";
    case AlertFormat::kHec:
      return "hec";
  }
  return "json";
}

std::string LocalHostname() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "unknown";
  return buf;
}

std::string_view FalcoPriority(Severity s) {
  switch (s) {
    case Severity::kCritical:
      return "Critical";
    case Severity::kHigh:
      return "Error";
    case Severity::kMedium:
      return "Warning";
    case Severity::kLow:
      return "Notice";
    case Severity::kInfo:
      return "Informational";
  }
  return "Warning";
}

void AppendAlert(const Alert& a, AlertFormat format, const FormatOptions& opts, std::string& out) {
  switch (format) {
    case AlertFormat::kJson:
      AppendAlertJson(a, opts.cluster, out);
      break;
    case AlertFormat::kText:
      AppendAlertText(a, opts.color, out);
      break;
    case AlertFormat::kFalco:
      AppendAlertFalco(a, opts, out);
      break;
    case AlertFormat::kEcs:
      AppendAlertEcs(a, opts, out);
      break;
    case AlertFormat::kHec:
      AppendAlertHec(a, opts, out);
      break;
  }
}

namespace {
void StringArray(JsonWriter& w, const std::vector<std::string>& v) {
  w.BeginArray();
  for (const auto& s : v) w.String(s);
  w.EndArray();
}
}  // namespace

void AppendAlertFalco(const Alert& a, const FormatOptions& opts, std::string& out) {
  JsonWriter w(out);
  const std::string time = FormatRfc3339Nanos(a.event_time);
  w.BeginObject();
  w.Field(
      "output",
      absl::StrCat(time, ": ", ToAbsl(FalcoPriority(a.severity)), " ", a.message, " (user=", a.user,
                   " ns=", a.namespace_.empty() ? "<NA>" : a.namespace_, " resource=", a.resource,
                   " name=", a.name.empty() ? "<NA>" : a.name, " detector=", a.detector_id, ")"));
  w.Field("priority", FalcoPriority(a.severity));
  w.Field("rule", a.title);
  w.Field("time", time);
  w.Key("output_fields").BeginObject();
  w.Field("ka.auditid", a.audit_ids.empty() ? "" : a.audit_ids.front());
  w.Field("ka.user.name", a.user);
  w.Key("ka.user.groups");
  StringArray(w, a.groups);
  if (!a.impersonated_user.empty()) w.Field("ka.impuser.name", a.impersonated_user);
  w.Field("ka.verb", a.verb);
  w.Field("ka.uri", a.request_uri);
  w.Field("ka.target.resource", a.resource);
  if (!a.subresource.empty()) w.Field("ka.target.subresource", a.subresource);
  w.Field("ka.target.namespace", a.namespace_);
  w.Field("ka.target.name", a.name);
  w.Field("ka.response.code", absl::StrCat(a.response_code));
  w.Key("ka.sourceips");
  StringArray(w, a.source_ips);
  w.Field("ka.useragent", a.user_agent);
  w.Field("kaudit.detector", a.detector_id);
  w.Field("kaudit.severity", SeverityName(a.severity));
  w.Field("kaudit.mitre", absl::StrJoin(a.mitre, ","));
  w.Field("kaudit.count", static_cast<int64_t>(a.count));
  if (a.detection_time != absl::InfinitePast()) {
    w.Field("kaudit.detection_time", FormatRfc3339Nanos(a.detection_time));
  }
  if (!opts.cluster.empty()) w.Field("kaudit.cluster", opts.cluster);
  for (const auto& [k, v] : a.fields) w.Field(absl::StrCat("kaudit.", k), v);
  w.EndObject();
  w.Field("source", "k8s_audit");
  w.Key("tags").BeginArray();
  w.String("k8s").String("kaudit");
  for (const auto& m : a.mitre) w.String(absl::StrCat("mitre_", m));
  w.EndArray();
  w.Field("hostname", opts.hostname);
  w.EndObject();
}

void AppendAlertEcs(const Alert& a, const FormatOptions& opts, std::string& out) {
  static constexpr int kRisk[] = {21, 21, 47, 73, 99};  // Elastic's severity scores
  JsonWriter w(out);
  w.BeginObject();
  w.Field("@timestamp", FormatRfc3339Micros(a.event_time));
  w.Field("message", a.message);
  w.Key("ecs").BeginObject().Field("version", "8.11.0").EndObject();
  w.Key("event").BeginObject();
  w.Field("kind", "alert");
  // ECS: event.created is when the pipeline first saw (here: raised) it; @timestamp the event's.
  if (a.detection_time != absl::InfinitePast()) {
    w.Field("created", FormatRfc3339Micros(a.detection_time));
  }
  w.Key("category").BeginArray().String("configuration").String("iam").EndArray();
  w.Key("type").BeginArray().String("info").EndArray();
  w.Field("module", "kaudit");
  w.Field("dataset", "kaudit.alert");
  w.Field("provider", "kubernetes");
  w.Field("severity", kRisk[static_cast<int>(a.severity)]);
  w.Key("risk_score").Int(kRisk[static_cast<int>(a.severity)]);
  w.Field("outcome", a.response_code >= 400 ? "failure" : "success");
  w.Field("count", static_cast<int64_t>(a.count));
  if (a.window_start != absl::InfinitePast()) {
    w.Field("start", FormatRfc3339Micros(a.window_start));
    w.Field("end", FormatRfc3339Micros(a.window_end));
  }
  w.EndObject();
  w.Key("rule").BeginObject();
  w.Field("id", a.detector_id);
  w.Field("name", a.title);
  w.Field("ruleset", "kaudit");
  w.Field("category", SeverityName(a.severity));
  w.EndObject();
  w.Key("threat").BeginObject();
  w.Field("framework", "MITRE ATT&CK");
  w.Key("technique").BeginArray();
  for (const auto& m : a.mitre) {
    std::string id = m.substr(0, m.find('.'));
    w.BeginObject().Field("id", id).Field(
        "reference", absl::StrCat("https://attack.mitre.org/techniques/", id, "/"));
    if (m.find('.') != std::string::npos) {
      w.Key("subtechnique").BeginArray().BeginObject().Field("id", m).EndObject().EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  w.Key("user").BeginObject();
  w.Field("name", a.impersonated_user.empty() ? a.user : a.impersonated_user);
  if (!a.impersonated_user.empty()) {
    w.Key("changes").BeginObject().Field("name", a.impersonated_user).EndObject();
  }
  w.EndObject();
  if (!a.source_ips.empty())
    w.Key("source").BeginObject().Field("ip", a.source_ips.front()).EndObject();
  if (!a.user_agent.empty()) {
    w.Key("user_agent").BeginObject().Field("original", a.user_agent).EndObject();
  }
  w.Key("orchestrator").BeginObject().Field("type", "kubernetes");
  if (!opts.cluster.empty()) w.Key("cluster").BeginObject().Field("name", opts.cluster).EndObject();
  if (!a.resource.empty())
    w.Key("resource").BeginObject().Field("type", a.resource).Field("name", a.name).EndObject();
  if (!a.namespace_.empty()) w.Field("namespace", a.namespace_);
  w.EndObject();
  w.Key("host").BeginObject().Field("hostname", opts.hostname).EndObject();
  w.Key("kubernetes").BeginObject().Key("audit").BeginObject();
  w.Field("auditID", a.audit_ids.empty() ? "" : a.audit_ids.front());
  w.Key("auditIDs");
  StringArray(w, a.audit_ids);
  w.Field("verb", a.verb);
  w.Field("requestURI", a.request_uri);
  w.Key("user").BeginObject().Field("username", a.user).Key("groups");
  StringArray(w, a.groups);
  w.EndObject();
  if (!a.impersonated_user.empty()) {
    w.Key("impersonatedUser").BeginObject().Field("username", a.impersonated_user).EndObject();
  }
  w.Key("sourceIPs");
  StringArray(w, a.source_ips);
  w.Field("userAgent", a.user_agent);
  w.Key("objectRef").BeginObject();
  w.Field("resource", a.resource);
  if (!a.subresource.empty()) w.Field("subresource", a.subresource);
  if (!a.namespace_.empty()) w.Field("namespace", a.namespace_);
  if (!a.name.empty()) w.Field("name", a.name);
  if (!a.api_group.empty()) w.Field("apiGroup", a.api_group);
  w.EndObject();
  w.Key("responseStatus")
      .BeginObject()
      .Field("code", static_cast<int64_t>(a.response_code))
      .EndObject();
  w.EndObject().EndObject();
  if (!a.fields.empty()) {
    w.Key("labels").BeginObject();
    for (const auto& [k, v] : a.fields) w.Field(k, v);
    w.EndObject();
  }
  w.EndObject();
}

void AppendAlertHec(const Alert& a, const FormatOptions& opts, std::string& out) {
  JsonWriter w(out);
  w.BeginObject();
  w.Key("time").Raw(
      absl::StrFormat("%.6f", absl::ToDoubleSeconds(a.event_time - absl::UnixEpoch())));
  w.Field("host", opts.hostname);
  w.Field("source", "kaudit");
  w.Field("sourcetype", "kaudit:alert");
  w.Key("event");
  std::string inner;
  AppendAlertJson(a, opts.cluster, inner);
  w.Raw(inner);
  w.EndObject();
}

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
  if (a.detection_time != absl::InfinitePast()) {
    w.Field("detection_time", FormatRfc3339Micros(a.detection_time));
  }
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
