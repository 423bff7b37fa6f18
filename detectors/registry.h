#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "src/engine/detector.h"
#include "src/engine/dispatcher.h"
#include "src/engine/params.h"

namespace kaudit {

// A detector factory reads its own tunables from `params` (validated, defaults applied).
using DetectorFactory = absl::StatusOr<std::unique_ptr<Detector>> (*)(DetectorParams& params);

struct DetectorEntry {
  std::string_view id;
  DetectorFactory factory;
  bool enabled_by_default = true;  // KAUDIT_DETECTOR_OFF entries: only with `enabled: true`
};

// Every built-in detector, from detectors/detector_list.inc.
std::span<const DetectorEntry> DetectorTable();

// Builds the enabled detectors. `params` holds each configured detector's keys (by id); keys
// common to every detector are handled here:
//   enabled: bool, severity: info|low|medium|high|critical,
//   allow.users / allow.groups / allow.namespaces: lists of RE2 patterns (full match).
// Unknown detector ids and unknown keys are errors naming the key path.
[[nodiscard]] absl::StatusOr<std::vector<DetectorSlot>> BuildDetectors(
    std::map<std::string, DetectorParams, std::less<>> params);

// One detector with default settings (tests, `kaudit detectors`).
[[nodiscard]] absl::StatusOr<std::unique_ptr<Detector>> NewDetectorWithDefaults(
    std::string_view id);

}  // namespace kaudit
