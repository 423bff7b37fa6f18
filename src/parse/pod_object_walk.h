#pragma once
// Internal to src/parse: reads an event's pod objects in the pass that parses the event, so
// that the detectors' thread neither parses them again nor runs stage 1 over them twice.

#include <simdjson.h>

#include "src/event/audit_event.h"
#include "src/parse/pod_spec_parser.h"

namespace kaudit::parse_internal {

// Whether the reader reads an event's pod objects as it parses the event: writes of pods and
// pod-bearing workloads and single-pod reads and status writes (what the pod-security,
// workload and pod-address detectors read), on the stages that carry the outcome. Others are
// parsed on first use (LazyObjectCache).
bool PodObjectsWanted(Stage stage, Verb verb, const ObjectRef& ref);

// Reads the pod spec and status of `obj` into `out` (as PodSpecParser::Parse does) and
// walks the object to its end. Returns the JSON error of a malformed object, else SUCCESS.
simdjson::error_code WalkPodObject(simdjson::ondemand::object obj, ParsedPodObject& out);

}  // namespace kaudit::parse_internal
