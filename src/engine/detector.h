#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "src/engine/alert.h"
#include "src/engine/state_io.h"
#include "src/event/audit_event.h"

namespace kaudit {

// Properties of an event that the dispatcher tests once per event (EventTraits), so that a
// detector which judges only events having them is not called for the others.
struct EventTrait {
  static constexpr uint32_t kAnonymous = 1u << 0;      // AuditEvent::IsAnonymous()
  static constexpr uint32_t kImpersonating = 1u << 1;  // an impersonated user or group
  static constexpr uint32_t kRefused = 1u << 2;        // code 401 or 403, or decision "forbid"
  // The pod-security.kubernetes.io/audit-violations annotation is set.
  static constexpr uint32_t kPodSecurityViolation = 1u << 3;
  // The user is a namespace's `default` service account (system:serviceaccount:NS:default).
  static constexpr uint32_t kDefaultServiceAccount = 1u << 4;
};
// The EventTrait bits `e` has.
uint32_t EventTraits(const AuditEvent& e);

// Which events a detector wants. The dispatcher indexes detectors by verb x resource x stage
// so that an event reaches only the detectors that may care about it, and then shows it only
// events with all of the detector's `traits`. A detector may narrow its Interest from its
// configuration (none while it has nothing to match against).
struct Interest {
  uint32_t verbs = ~0u;                // bit per Verb
  uint32_t stages = 0;                 // bit per Stage
  std::vector<std::string> resources;  // objectRef.resource values; empty = every event
  // EventTrait bits: the detector judges only events with every one of them (0 = any event).
  // A promise the detector keeps: it would have alerted on none of the others.
  uint32_t traits = 0;

  static constexpr uint32_t Bit(Verb v) { return 1u << static_cast<int>(v); }
  static constexpr uint32_t Bit(Stage s) { return 1u << static_cast<int>(s); }
  static uint32_t Verbs(std::initializer_list<Verb> vs);
  static uint32_t Stages(std::initializer_list<Stage> ss);
  // ResponseStarted, ResponseComplete and Panic: where outcomes are judged.
  static uint32_t OutcomeStages();
  // create, update, patch
  static uint32_t WriteVerbs();
};

struct DetectorInfo {
  std::string id;  // stable snake_case id
  std::string title;
  std::string description;                // one sentence: what it detects and why it matters
  Severity severity = Severity::kMedium;  // default
  std::vector<std::string> mitre;         // ATT&CK technique ids
  std::vector<std::string> catalog_ids;   // DETECTIONS.md catalog ids covered
  Interest interest;
  bool stateful = false;
  // Default allow-list of users (RE2, full match), replaced by allow.users in the config.
  std::vector<std::string> default_allow_users;
  // Default allow-list of groups (RE2, full match), replaced by allow.groups in the config.
  std::vector<std::string> default_allow_groups;
  // Its alerts are about the containers of pod specs it reads: it takes `allow.images` besides
  // the other allow keys (an image allow-list means nothing to the other detectors).
  bool judges_images = false;
  // What events_not_judged() counts, for the run summary and the end-of-run hint. Empty: events
  // without the request or response object the detector reads (audit level Metadata for its
  // resources), and the hint is to raise the audit policy for `interest.resources`.
  std::string not_judged_reason;
  // For a detector that asks for no events until a parameter is set (interest.stages == 0 as
  // configured): the parameters that activate it, named in the startup line listing such
  // detectors, e.g. "trusted_cidrs".
  std::string activated_by;
};

class AlertEmitter {
 public:
  virtual ~AlertEmitter() = default;
  virtual void Emit(Alert alert) = 0;
};

// A detector sees the events its Interest selects. OnEvent must not throw, block, do I/O or
// read the wall clock: time is the events' own (stageTimestamp), and OnWatermark tells a
// stateful detector how far event time has advanced so it can expire state.
class Detector {
 public:
  virtual ~Detector() = default;
  virtual const DetectorInfo& info() const = 0;
  virtual void OnEvent(const AuditEvent& event, AlertEmitter& out) = 0;
  virtual void OnWatermark(absl::Time watermark, AlertEmitter& out) {}
  // State held (keys) and evicted because of a bound, for stateful detectors.
  virtual size_t state_entries() const { return 0; }
  virtual uint64_t state_evictions() const { return 0; }
  // Events the detector wanted to judge but could not (e.g. no pod spec at Metadata level).
  virtual uint64_t events_not_judged() const { return 0; }
  // Persistent state (engine.state_dir): what must survive a restart so that a restarted
  // kaudit neither re-learns nor re-alerts (first-seen sets, last-known specs). Called outside
  // the per-event path: LoadState once at start, SaveState at the end of input and when event
  // time advanced by engine.state_save_interval. The defaults keep nothing.
  virtual bool persistent() const { return false; }
  [[nodiscard]] virtual absl::Status SaveState(StateWriter& out) const { return absl::OkStatus(); }
  [[nodiscard]] virtual absl::Status LoadState(StateReader& in) { return absl::OkStatus(); }
};

// Predicate over events, used for per-detector allow-lists (implemented behind RE2 in
// detectors/common).
class EventFilter {
 public:
  virtual ~EventFilter() = default;
  virtual bool Matches(const AuditEvent& event) const = 0;
  // An alert of an event Matches() let through that is skipped all the same (allow.images: the
  // alert names an allowed container image).
  virtual bool MatchesAlert(const Alert& alert) const { return false; }
};

// Starts an alert with the detector's identity only (id, title, severity, MITRE), for reports
// that rest on many events rather than one.
Alert MakeDetectorAlert(const DetectorInfo& info);
// Starts an alert from the event it rests on: actor, object, time, auditID.
Alert MakeAlert(const DetectorInfo& info, const AuditEvent& event);
// The same for a two-step sequence: the alert rests on an earlier event (its auditID and time)
// and this one; the window spans both.
Alert MakeSequenceAlert(const DetectorInfo& info, const AuditEvent& event,
                        std::string_view first_audit_id, absl::Time first_time);

}  // namespace kaudit
