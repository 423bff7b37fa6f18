#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "src/event/audit_event.h"

namespace kaudit {

// Resources whose objects carry a pod spec: pods and every workload with a pod template.
const std::vector<std::string>& PodSpecResources();

// The pod spec this write put into the cluster, chosen the way detectors of pod specs need:
// the requestObject when it carries one (create, update, strategic/merge patch), else the
// responseObject (JSON patches, whose request body is a list of operations). Sets
// *not_visible when the event shows no object at all (audit level Metadata).
const PodSpecView* WrittenPodSpec(const AuditEvent& e, bool* not_visible);

// True for a successful create/update/patch of a pod (main resource or ephemeralcontainers)
// or of a workload resource; false for status updates, bindings, evictions and the like.
bool IsPodSpecWrite(const AuditEvent& e);

// "pod default/nginx", "deployment prod/api". For objects created with generateName (no name
// in objectRef) the name comes from the response object, else the spec's generateName.
std::string WorkloadLabel(const AuditEvent& e, const PodSpecView* spec);

}  // namespace kaudit
