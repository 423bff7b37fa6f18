// A pod's service-account token used from outside its pod or node (DETECTIONS.md stateful #4).
// Bound service-account tokens name their pod in user.extra
// ("authentication.kubernetes.io/pod-name", "pod-uid", and from 1.30 "node-name"). kaudit
// learns where each pod may legitimately call from:
//  - its pod IPs and host IP, from status.podIP / status.podIPs[].ip / status.hostIP in the
//    responseObject of pod reads and writes and the requestObject of pods/status writes (the
//    kubelet reports them);
//  - its node's addresses, from the source IPs of that node's kubelet (system:node:<name>),
//    the node named by the token or by the pod's status;
//  - when no pod IP is known yet, the first source IP its token is seen from (trust on first
//    use: a pod's first request normally comes from the pod itself).
// A later request with that pod's token from any other address is reported: one alert per
// pod and address. Stateful and bounded: pods (`max_pods`, LRU, evictions counted; forgotten
// after `idle` without events or when deleted) with at most 4 addresses each, nodes
// (`max_nodes`, LRU, counted) with at most 4 addresses each. Persistent: what was learned of
// pods and nodes survives a restart (engine.state_dir), or the first use after a restart would
// be trusted again.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "detectors/common/json_scan.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/keyed_state.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

constexpr std::string_view kSaPrefix = "system:serviceaccount:";
constexpr std::string_view kNodePrefix = "system:node:";
constexpr std::string_view kPodNameKey = "authentication.kubernetes.io/pod-name";
constexpr std::string_view kPodUidKey = "authentication.kubernetes.io/pod-uid";
constexpr std::string_view kNodeNameKey = "authentication.kubernetes.io/node-name";
constexpr size_t kMaxAddresses = 4;
constexpr std::string_view kFromStatus = "pod status";

struct PodState {
  std::string uid, node, learned_from, learned_audit_id;
  std::vector<std::string> ips;       // pod and host IPs
  std::vector<std::string> reported;  // addresses already alerted on
  absl::Time last = absl::InfinitePast();
};

struct NodeState {
  std::vector<std::string> ips;
  absl::Time last = absl::InfinitePast();
};

