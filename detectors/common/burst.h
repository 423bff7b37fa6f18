#pragma once
// Shared by the windowed distinct-count detectors (secret_enumeration, permission_enumeration,
// the bursts): the alert of a key whose distinct count crossed its threshold.

#include <string>

#include "src/engine/detector.h"
#include "src/engine/keyed_state.h"

namespace kaudit {

// An alert resting on the events kept for the key (their auditIDs, bounded), with `count`
// and the window from the oldest value still counted to this event; no single object (name
// and namespace cleared).
Alert MakeBurstAlert(const DetectorInfo& info, const AuditEvent& e,
                     const DistinctWindowCounter::KeyState& st, size_t count);

// After the alert: quiet for one window, values forgotten.
void QuietAfterAlert(DistinctWindowCounter& counter, DistinctWindowCounter::KeyState& st,
                     absl::Time t);

}  // namespace kaudit
