#pragma once
// Implementation of ExtractObject (a template so the EventList item callback inlines).

#include "src/common/time_util.h"
#include "src/parse/json_util.h"
#include "src/parse/pod_object_walk.h"

namespace kaudit::parse_internal {

inline InvalidReason ReasonForJsonError(simdjson::error_code ec) {
  switch (ec) {
    case simdjson::UTF8_ERROR:
      return InvalidReason::kInvalidUtf8;
    case simdjson::UNCLOSED_STRING:
    case simdjson::INCOMPLETE_ARRAY_OR_OBJECT:
    case simdjson::EMPTY:
      return InvalidReason::kTruncated;
    case simdjson::DEPTH_ERROR:
      return InvalidReason::kTooDeep;
    case simdjson::CAPACITY:
      return InvalidReason::kOversize;
    default:
      return InvalidReason::kMalformedJson;
  }
}

namespace detail {

// The raw JSON text of a value (object, array or scalar), consuming it.
template <typename V>
inline simdjson::error_code RawJson(V&& v, std::string_view& out) {
  od::json_type t;
  if (auto ec = v.type().get(t); ec) return ec;
  if (t == od::json_type::object) {
    od::object o;
    if (auto ec = v.get_object().get(o); ec) return ec;
    return o.raw_json().get(out);
  }
  if (t == od::json_type::array) {
    od::array a;
    if (auto ec = v.get_array().get(a); ec) return ec;
    return a.raw_json().get(out);
  }
  if (t == od::json_type::null) {
    out = {};
    return simdjson::SUCCESS;
  }
  out = v.raw_json_token();
  return simdjson::SUCCESS;
}

inline bool Fail(ExtractError& err, simdjson::error_code ec, std::string_view field) {
  if (ec == simdjson::INCORRECT_TYPE) {
    err.reason = InvalidReason::kBadFieldType;
    err.json_error = simdjson::SUCCESS;
  } else {
    err.reason = ReasonForJsonError(ec);
    err.json_error = ec;
  }
  err.detail = field;
  return false;
}

// requestObject / responseObject: its raw JSON text, and for an object whose pod spec the
// detectors read (`pod` not null), the pod spec and status read in the same walk.
template <typename V>
inline bool ReadEventObject(V&& v, std::string_view& raw, ParsedPodObject* pod, bool& parsed,
                            od::document* doc, ExtractError& err, std::string_view field) {
  parsed = false;
  od::value val;
  if constexpr (std::is_same_v<std::decay_t<V>, od::value>) {
    val = v;
  } else if (auto ec = std::forward<V>(v).get(val); ec) {
    return Fail(err, ec, field);
  }
  if (pod != nullptr) {
    od::json_type t;
    if (auto ec = val.type().get(t); ec) return Fail(err, ec, field);
    if (t == od::json_type::object) {
      const char* start = val.raw_json_token().data();  // the '{'
      od::object obj;
      if (auto ec = val.get_object().get(obj); ec) return Fail(err, ec, field);
      if (auto ec = WalkPodObject(obj, *pod); ec) return Fail(err, ec, field);
      // simdjson abandons the iterator on some malformed structures, and the lenient pod
      // reader reads on: no read may go through it after that (a null parser).
      if (doc != nullptr && !doc->is_alive()) return Fail(err, simdjson::TAPE_ERROR, field);
      // Walked to its end: the next token follows the '}' (as object::raw_json() ends).
      const char* end = nullptr;
      if (auto ec = val.current_location().get(end); ec) return Fail(err, ec, field);
      if (end <= start) return Fail(err, simdjson::TAPE_ERROR, field);
      raw = std::string_view(start, static_cast<size_t>(end - start));
      parsed = true;
      return true;
    }
  }
  if (auto ec = RawJson(val, raw); ec) return Fail(err, ec, field);
  return true;
}

template <typename V>
inline bool ReadStr(V&& v, std::string_view& out, ExtractError& err, std::string_view field) {
  if (auto ec = GetStringOrNull(v, out); ec) return Fail(err, ec, field);
  return true;
}

template <typename V>
inline bool ReadStrList(V&& v, std::vector<std::string_view>& out, size_t max, uint64_t& truncated,
                        ExtractError& err, std::string_view field) {
  out.clear();
  od::array arr;
  if (auto ec = v.get_array().get(arr); ec) {
    bool is_null = false;
    if (ec == simdjson::INCORRECT_TYPE && !v.is_null().get(is_null) && is_null) return true;
    return Fail(err, ec, field);
  }
  for (auto item : arr) {
    std::string_view s;
    od::value iv;
    if (auto ec = item.get(iv); ec) return Fail(err, ec, field);
    if (auto ec = GetStringFast(iv, s); ec) return Fail(err, ec, field);
    if (out.size() < max) {
      out.push_back(s);
    } else {
      ++truncated;
    }
  }
  return true;
}

template <typename V>
inline bool ReadUser(V&& v, std::string_view& username, std::string_view* uid,
                     std::vector<std::string_view>& groups, std::string_view* extra,
                     ExtractScratch& s, ExtractError& err) {
  od::object obj;
  if (auto ec = v.get_object().get(obj); ec) return Fail(err, ec, "user");
  for (auto fr : obj) {
    od::field f;
    if (auto ec = std::move(fr).get(f); ec) return Fail(err, ec, "user");
    std::string_view k = KeyOf(f);
    if (KeyIs(k, "username")) {
      if (!ReadStr(f.value(), username, err, "user.username")) return false;
    } else if (KeyIs(k, "groups")) {
      if (!ReadStrList(f.value(), groups, s.max_items, s.truncated, err, "user.groups"))
        return false;
    } else if (KeyIs(k, "uid") && uid != nullptr) {
      if (!ReadStr(f.value(), *uid, err, "user.uid")) return false;
    } else if (KeyIs(k, "extra") && extra != nullptr) {
      if (auto ec = RawJson(f.value(), *extra); ec) return Fail(err, ec, "user.extra");
    }
  }
  return true;
}

template <typename V>
inline bool ReadObjectRef(V&& v, ObjectRef& ref, ExtractError& err) {
  od::object obj;
  if (auto ec = v.get_object().get(obj); ec) return Fail(err, ec, "objectRef");
  for (auto fr : obj) {
    od::field f;
    if (auto ec = std::move(fr).get(f); ec) return Fail(err, ec, "objectRef");
    std::string_view k = KeyOf(f);
    std::string_view* out = nullptr;
    if (KeyIs(k, "resource"))
      out = &ref.resource;
    else if (KeyIs(k, "namespace"))
      out = &ref.namespace_;
    else if (KeyIs(k, "name"))
      out = &ref.name;
    else if (KeyIs(k, "subresource"))
      out = &ref.subresource;
    else if (KeyIs(k, "apiGroup"))
      out = &ref.api_group;
    else if (KeyIs(k, "apiVersion"))
      out = &ref.api_version;
    else if (KeyIs(k, "uid"))
      out = &ref.uid;
    if (out != nullptr && !ReadStr(f.value(), *out, err, "objectRef")) return false;
  }
  return true;
}

template <typename V>
inline bool ReadResponseStatus(V&& v, AuditEvent& e, ExtractError& err) {
  od::object obj;
  if (auto ec = v.get_object().get(obj); ec) return Fail(err, ec, "responseStatus");
  for (auto fr : obj) {
    od::field f;
    if (auto ec = std::move(fr).get(f); ec) return Fail(err, ec, "responseStatus");
    std::string_view k = KeyOf(f);
    if (KeyIs(k, "code")) {
      int64_t code;
      if (auto ec = f.value().get_int64().get(code); ec)
        return Fail(err, ec, "responseStatus.code");
      e.response_code = static_cast<int32_t>(code);
    } else if (KeyIs(k, "status")) {
      if (!ReadStr(f.value(), e.response_status, err, "responseStatus.status")) return false;
    } else if (KeyIs(k, "reason")) {
      if (!ReadStr(f.value(), e.response_reason, err, "responseStatus.reason")) return false;
    }
  }
  return true;
}

template <typename V>
inline bool ReadAnnotations(V&& v, AuditEvent& e, ExtractError& err) {
  od::object obj;
  if (auto ec = v.get_object().get(obj); ec) return Fail(err, ec, "annotations");
  for (auto fr : obj) {
    od::field f;
    if (auto ec = std::move(fr).get(f); ec) return Fail(err, ec, "annotations");
    std::string_view k = KeyOf(f);
    if (KeyIs(k, "authorization.k8s.io/decision")) {
      if (!ReadStr(f.value(), e.decision, err, "annotations")) return false;
    } else if (KeyIs(k, "authorization.k8s.io/reason")) {
      if (!ReadStr(f.value(), e.authz_reason, err, "annotations")) return false;
    } else if (KeyIs(k, "pod-security.kubernetes.io/audit-violations")) {
      if (!ReadStr(f.value(), e.pod_security_audit_violations, err, "annotations")) return false;
    }
  }
  return true;
}

template <typename V>
inline bool ReadTime(V&& v, absl::Time& out, Rfc3339Parser& times, ExtractError& err,
                     std::string_view field) {
  std::string_view s;
  if (!ReadStr(v, s, err, field)) return false;
  if (s.empty()) return true;
  auto t = times.Parse(s);
  if (!t) {
    err.reason = InvalidReason::kBadTimestamp;
    err.detail = field;
    err.json_error = simdjson::SUCCESS;
    return false;
  }
  out = *t;
  return true;
}

}  // namespace detail

template <typename OnItem>
bool ExtractObject(od::object obj, AuditEvent& e, ExtractScratch& s, ExtractError& err,
                   ObjectKind& kind, OnItem&& on_item) {
  using namespace detail;  // NOLINT
  e = AuditEvent();
  s.truncated = 0;
  s.pod_parsed[0] = s.pod_parsed[1] = false;
  s.groups.clear();
  s.impersonated_groups.clear();
  s.source_ips.clear();
  kind = ObjectKind::kEvent;
  std::string_view kind_str, api_version, stage_str;
  absl::Time legacy_timestamp = absl::InfinitePast();
  bool has_kind = false, has_items = false;
  for (auto fr : obj) {
    od::field f;
    if (auto ec = std::move(fr).get(f); ec) return Fail(err, ec, "");
    std::string_view k = KeyOf(f);
    if (k.empty()) continue;
    bool ok = true;
    switch (k[0]) {
      case 'a':
        if (KeyIs(k, "auditID"))
          ok = ReadStr(f.value(), e.audit_id, err, "auditID");
        else if (KeyIs(k, "apiVersion"))
          ok = ReadStr(f.value(), api_version, err, "apiVersion");
        else if (KeyIs(k, "annotations"))
          ok = ReadAnnotations(f.value(), e, err);
        break;
      case 'k':
        if (KeyIs(k, "kind")) {
          has_kind = true;
          if (auto ec = f.value().get_string().get(kind_str); ec) {
            err.reason = InvalidReason::kWrongKind;
            err.detail = "kind is not a string";
            return false;
          }
        }
        break;
      case 'l':
        if (KeyIs(k, "level")) {
          std::string_view lv;
          ok = ReadStr(f.value(), lv, err, "level");
          e.level = ParseLevel(lv);
        }
        break;
      case 's':
        if (KeyIs(k, "stage"))
          ok = ReadStr(f.value(), stage_str, err, "stage");
        else if (KeyIs(k, "stageTimestamp"))
          ok = ReadTime(f.value(), e.stage_timestamp, s.times, err, "stageTimestamp");
        else if (KeyIs(k, "sourceIPs")) {
          ok = ReadStrList(f.value(), s.source_ips, s.max_items, s.truncated, err, "sourceIPs");
        }
        break;
      case 'r':
        if (KeyIs(k, "requestURI"))
          ok = ReadStr(f.value(), e.request_uri, err, "requestURI");
        else if (KeyIs(k, "responseStatus"))
          ok = ReadResponseStatus(f.value(), e, err);
        else if (KeyIs(k, "requestReceivedTimestamp")) {
          ok = ReadTime(f.value(), e.request_received, s.times, err, "requestReceivedTimestamp");
        } else if (KeyIs(k, "requestObject") || KeyIs(k, "responseObject")) {
          const int side = k[2] == 'q' ? 0 : 1;
          // objectRef, verb and stage come before the objects in what kube-apiserver writes;
          // in another order the objects are parsed on first use instead.
          const bool pod = PodObjectsWanted(ParseStage(stage_str), e.verb, e.object);
          ok = ReadEventObject(f.value(), side == 0 ? e.request_object : e.response_object,
                               pod ? &s.pods[side] : nullptr, s.pod_parsed[side], s.doc, err,
                               side == 0 ? "requestObject" : "responseObject");
        }
        break;
      case 'v':
        if (KeyIs(k, "verb")) {
          ok = ReadStr(f.value(), e.verb_text, err, "verb");
          e.verb = ParseVerb(e.verb_text);
        }
        break;
      case 'u':
        if (KeyIs(k, "user")) {
          ok = ReadUser(f.value(), e.username, &e.user_uid, s.groups, &e.user_extra, s, err);
        } else if (KeyIs(k, "userAgent")) {
          ok = ReadStr(f.value(), e.user_agent, err, "userAgent");
        }
        break;
      case 'i':
        if (KeyIs(k, "impersonatedUser")) {
          ok = ReadUser(f.value(), e.impersonated_user, nullptr, s.impersonated_groups, nullptr, s,
                        err);
        } else if (KeyIs(k, "items")) {
          has_items = true;
          od::array arr;
          if (auto ec = f.value().get_array().get(arr); ec) return Fail(err, ec, "items");
          int64_t index = 0;
          for (auto item : arr) {
            if (!on_item(item, index++)) {
              err.reason = InvalidReason::kMalformedJson;
              err.detail = "items";
              err.json_error = simdjson::TAPE_ERROR;
              return false;
            }
          }
        }
        break;
      case 'o':
        if (KeyIs(k, "objectRef")) {
          e.has_object_ref = true;
          ok = ReadObjectRef(f.value(), e.object, err);
        }
        break;
      case 't':
        if (KeyIs(k, "timestamp"))
          ok = ReadTime(f.value(), legacy_timestamp, s.times, err, "timestamp");
        break;
      default:
        break;
    }
    if (!ok) return false;
  }
  if (has_kind && kind_str != "Event" && kind_str != "EventList") {
    err.reason = InvalidReason::kWrongKind;
    err.detail = "kind is neither Event nor EventList";
    return false;
  }
  if (!api_version.empty() && api_version != "audit.k8s.io/v1" &&
      api_version != "audit.k8s.io/v1beta1") {
    err.reason = InvalidReason::kUnsupportedApiVersion;
    err.detail = "apiVersion is not audit.k8s.io/v1 or v1beta1";
    return false;
  }
  if (has_items || kind_str == "EventList") {
    kind = ObjectKind::kEventList;
    return true;
  }
  e.stage = ParseStage(stage_str);
  std::string_view missing;
  if (e.audit_id.empty())
    missing = "auditID";
  else if (stage_str.empty())
    missing = "stage";
  else if (e.verb_text.empty())
    missing = "verb";
  if (!missing.empty()) {
    err.reason = InvalidReason::kMissingField;
    err.detail = missing;
    return false;
  }
  if (e.stage == Stage::kUnknown) {
    err.reason = InvalidReason::kBadFieldType;
    err.detail = "stage";
    return false;
  }
  if (e.stage_timestamp == absl::InfinitePast()) {
    // v1beta1 wrote `timestamp`; fall back to it, then to requestReceivedTimestamp.
    e.stage_timestamp =
        legacy_timestamp != absl::InfinitePast() ? legacy_timestamp : e.request_received;
    if (e.stage_timestamp == absl::InfinitePast()) {
      err.reason = InvalidReason::kMissingField;
      err.detail = "stageTimestamp";
      return false;
    }
  }
  if (e.request_received == absl::InfinitePast()) e.request_received = e.stage_timestamp;
  e.groups = s.groups;
  e.impersonated_groups = s.impersonated_groups;
  e.source_ips = s.source_ips;
  return true;
}

}  // namespace kaudit::parse_internal
