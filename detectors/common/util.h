#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "src/event/audit_event.h"

namespace kaudit {

// Percent-decodes a URL query component ('+' is a space).
std::string UrlDecode(std::string_view s);

// All values of query parameter `name` in a request URI, decoded (exec's command= repeats).
std::vector<std::string> QueryValues(std::string_view request_uri, std::string_view name);

// "namespace/name", "name" for cluster-scoped objects, or the request URI when no object.
std::string ObjectLabel(const AuditEvent& e);

// What a request touched, for messages: "pods default/x", "secrets/exec ..." , "secrets in
// namespace ci", "selfsubjectrulesreviews", or the request URI when there is no object.
std::string TargetLabel(const AuditEvent& e);

// What a delete or deletecollection removed, for messages: "<singular> namespace/name", or
// "all <plural> in namespace N" ("(all)" for a collection across namespaces).
std::string DeletedObjectsLabel(const AuditEvent& e, std::string_view singular,
                                std::string_view plural);

// The acting identity for messages: "alice" or "admin (as bob)".
std::string ActorLabel(const AuditEvent& e);

// "created", "updated", "patched", "deleted", ... for messages.
std::string_view PastTense(Verb v);

// An exec/attach/portforward stream that was opened: 101 Switching Protocols, a 2xx, or (no
// response code, e.g. at ResponseStarted of some policies) an allow decision.
bool ExecAllowed(const AuditEvent& e);

// 127.0.0.0/8 or ::1: the API server's own loopback clients (and kubectl on a control-plane
// node).
bool IsLoopbackIp(std::string_view ip);

// Health and discovery endpoints that anonymous callers are expected to reach.
bool IsHealthOrVersionPath(std::string_view request_uri);

}  // namespace kaudit
