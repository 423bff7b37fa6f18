#include "detectors/common/burst.h"

#include <algorithm>

namespace kaudit {

Alert MakeBurstAlert(const DetectorInfo& info, const AuditEvent& e,
                     const DistinctWindowCounter::KeyState& st, size_t count) {
  Alert a = MakeAlert(info, e);
  a.audit_ids.clear();
  a.audit_id_count = 0;
  for (const auto& id : st.audit_ids) a.AddAuditId(id);
  a.count = count;
  absl::Time first = e.stage_timestamp;
  for (const auto& [value, t] : st.values) first = std::min(first, t);
  a.window_start = first;
  a.window_end = e.stage_timestamp;
  a.name.clear();
  a.namespace_.clear();
  return a;
}

void QuietAfterAlert(DistinctWindowCounter& counter, DistinctWindowCounter::KeyState& st,
                     absl::Time t) {
  st.quiet_until = t + counter.options().window;
  counter.Reset(st);
}

}  // namespace kaudit
