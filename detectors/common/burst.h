#pragma once
// Shared by the windowed distinct-count detectors (secret_enumeration, permission_enumeration,
// the bursts): the alert of a key whose distinct count crossed its threshold.

#include <string>

#include "absl/status/statusor.h"
#include "src/engine/detector.h"
#include "src/engine/keyed_state.h"
#include "src/engine/params.h"

namespace kaudit {

// An alert resting on the events kept for the key (their auditIDs, bounded), with `count`
// and the window from the oldest value still counted to this event; no single object (name
// and namespace cleared).
Alert MakeBurstAlert(const DetectorInfo& info, const AuditEvent& e,
                     const DistinctWindowCounter::KeyState& st, size_t count);

// After the alert: quiet for one window, values forgotten.
void QuietAfterAlert(DistinctWindowCounter& counter, DistinctWindowCounter::KeyState& st,
                     absl::Time t);

// The tunables `window` (default `window`, 1s..`max_window`) and `max_keys` (100,000) of a
// windowed counter; `values_per_key` bounds each key's distinct values.
[[nodiscard]] absl::StatusOr<DistinctWindowCounter::Options> WindowParams(DetectorParams& p,
                                                                          absl::Duration window,
                                                                          absl::Duration max_window,
                                                                          size_t values_per_key);

// The tunables `repeat_window` (1h; 0s: every event) and `max_keys` (100,000) of a RepeatGate.
[[nodiscard]] absl::StatusOr<RepeatGate> RepeatGateParams(DetectorParams& p);

}  // namespace kaudit
