// Create then exec (DETECTIONS.md stateful #1): an identity creates a pod and then execs or
// attaches into that same pod within a window of event time. The pattern of an attacker who
// launches a tool pod (often privileged or with a hostPath mount) and steps into it. Stateful
// and bounded: pods created in the last `window`, keyed by namespace/name, at most `max_pods`
// (least recently created evicted and counted). One alert per pod.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/keyed_state.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

struct CreatedPod {
  std::string actor;
  std::string audit_id;
  absl::Time created = absl::InfinitePast();
  bool privileged = false;
  bool host_path = false;
  bool host_namespaces = false;
};

class CreateThenExec final : public Detector {
 public:
  CreateThenExec(absl::Duration window, size_t max_pods) : window_(window), pods_(max_pods) {
    info_.id = "create_then_exec";
    info_.title = "Pod created then exec'd into by its creator";
    info_.description =
        "One identity created a pod and then opened an exec/attach session in it shortly after: "
        "an attacker launching a tool pod and stepping into it (worse when privileged or "
        "mounting the host).";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1609", "T1610"};
    info_.catalog_ids = {"S1"};  // DETECTIONS.md stateful #1
    info_.interest.verbs = Interest::Verbs({Verb::kCreate, Verb::kGet});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"pods"};
    info_.stateful = true;
  }

  const DetectorInfo& info() const override { return info_; }
  size_t state_entries() const override { return pods_.size(); }
  uint64_t state_evictions() const override { return pods_.evictions(); }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome) return;
    std::string_view sub = e.object.subresource;
    if (sub.empty() && e.verb == Verb::kCreate) {
      OnCreate(e);
    } else if (sub == "exec" || sub == "attach") {
      OnExec(e, out);
    }
  }

  void OnWatermark(absl::Time watermark, AlertEmitter& out) override {
    pods_.EraseOldestWhile([&](const CreatedPod& p) { return p.created + window_ < watermark; });
  }

 private:
  void OnCreate(const AuditEvent& e) {
    if (!e.Succeeded()) return;
    std::string_view name = e.object.name;
    // The request's spec is the one the pod-security detectors parse already.
    const PodSpecView* spec = e.RequestPodSpec();
    if (spec == nullptr) spec = e.ResponsePodSpec();
    if (name.empty() && spec != nullptr) name = spec->object_name;
    if (name.empty()) return;
    CreatedPod& p = pods_.Touch(Key(e.object.namespace_, name));
    p = CreatedPod{};
    p.actor = std::string(e.Actor());
    p.audit_id = std::string(e.audit_id);
    p.created = e.stage_timestamp;
    if (spec != nullptr) {
      p.host_namespaces = spec->host_network || spec->host_pid || spec->host_ipc;
      for (const auto& c : spec->containers) {
        if (c.security_context.privileged.value_or(false)) p.privileged = true;
      }
      for (const auto& v : spec->volumes) {
        if (v.type == "hostPath") p.host_path = true;
      }
    }
  }

  void OnExec(const AuditEvent& e, AlertEmitter& out) {
    if (!ExecAllowed(e)) return;
    std::string key = Key(e.object.namespace_, e.object.name);
    CreatedPod* p = pods_.Find(key);
    if (p == nullptr || p->actor != e.Actor()) return;
    absl::Duration after = e.stage_timestamp - p->created;
    if (after < absl::ZeroDuration() || after > window_) return;
    Alert a = MakeSequenceAlert(info_, e, p->audit_id, p->created);
    std::string risk;
    if (p->privileged) risk += " privileged";
    if (p->host_path) risk += " hostPath";
    if (p->host_namespaces) risk += " host-namespace";
    if (p->privileged || p->host_path || p->host_namespaces) a.severity = Severity::kHigh;
    a.AddField("created_at", absl::FormatTime(p->created));
    a.AddField("seconds_after_create", absl::StrCat(absl::ToInt64Seconds(after)));
    a.AddField("pod_risk", risk.empty() ? "none" : risk.substr(1));
    a.message =
        absl::StrCat(ActorLabel(e), " created", risk, " pod ", ObjectLabel(e), " and ",
                     ToAbsl(e.object.subresource), "'d into it ", absl::FormatDuration(after),
                     " later: a tool pod launched to run commands inside the cluster");
    out.Emit(std::move(a));
    pods_.Erase(key);
  }

  static std::string Key(std::string_view ns, std::string_view name) {
    return absl::StrCat(ToAbsl(ns), "/", ToAbsl(name));
  }

  DetectorInfo info_;
  absl::Duration window_;
  BoundedLruMap<CreatedPod> pods_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewCreateThenExec(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(absl::Duration window, p.Duration("window", absl::Minutes(30),
                                                            absl::Seconds(1), absl::Hours(24)));
  KAUDIT_ASSIGN_OR_RETURN(int64_t max_pods, p.Int("max_pods", 100000, 1, 100000000));
  return std::make_unique<CreateThenExec>(window, static_cast<size_t>(max_pods));
}

}  // namespace kaudit
