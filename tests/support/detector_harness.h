#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "src/engine/alert.h"
#include "src/engine/params.h"

namespace kaudit::testing {

struct DetectorRun {
  std::vector<Alert> alerts;
  uint64_t events = 0;
  uint64_t allowed = 0;  // events (and alerts, allow.images) its allow-list skipped
  uint64_t not_judged = 0;
  uint64_t state_evictions = 0;
};

// Runs only detector `id` (defaults plus `params`; a value written "[a,b]" is a list) over audit
// data, in-process, the way `kaudit replay` does: parse, dispatch, finish.
DetectorRun RunDetector(std::string_view id, std::string_view data,
                        std::map<std::string, std::string> params = {});
// The value of an alert's evidence field, or "<none>".
std::string FieldOf(const Alert& a, const std::string& key);
// All evidence fields as "k=v;k=v;" (for substring assertions).
std::string Fields(const Alert& a);

DetectorRun RunDetectorOnFile(std::string_view id, const std::string& path,
                              std::map<std::string, std::string> params = {});

}  // namespace kaudit::testing
