#include "detectors/registry.h"

#include "absl/strings/str_cat.h"
#include "detectors/common/matcher.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"

namespace kaudit {

#define KAUDIT_DETECTOR(id, factory) \
  absl::StatusOr<std::unique_ptr<Detector>> factory(DetectorParams& params);
#define KAUDIT_DETECTOR_OFF(id, factory) KAUDIT_DETECTOR(id, factory)
#include "detectors/detector_list.inc"
#undef KAUDIT_DETECTOR_OFF
#undef KAUDIT_DETECTOR

namespace {
constexpr DetectorEntry kTable[] = {
#define KAUDIT_DETECTOR(id, factory) {#id, &factory, true},
#define KAUDIT_DETECTOR_OFF(id, factory) {#id, &factory, false},
#include "detectors/detector_list.inc"
#undef KAUDIT_DETECTOR_OFF
#undef KAUDIT_DETECTOR
};

const DetectorEntry* FindEntry(std::string_view id) {
  for (const auto& e : kTable) {
    if (e.id == id) return &e;
  }
  return nullptr;
}

absl::StatusOr<DetectorSlot> BuildOne(const DetectorEntry& entry, DetectorParams& p) {
  DetectorSlot slot;
  KAUDIT_ASSIGN_OR_RETURN(slot.detector, entry.factory(p));
  if (slot.detector->info().id != entry.id) {
    return absl::InternalError(absl::StrCat("detector table id ", ToAbsl(entry.id),
                                            " does not match info().id ",
                                            slot.detector->info().id));
  }
  KAUDIT_ASSIGN_OR_RETURN(std::string sev, p.String("severity", ""));
  if (!sev.empty()) {
    slot.severity = ParseSeverity(sev);
    if (!slot.severity) {
      return absl::InvalidArgumentError(
          absl::StrCat(p.KeyPath("severity"),
                       ": expected one of info, low, medium, high, critical; got '", sev, "'"));
    }
  }
  KAUDIT_ASSIGN_OR_RETURN(slot.aggregate, p.Duration("aggregate", absl::ZeroDuration(),
                                                     absl::ZeroDuration(), absl::Hours(24)));
  AllowList::Patterns pats;
  KAUDIT_ASSIGN_OR_RETURN(pats.users,
                          p.List("allow.users", slot.detector->info().default_allow_users));
  KAUDIT_ASSIGN_OR_RETURN(pats.groups,
                          p.List("allow.groups", slot.detector->info().default_allow_groups));
  KAUDIT_ASSIGN_OR_RETURN(pats.namespaces, p.List("allow.namespaces", {}));
  KAUDIT_ASSIGN_OR_RETURN(pats.source_cidrs, p.List("allow.source_cidrs", {}));
  if (slot.detector->info().judges_images) {
    KAUDIT_ASSIGN_OR_RETURN(pats.images, p.List("allow.images", {}));
  } else if (p.Has("allow.images")) {
    return absl::InvalidArgumentError(
        absl::StrCat(p.KeyPath("allow.images"), ": ", ToAbsl(entry.id),
                     " does not judge container images (only the pod spec detectors take it)"));
  }
  KAUDIT_ASSIGN_OR_RETURN(auto allow, AllowList::Create(pats, p.KeyPath("allow")));
  if (!allow->empty()) slot.allow = std::move(allow);
  KAUDIT_RETURN_IF_ERROR(p.CheckAllUsed());
  return slot;
}
}  // namespace

std::span<const DetectorEntry> DetectorTable() { return kTable; }

absl::StatusOr<std::vector<DetectorSlot>> BuildDetectors(
    std::map<std::string, DetectorParams, std::less<>> params) {
  for (const auto& [id, p] : params) {
    if (FindEntry(id) != nullptr) continue;
    if (!p.file().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          p.file(), ": unknown detector ", id,
          " (a file of detectors_dir is named <id>.yaml; `kaudit detectors` lists the ids)"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("detectors.", id, ": unknown detector (`kaudit detectors` lists them)"));
  }
  std::vector<DetectorSlot> slots;
  for (const auto& entry : kTable) {
    auto it = params.find(entry.id);
    DetectorParams empty(absl::StrCat("detectors.", ToAbsl(entry.id)));
    DetectorParams& p = it != params.end() ? it->second : empty;
    KAUDIT_ASSIGN_OR_RETURN(bool enabled, p.Bool("enabled", entry.enabled_by_default));
    KAUDIT_ASSIGN_OR_RETURN(DetectorSlot slot, BuildOne(entry, p));
    if (enabled) slots.push_back(std::move(slot));
  }
  return slots;
}

absl::StatusOr<std::unique_ptr<Detector>> NewDetectorWithDefaults(std::string_view id) {
  const DetectorEntry* e = FindEntry(id);
  if (e == nullptr) {
    return absl::NotFoundError(absl::StrCat("unknown detector ", ToAbsl(id)));
  }
  DetectorParams p(absl::StrCat("detectors.", ToAbsl(id)));
  return e->factory(p);
}

}  // namespace kaudit
