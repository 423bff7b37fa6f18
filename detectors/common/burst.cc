#include "detectors/common/burst.h"

#include <algorithm>

#include "src/common/status_macros.h"

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

absl::StatusOr<DistinctWindowCounter::Options> WindowParams(DetectorParams& p,
                                                            absl::Duration window,
                                                            absl::Duration max_window,
                                                            size_t values_per_key) {
  DistinctWindowCounter::Options o;
  KAUDIT_ASSIGN_OR_RETURN(o.window, p.Duration("window", window, absl::Seconds(1), max_window));
  KAUDIT_ASSIGN_OR_RETURN(int64_t max_keys, p.Int("max_keys", 100000, 1, 100000000));
  o.max_keys = static_cast<size_t>(max_keys);
  o.max_values_per_key = values_per_key;
  return o;
}

absl::StatusOr<RepeatGate> RepeatGateParams(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(auto window, p.Duration("repeat_window", absl::Hours(1),
                                                  absl::ZeroDuration(), absl::Hours(24 * 7)));
  KAUDIT_ASSIGN_OR_RETURN(int64_t max_keys, p.Int("max_keys", 100000, 1, 100000000));
  return RepeatGate(window, static_cast<size_t>(max_keys));
}

}  // namespace kaudit
