#include "src/event/audit_event.h"

#include <tuple>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"

namespace kaudit {
namespace {
constexpr std::string_view kStageNames[] = {"", "RequestReceived", "ResponseStarted",
                                            "ResponseComplete", "Panic"};
constexpr std::string_view kVerbNames[] = {
    "other", "get", "list", "watch",  "create", "update", "patch", "delete", "deletecollection",
    "post",  "put", "head", "options"};
constexpr std::string_view kLevelNames[] = {"", "None", "Metadata", "Request", "RequestResponse"};
}  // namespace

std::string_view StageName(Stage s) { return kStageNames[static_cast<int>(s)]; }
std::string_view VerbName(Verb v) { return kVerbNames[static_cast<int>(v)]; }
std::string_view LevelName(Level l) { return kLevelNames[static_cast<int>(l)]; }

Stage ParseStage(std::string_view s) {
  switch (s.size()) {
    case 5:
      return s == "Panic" ? Stage::kPanic : Stage::kUnknown;
    case 15:
      if (s == "RequestReceived") return Stage::kRequestReceived;
      if (s == "ResponseStarted") return Stage::kResponseStarted;
      return Stage::kUnknown;
    case 16:
      return s == "ResponseComplete" ? Stage::kResponseComplete : Stage::kUnknown;
    default:
      return Stage::kUnknown;
  }
}

Verb ParseVerb(std::string_view s) {
  if (s.empty()) return Verb::kOther;
  switch (s[0]) {
    case 'g':
      if (s == "get") return Verb::kGet;
      break;
    case 'l':
      if (s == "list") return Verb::kList;
      break;
    case 'w':
      if (s == "watch") return Verb::kWatch;
      break;
    case 'c':
      if (s == "create") return Verb::kCreate;
      break;
    case 'u':
      if (s == "update") return Verb::kUpdate;
      break;
    case 'p':
      if (s == "patch") return Verb::kPatch;
      if (s == "post") return Verb::kPost;
      if (s == "put") return Verb::kPut;
      break;
    case 'd':
      if (s == "delete") return Verb::kDelete;
      if (s == "deletecollection") return Verb::kDeleteCollection;
      break;
    case 'h':
      if (s == "head") return Verb::kHead;
      break;
    case 'o':
      if (s == "options") return Verb::kOptions;
      break;
    default:
      break;
  }
  return Verb::kOther;
}

Level ParseLevel(std::string_view s) {
  if (s == "Metadata") return Level::kMetadata;
  if (s == "RequestResponse") return Level::kRequestResponse;
  if (s == "Request") return Level::kRequest;
  if (s == "None") return Level::kNone;
  return Level::kUnknown;
}

bool AuditEvent::HasGroup(std::string_view g) const {
  for (std::string_view x : groups) {
    if (x == g) return true;
  }
  return false;
}

bool AuditEvent::IsAnonymous() const {
  return username.empty() || username == "system:anonymous" || HasGroup("system:unauthenticated");
}

std::string_view ContainerKindName(ContainerKind k) {
  switch (k) {
    case ContainerKind::kContainer:
      return "container";
    case ContainerKind::kInit:
      return "initContainer";
    case ContainerKind::kEphemeral:
      return "ephemeralContainer";
  }
  return "container";
}

void SecurityContextView::Clear() { *this = SecurityContextView(); }
void ContainerView::Clear() { *this = ContainerView(); }
void PodSpecView::Clear() {
  object_kind = object_name = service_account_name = node_name = os_name = {};
  host_network = host_pid = host_ipc = host_users_false = false;
  pod_security_context.Clear();
  containers.clear();
  volumes.clear();
  tolerations.clear();
  required_node_labels.clear();
  apparmor_annotations.clear();
}

uint64_t HashText(std::string_view s) {
  return absl::HashOf(absl::string_view(s.data(), s.size()));
}

uint64_t DeliveryKey(const AuditEvent& e) {
  return absl::Hash<std::tuple<absl::string_view, int, int64_t, size_t>>{}(
      {absl::string_view(e.audit_id.data(), e.audit_id.size()), static_cast<int>(e.stage),
       absl::ToUnixNanos(e.stage_timestamp), e.raw.size()});
}

uint64_t ResponseStartedKey(std::string_view audit_id) {
  return absl::Hash<std::pair<absl::string_view, int>>{}(
      {absl::string_view(audit_id.data(), audit_id.size()),
       static_cast<int>(Stage::kResponseStarted)});
}

}  // namespace kaudit
