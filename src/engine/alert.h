#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "src/event/audit_event.h"

namespace kaudit {

enum class Severity : uint8_t { kInfo = 0, kLow, kMedium, kHigh, kCritical };
inline constexpr int kNumSeverities = 5;
std::string_view SeverityName(Severity s);
std::optional<Severity> ParseSeverity(std::string_view s);

// An owned alert record: everything is copied out of the events it rests on.
struct Alert {
  std::string detector_id;
  std::string title;
  Severity severity = Severity::kMedium;
  std::vector<std::string> mitre;                // ATT&CK technique ids
  absl::Time event_time = absl::InfinitePast();  // stageTimestamp of the deciding event
  // When kaudit raised it: the engine's clock as it hands the alert to the sinks (InfinitePast
  // until then; formats leave it out while unset).
  absl::Time detection_time = absl::InfinitePast();

  // Who acted.
  std::string user;               // user.username
  std::string impersonated_user;  // impersonatedUser.username, when impersonating
  std::vector<std::string> groups;
  std::vector<std::string> source_ips;
  std::string user_agent;

  // On what.
  std::string verb;
  std::string resource, subresource, namespace_, name, api_group;
  std::string request_uri;
  int32_t response_code = 0;

  std::string message;  // one line: who did what to which object, and why it matters

  // Evidence: the auditIDs the alert rests on (bounded; audit_id_count is the full count),
  // window bounds and counts for stateful detectors, and detector-specific fields.
  std::vector<std::string> audit_ids;
  uint64_t audit_id_count = 0;
  uint64_t count = 1;
  absl::Time window_start = absl::InfinitePast();
  absl::Time window_end = absl::InfinitePast();
  std::vector<std::pair<std::string, std::string>> fields;

  void AddField(std::string key, std::string value) {
    fields.emplace_back(std::move(key), std::move(value));
  }
  void AddAuditId(std::string_view id);
};

inline constexpr size_t kMaxAlertAuditIds = 32;

}  // namespace kaudit