bool Has(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

class PodTokenUsedElsewhere final : public Detector {
 public:
  PodTokenUsedElsewhere(absl::Duration idle, size_t max_pods, size_t max_nodes)
      : idle_(idle), pods_(max_pods), nodes_(max_nodes) {
    info_.id = "pod_token_used_elsewhere";
    info_.title = "Pod service-account token used outside its pod";
    info_.description =
        "A service-account token bound to a pod was used from an address that is neither the "
        "pod's nor its node's: the token was stolen from the pod (or its node) and replayed.";
    info_.severity = Severity::kCritical;
    info_.mitre = {"T1528", "T1550.001", "T1552.007"};
    info_.catalog_ids = {"S4"};  // DETECTIONS.md stateful #4
    info_.interest.stages = Interest::OutcomeStages();
    info_.stateful = true;
  }

  const DetectorInfo& info() const override { return info_; }
  size_t state_entries() const override { return pods_.size() + nodes_.size(); }
  uint64_t state_evictions() const override {
    return pods_.evictions() + nodes_.evictions() + address_evictions_;
  }

  bool persistent() const override { return true; }

  // Records: p <namespace/pod> <uid> <node> <ips,> <reported,> <learned_from> <audit_id>
  // <last_ns>; n <node> <ips,> <last_ns>.
  absl::Status SaveState(StateWriter& w) const override {
    pods_.ForEachOldestFirst([&](const std::string& key, const PodState& p) {
      w.Record({"p", key, p.uid, p.node, absl::StrJoin(p.ips, ","), absl::StrJoin(p.reported, ","),
                p.learned_from, p.learned_audit_id, TimeToField(p.last)});
    });
    nodes_.ForEachOldestFirst([&](const std::string& key, const NodeState& n) {
      w.Record({"n", key, absl::StrJoin(n.ips, ","), TimeToField(n.last)});
    });
    return absl::OkStatus();
  }

  absl::Status LoadState(StateReader& r) override {
    if (r.version() != 1) return r.Error(absl::StrCat("unknown version ", r.version()));
    std::vector<std::string> f;
    auto list = [](const std::string& s) {
      return s.empty() ? std::vector<std::string>()
                       : std::vector<std::string>(absl::StrSplit(s, ','));
    };
    while (r.Next(&f)) {
      absl::Time t;
      if (f.size() == 9 && f[0] == "p" && TimeFromField(f[8], &t)) {
        PodState& p = pods_.Touch(f[1]);
        p.uid = f[2];
        p.node = f[3];
        p.ips = list(f[4]);
        p.reported = list(f[5]);
        p.learned_from = f[6];
        p.learned_audit_id = f[7];
        p.last = t;
      } else if (f.size() == 4 && f[0] == "n" && TimeFromField(f[3], &t)) {
        NodeState& n = nodes_.Touch(f[1]);
        n.ips = list(f[2]);
        n.last = t;
      } else {
        return r.Error(
            "expected: p <pod> <uid> <node> <ips> <reported> <learned_from> <audit_id> <last_ns> "
            "| n <node> <ips> <last_ns>");
      }
    }
    return absl::OkStatus();
  }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome) return;
    if (StartsWith(e.username, kNodePrefix)) LearnNode(e);
    if (e.object.resource == "pods" && e.Succeeded()) LearnPod(e);
    if (StartsWith(e.username, kSaPrefix) && !e.user_extra.empty() && e.response_code != 401 &&
        !e.source_ips.empty() && e.user_extra.find(kPodNameKey) != std::string_view::npos) {
      Judge(e, out);
    }
  }

  void OnWatermark(absl::Time watermark, AlertEmitter& out) override {
    // The end of input is not idleness: keep what was learned for the state save.
    if (watermark == absl::InfiniteFuture()) return;
    pods_.EraseOldestWhile([&](const PodState& p) { return p.last + idle_ < watermark; });
    nodes_.EraseOldestWhile([&](const NodeState& n) { return n.last + idle_ < watermark; });
  }

 private:
  void Add(std::vector<std::string>& v, std::string_view ip) {
    if (ip.empty() || Has(v, ip)) return;
    if (v.size() >= kMaxAddresses) {
      v.erase(v.begin());
      ++address_evictions_;
    }
    v.emplace_back(ip);
  }

  void LearnNode(const AuditEvent& e) {
    std::string_view name = e.username.substr(kNodePrefix.size());
    if (name.empty() || e.source_ips.empty() || e.response_code == 401) return;
    NodeState* n = nodes_.Find(name);
    if (n != nullptr && Has(n->ips, e.SourceIp())) {
      n->last = e.stage_timestamp;  // the common case: no insert, no reorder
      return;
    }
    NodeState& s = nodes_.Touch(name);
    s.last = e.stage_timestamp;
    Add(s.ips, e.SourceIp());
  }

  // status.podIP(s) and hostIP from a pod read/write response or a pods/status write.
  void LearnPod(const AuditEvent& e) {
    if (e.object.namespace_.empty()) return;
    if (e.verb == Verb::kDelete && e.object.subresource.empty() && !e.object.name.empty()) {
      pods_.Erase(absl::StrCat(ToAbsl(e.object.namespace_), "/", ToAbsl(e.object.name)));
      return;
    }
    // Single pods only: lists are skipped (a PodList would be walked end to end).
    if (e.verb != Verb::kGet && e.verb != Verb::kCreate && e.verb != Verb::kUpdate &&
        e.verb != Verb::kPatch) {
      return;
    }
    if (e.object.subresource != "" && e.object.subresource != "status") return;
    // A kubelet's status write names the addresses in its request when they change.
    const PodStatusView* st = e.object.subresource == "status" ? e.RequestPodStatus() : nullptr;
    if (st == nullptr && e.verb != Verb::kCreate && !e.object.name.empty()) {
      // Any other read or write of a pod whose status was learned already: a pod's addresses
      // do not change while it lives (a new pod under the name shows a new uid in its status
      // write, and a deleted one is forgotten). This skips parsing the whole response object
      // of every pod read and write after the first.
      PodState* known =
          pods_.Find(absl::StrCat(ToAbsl(e.object.namespace_), "/", ToAbsl(e.object.name)));
      if (known != nullptr && !known->uid.empty() && known->learned_from == kFromStatus) {
        known->last = e.stage_timestamp;
        return;
      }
    }
    if (st == nullptr) st = e.ResponsePodStatus();
    if (st == nullptr) return;
    std::string_view name = e.object.name.empty() ? st->name : e.object.name;
    if (name.empty()) return;
    PodState& p = pods_.Touch(absl::StrCat(ToAbsl(e.object.namespace_), "/", ToAbsl(name)));
    if (!st->uid.empty() && st->uid != p.uid) {
      if (!p.uid.empty()) p = PodState();  // a new pod under the same name
      p.uid = std::string(st->uid);
    }
    if (!st->node_name.empty()) p.node = std::string(st->node_name);
    for (std::string_view ip : st->pod_ips) Add(p.ips, ip);
    Add(p.ips, st->host_ip);
    p.learned_from = kFromStatus;
    p.learned_audit_id = std::string(e.audit_id);
    p.last = e.stage_timestamp;
  }

  void Judge(const AuditEvent& e, AlertEmitter& out) {
    std::string pod = UserExtraValue(e.user_extra, kPodNameKey);
    if (pod.empty()) return;
    // system:serviceaccount:<namespace>:<name>: the pod lives in the account's namespace.
    std::string_view rest = e.username.substr(kSaPrefix.size());
    size_t colon = rest.find(':');
    if (colon == std::string_view::npos || colon == 0) return;
    std::string_view ns = rest.substr(0, colon);
    std::string uid = UserExtraValue(e.user_extra, kPodUidKey);
    std::string node = UserExtraValue(e.user_extra, kNodeNameKey);
    std::string key = absl::StrCat(ToAbsl(ns), "/", pod);
    bool inserted = false;
    PodState& p = pods_.Touch(key, &inserted);
    p.last = e.stage_timestamp;
    if (!uid.empty() && uid != p.uid) {
      if (!p.uid.empty()) p = PodState();  // the token of a new pod under the same name
      p.uid = uid;
      p.last = e.stage_timestamp;
    }
    if (!node.empty()) p.node = node;
    std::string_view ip = e.SourceIp();
    if (Has(p.ips, ip) || Has(p.reported, ip)) return;
    if (!p.node.empty()) {
      if (NodeState* n = nodes_.Find(p.node); n != nullptr && Has(n->ips, ip)) return;
    }
    if (p.ips.empty()) {  // nothing known of the pod yet: trust its first use
      Add(p.ips, ip);
      p.learned_from = "first use of its token";
      p.learned_audit_id = std::string(e.audit_id);
      return;
    }
    Alert a = MakeAlert(info_, e);
    if (!p.learned_audit_id.empty()) a.AddAuditId(p.learned_audit_id);
    a.AddField("pod", key);
    if (!p.uid.empty()) a.AddField("pod_uid", p.uid);
    if (!p.node.empty()) a.AddField("node", p.node);
    a.AddField("pod_addresses", absl::StrJoin(p.ips, ","));
    a.AddField("learned_from", p.learned_from);
    a.AddField("source_ip", std::string(ip));
    a.message = absl::StrCat(ToAbsl(e.username), " used the token of pod ", key, " to ",
                             ToAbsl(e.verb_text), " ", TargetLabel(e), " from ", ToAbsl(ip),
                             ", not the pod's address (", absl::StrJoin(p.ips, ", "),
                             ") nor its node's", p.node.empty() ? "" : " " + p.node,
                             ": the pod's credential is used outside the pod");
    out.Emit(std::move(a));
    if (p.reported.size() >= kMaxAddresses) {
      p.reported.erase(p.reported.begin());
      ++address_evictions_;
    }
    p.reported.emplace_back(ip);
  }

  DetectorInfo info_;
  absl::Duration idle_;
  BoundedLruMap<PodState> pods_;
  BoundedLruMap<NodeState> nodes_;
  uint64_t address_evictions_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewPodTokenUsedElsewhere(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(absl::Duration idle, p.Duration("idle", absl::Hours(24), absl::Minutes(1),
                                                          absl::Hours(24 * 30)));
  KAUDIT_ASSIGN_OR_RETURN(int64_t max_pods, p.Int("max_pods", 200000, 1, 100000000));
  KAUDIT_ASSIGN_OR_RETURN(int64_t max_nodes, p.Int("max_nodes", 20000, 1, 10000000));
  return std::make_unique<PodTokenUsedElsewhere>(idle, static_cast<size_t>(max_pods),
                                                 static_cast<size_t>(max_nodes));
}

}  // namespace kaudit
