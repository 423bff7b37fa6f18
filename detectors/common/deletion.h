#pragma once
// The guardrail-deleted detectors (events_deleted, networkpolicy_deleted, quota_deleted): a
// successful delete or deletecollection of a kind whose removal undoes a control. The namespace
// controller, which deletes everything in a deleted namespace, is allow-listed by default.
#include <memory>
#include <string>
#include <vector>

#include "src/engine/detector.h"

namespace kaudit {

struct DeletionDetectorSpec {
  struct Kind {
    std::string resource;  // objectRef.resource: "networkpolicies"
    std::string singular;  // for messages: "NetworkPolicy"
    std::string plural;    // "NetworkPolicies"
  };
  DetectorInfo info;        // id, title, description, severity, MITRE and catalog ids
  std::vector<Kind> kinds;  // the kinds watched
  std::string consequence;  // ends the message: "the network isolation it enforced is gone"
};

// A detector for `spec` (interest: delete and deletecollection of its kinds, outcomes).
std::unique_ptr<Detector> NewDeletionDetector(DeletionDetectorSpec spec);

}  // namespace kaudit
