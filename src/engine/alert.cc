#include "src/engine/alert.h"

namespace kaudit {

std::string_view SeverityName(Severity s) {
  static constexpr std::string_view kNames[] = {"info", "low", "medium", "high", "critical"};
  return kNames[static_cast<int>(s)];
}

std::optional<Severity> ParseSeverity(std::string_view s) {
  for (int i = 0; i < kNumSeverities; ++i) {
    if (SeverityName(static_cast<Severity>(i)) == s) return static_cast<Severity>(i);
  }
  return std::nullopt;
}

void Alert::AddAuditId(std::string_view id) {
  ++audit_id_count;
  if (audit_ids.size() < kMaxAlertAuditIds) audit_ids.emplace_back(id);
}

}  // namespace kaudit
