#include "detectors/common/util.h"

#include "absl/strings/str_cat.h"
#include "src/common/strings.h"

namespace kaudit {

std::string UrlDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::vector<std::string> QueryValues(std::string_view uri, std::string_view name) {
  std::vector<std::string> out;
  size_t q = uri.find('?');
  if (q == std::string_view::npos) return out;
  std::string_view query = uri.substr(q + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    size_t eq = kv.find('=');
    std::string_view k = kv.substr(0, eq);
    if (k == name) out.push_back(UrlDecode(eq == std::string_view::npos ? "" : kv.substr(eq + 1)));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

std::string ObjectLabel(const AuditEvent& e) {
  if (!e.has_object_ref) return std::string(e.request_uri);
  if (e.object.namespace_.empty()) return std::string(e.object.name);
  return absl::StrCat(ToAbsl(e.object.namespace_), "/", ToAbsl(e.object.name));
}

std::string DeletedObjectsLabel(const AuditEvent& e, std::string_view singular,
                                std::string_view plural) {
  if (e.verb != Verb::kDeleteCollection) {
    return absl::StrCat(ToAbsl(singular), " ", ObjectLabel(e));
  }
  return absl::StrCat("all ", ToAbsl(plural), " in namespace ",
                      e.object.namespace_.empty() ? "(all)" : ToAbsl(e.object.namespace_));
}

std::string TargetLabel(const AuditEvent& e) {
  if (!e.has_object_ref || e.object.resource.empty()) return std::string(e.request_uri);
  std::string out(e.object.resource);
  if (!e.object.subresource.empty()) absl::StrAppend(&out, "/", ToAbsl(e.object.subresource));
  if (!e.object.name.empty()) {
    absl::StrAppend(&out, " ", ObjectLabel(e));
  } else if (!e.object.namespace_.empty()) {
    absl::StrAppend(&out, " in namespace ", ToAbsl(e.object.namespace_));
  }
  return out;
}

std::string ActorLabel(const AuditEvent& e) {
  std::string user = e.username.empty() ? "<unauthenticated>" : std::string(e.username);
  if (e.impersonated_user.empty()) return user;
  return absl::StrCat(user, " (as ", ToAbsl(e.impersonated_user), ")");
}

bool ExecAllowed(const AuditEvent& e) {
  return e.response_code == 101 || (e.response_code == 0 && e.decision == "allow") ||
         (e.response_code >= 200 && e.response_code < 300);
}

std::string_view PastTense(Verb v) {
  switch (v) {
    case Verb::kCreate:
      return "created";
    case Verb::kUpdate:
      return "updated";
    case Verb::kPatch:
      return "patched";
    case Verb::kDelete:
      return "deleted";
    case Verb::kDeleteCollection:
      return "deleted a collection of";
    case Verb::kGet:
      return "read";
    case Verb::kList:
      return "listed";
    case Verb::kWatch:
      return "watched";
    default:
      return "requested";
  }
}

bool IsLoopbackIp(std::string_view ip) { return ip == "::1" || StartsWith(ip, "127."); }

bool IsHealthOrVersionPath(std::string_view uri) {
  std::string_view path = uri.substr(0, uri.find('?'));
  for (std::string_view p : {"/healthz", "/livez", "/readyz"}) {
    if (path == p || StartsWith(path, absl::StrCat(ToAbsl(p), "/"))) return true;
  }
  return path == "/version" || path == "/.well-known/openid-configuration" ||
         path == "/openid/v1/jwks";
}

}  // namespace kaudit
