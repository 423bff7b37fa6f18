#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "src/common/context.h"
#include "src/event/audit_event.h"
#include "src/parse/event_reader.h"

namespace kaudit::testing {

// Absolute path of a file under the source tree (e.g. "tests/data/falco/x.json").
std::string SourcePath(std::string_view relative);
std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, std::string_view data);
std::string GzipCompress(std::string_view data);
// Native JSON alert lines without their "detection_time" (the wall clock of the run), for
// tests that compare the alerts of two runs.
std::string WithoutDetectionTimes(std::string_view alerts);
// A fresh temporary directory, removed by the OS eventually (under $TMPDIR).
std::string TempDir();

// A context for components under test: the real clock and a text logger on stderr.
Context TestContext();

// An owned copy of the fields tests assert on.
struct OwnedEvent {
  std::string audit_id, verb, username, impersonated_user, user_agent, request_uri;
  Stage stage = Stage::kUnknown;
  Level level = Level::kUnknown;
  std::vector<std::string> groups, source_ips;
  std::string resource, subresource, namespace_, name, api_group;
  int32_t code = 0;
  std::string decision, authz_reason;
  std::string request_object, response_object, user_extra;
  absl::Time stage_timestamp, request_received;
  size_t raw_size = 0;
};

struct InvalidRecord {
  InvalidReason reason;
  std::string source;
  uint64_t line;
  int64_t item;
  std::string detail;
  std::string raw;
};

class CollectingHandler : public EventHandler {
 public:
  void OnEvent(AuditEvent& e) override;
  void OnInvalid(InvalidReason reason, const Location& where, std::string_view detail,
                 std::string_view raw) override;
  std::vector<OwnedEvent> events;
  std::vector<InvalidRecord> invalid;
};

// Parses `data` as a file named `name` would be read.
CollectingHandler ParseString(std::string_view data, ReaderOptions opts = {},
                              std::string_view name = "test");

}  // namespace kaudit::testing
