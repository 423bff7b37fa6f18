// Workload diff (DETECTIONS.md stateful #6): an update or patch of a Deployment, DaemonSet,
// StatefulSet, ReplicaSet, Job, CronJob or ReplicationController whose pod template, compared
// with the last known template of that workload, adds a container, runs an image never seen
// in that workload, or turns on privileged, hostPath, hostNetwork/hostPID/hostIPC. Implanting
// a sidecar or swapping an image in a trusted workload hides better than a new pod.
//
// Stateful and bounded: per workload the container names, the images seen (at most
// `max_images`, oldest dropped and counted) and the risky flags of the last known template;
// at most `max_workloads` workloads (least recently touched evicted, counted). Learned from
// creates, updates and patches (full templates: request objects of creates/updates, response
// objects when the audit level records them). The state survives a restart (engine.state_dir).
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/keyed_state.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

constexpr char kSep = '\x1f';

struct Flags {
  bool privileged = false, host_path = false, host_namespaces = false;
};

Flags FlagsOf(const PodSpecView& s) {
  Flags f;
  f.host_namespaces = s.host_network || s.host_pid || s.host_ipc;
  for (const auto& c : s.containers) {
    if (c.security_context.privileged.value_or(false)) f.privileged = true;
  }
  for (const auto& v : s.volumes) {
    if (v.type == "hostPath") f.host_path = true;
  }
  return f;
}

struct Known {
  std::vector<std::string> containers;
  std::vector<std::string> images;  // oldest first
  Flags flags;
};

