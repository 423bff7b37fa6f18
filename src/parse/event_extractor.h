#pragma once
// Internal to src/parse: turns one On-Demand JSON object into an AuditEvent in one forward pass.

#include <simdjson.h>

#include <string_view>
#include <vector>

#include "src/common/time_util.h"
#include "src/event/audit_event.h"
#include "src/parse/event_reader.h"
#include "src/parse/pod_spec_parser.h"

namespace kaudit::parse_internal {

struct ExtractScratch {
  std::vector<std::string_view> groups, impersonated_groups, source_ips;
  size_t max_items = 1024;
  uint64_t truncated = 0;  // list items beyond max_items in the last object
  Rfc3339Parser times;     // the event's timestamps
  // The pod objects detectors read (PodObjectsWanted), read in the same pass: pods[0] for the
  // requestObject, pods[1] for the responseObject, valid when pod_parsed[i].
  ParsedPodObject pods[2];
  bool pod_parsed[2] = {false, false};
  // The document being read: the pod reader is lenient, so its iterator is checked afterwards.
  simdjson::ondemand::document* doc = nullptr;
};

struct ExtractError {
  InvalidReason reason = InvalidReason::kMalformedJson;
  std::string_view detail;                              // static text or field name
  simdjson::error_code json_error = simdjson::SUCCESS;  // set for JSON-level (syntax) errors
};

InvalidReason ReasonForJsonError(simdjson::error_code ec);

// What a top-level object turned out to be.
enum class ObjectKind { kEvent, kEventList };

// Extracts every field of the event view. For an EventList (an object with `items`), calls
// `on_item(value, index)` for each item instead, during the same pass, and returns kEventList.
// Returns false with `err` set when the object is not a valid audit event.
template <typename OnItem>
bool ExtractObject(simdjson::ondemand::object obj, AuditEvent& e, ExtractScratch& s,
                   ExtractError& err, ObjectKind& kind, OnItem&& on_item);

}  // namespace kaudit::parse_internal

#include "src/parse/event_extractor_inl.h"
