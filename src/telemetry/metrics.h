#pragma once

#include <string>

#include "src/pipeline/summary.h"

namespace kaudit {

struct ProcessInfo {
  std::string version;
  std::string parser;  // "simdjson 3.0.1 (haswell)"
  std::string mode;    // replay, serve, tail, consume
};

// Renders the Prometheus text exposition of a run's counters (prometheus-cpp's serializer).
// Metric names follow kaudit_<component>_<noun>_<unit>; every counter comes from the same
// RunSummary the run prints, so /metrics and the summary agree by construction.
std::string RenderMetrics(const RunSummary& summary, const ProcessInfo& info, bool finished);

}  // namespace kaudit