class WorkloadDiff final : public Detector {
 public:
  WorkloadDiff(size_t max_workloads, size_t max_images)
      : max_images_(max_images), workloads_(max_workloads) {
    info_.id = "workload_diff";
    info_.title = "Workload template changed in a risky way";
    info_.description =
        "An update to an existing workload added a container, introduced an image never seen "
        "in it, or turned on privileged/hostPath/host namespaces: an implant hidden in a "
        "trusted workload.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1525", "T1610", "T1611"};
    info_.catalog_ids = {"S7", "C54"};  // DETECTIONS.md stateful #7
    info_.interest.verbs =
        Interest::Verbs({Verb::kCreate, Verb::kUpdate, Verb::kPatch, Verb::kDelete});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"deployments", "daemonsets", "statefulsets",          "replicasets",
                                "jobs",        "cronjobs",   "replicationcontrollers"};
    info_.stateful = true;
  }

  const DetectorInfo& info() const override { return info_; }
  size_t state_entries() const override { return workloads_.size(); }
  uint64_t state_evictions() const override { return workloads_.evictions() + dropped_; }
  uint64_t events_not_judged() const override { return not_judged_; }
  bool persistent() const override { return true; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded() || !e.object.subresource.empty()) return;
    const PodSpecView* resp = e.ResponsePodSpec();
    std::string_view name = e.object.name;
    if (name.empty() && resp != nullptr) name = resp->object_name;
    if (name.empty()) return;
    std::string key = absl::StrCat(ToAbsl(e.object.resource), " ", ToAbsl(e.object.namespace_), "/",
                                   ToAbsl(name));
    if (e.verb == Verb::kDelete) {
      workloads_.Erase(key);
      return;
    }
    // The full template after the write: the response (RequestResponse level) or the request
    // of a create/update. A patch without a response shows only what it changes.
    const PodSpecView* full = resp;
    const PodSpecView* req = e.RequestPodSpec();
    if (full == nullptr && e.verb != Verb::kPatch) full = req;
    const PodSpecView* changed = full != nullptr ? full : req;
    if (changed == nullptr) {
      if (e.request_object.empty() && e.response_object.empty()) ++not_judged_;
      return;
    }
    bool inserted = false;
    Known& k = workloads_.Touch(key, &inserted);
    if (inserted || e.verb == Verb::kCreate) {
      Learn(k, *changed, full != nullptr);
      return;
    }
    std::vector<std::string> changes;
    bool high = false;
    bool added_container = false;
    if (full != nullptr) {
      for (const auto& c : full->containers) {
        if (!absl::c_linear_search(k.containers, c.name)) {
          changes.push_back(absl::StrCat("added container ", ToAbsl(c.name)));
          added_container = true;
        }
      }
    }
    for (const auto& c : changed->containers) {
      if (!c.image.empty() && !absl::c_linear_search(k.images, c.image)) {
        changes.push_back(absl::StrCat("new image ", ToAbsl(c.image)));
      }
    }
    Flags f = FlagsOf(*changed);
    if (f.privileged && !k.flags.privileged) {
      changes.push_back("turned on privileged");
      high = true;
    }
    if (f.host_path && !k.flags.host_path) {
      changes.push_back("added a hostPath volume");
      high = true;
    }
    if (f.host_namespaces && !k.flags.host_namespaces) {
      changes.push_back("turned on host namespaces");
      high = true;
    }
    Learn(k, *changed, full != nullptr);
    if (changes.empty()) return;
    Alert a = MakeAlert(info_, e);
    // A new image alone is a routine rollout more often than not: low. A new container is
    // medium, a risky flag high.
    a.severity = high ? Severity::kHigh : added_container ? Severity::kMedium : Severity::kLow;
    a.name = std::string(name);
    a.count = changes.size();
    a.AddField("changes", absl::StrJoin(changes, "; "));
    a.message = absl::StrCat(ActorLabel(e), " ", ToAbsl(PastTense(e.verb)), " ", key, ": ",
                             absl::StrJoin(changes, "; "),
                             " (compared with its last known template): a trusted workload "
                             "changed to run something new");
    out.Emit(std::move(a));
  }

  absl::Status SaveState(StateWriter& w) const override {
    // Records: "w", workload, containers, images (each list \x1f-joined), flags "phn"
    workloads_.ForEachOldestFirst([&](const std::string& key, const Known& k) {
      std::string flags = absl::StrCat(k.flags.privileged ? "p" : "", k.flags.host_path ? "h" : "",
                                       k.flags.host_namespaces ? "n" : "");
      w.Record({"w", key, absl::StrJoin(k.containers, std::string(1, kSep)),
                absl::StrJoin(k.images, std::string(1, kSep)), flags});
    });
    return absl::OkStatus();
  }

  absl::Status LoadState(StateReader& in) override {
    if (in.version() != 1) return in.Error(absl::StrCat("unknown version ", in.version()));
    std::vector<std::string> f;
    while (in.Next(&f)) {
      if (f.size() != 5 || f[0] != "w") return in.Error("expected: w <workload> <3 fields>");
      Known& k = workloads_.Touch(f[1]);
      k = Known{};
      if (!f[2].empty()) {
        std::vector<std::string> containers = absl::StrSplit(f[2], kSep);
        k.containers = std::move(containers);
      }
      if (!f[3].empty()) {
        std::vector<std::string> images = absl::StrSplit(f[3], kSep);
        k.images = std::move(images);
      }
      k.flags.privileged = f[4].find('p') != std::string::npos;
      k.flags.host_path = f[4].find('h') != std::string::npos;
      k.flags.host_namespaces = f[4].find('n') != std::string::npos;
    }
    return absl::OkStatus();
  }

 private:
  void Learn(Known& k, const PodSpecView& s, bool full) {
    if (full) {
      k.containers.clear();
      for (const auto& c : s.containers) k.containers.emplace_back(c.name);
      k.flags = FlagsOf(s);
    } else {
      Flags f = FlagsOf(s);
      k.flags.privileged |= f.privileged;
      k.flags.host_path |= f.host_path;
      k.flags.host_namespaces |= f.host_namespaces;
    }
    for (const auto& c : s.containers) {
      if (c.image.empty() || absl::c_linear_search(k.images, c.image)) continue;
      if (k.images.size() >= max_images_) {
        k.images.erase(k.images.begin());
        ++dropped_;
      }
      k.images.emplace_back(c.image);
    }
  }

  DetectorInfo info_;
  size_t max_images_;
  BoundedLruMap<Known> workloads_;
  uint64_t dropped_ = 0;
  uint64_t not_judged_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewWorkloadDiff(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(int64_t max_workloads, p.Int("max_workloads", 50000, 1, 10000000));
  KAUDIT_ASSIGN_OR_RETURN(int64_t max_images, p.Int("max_images", 32, 1, 10000));
  return std::make_unique<WorkloadDiff>(static_cast<size_t>(max_workloads),
                                        static_cast<size_t>(max_images));
}

}  // namespace kaudit
