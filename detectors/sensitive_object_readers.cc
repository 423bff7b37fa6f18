// Sensitive object readers (catalog C22: Splunk's hunting searches "Kubernetes AWS/Azure/GCP
// detect sensitive role access", "... sensitive object access", "AWS EKS Kubernetes cluster
// sensitive object access", "... detect most active service accounts by pod"; Sentinel's
// "Azure RBAC AKS created role details"). Those searches are top/rare statistics over a search
// window; this detector turns them into a bounded report in event time.
//
// It counts, per reader identity (the actor: the impersonated user when impersonating), the
// successful (2xx) get/list/watch requests on `resources` (clusterroles, clusterrolebindings,
// roles, rolebindings, secrets, configmaps) within tumbling event-time windows of `window`
// (24h, aligned to the Unix epoch, so at midnight UTC): reads per resource, distinct objects
// (a list counts as one object, "<resource>/<namespace>/*"), distinct namespaces, source IPs.
// Loopback sources (the API server's own clients) are ignored, and system components are
// allow-listed by default (node identities, kube-* components, kube-system service accounts,
// EKS and AKS managers).
//
// When a window closes (the watermark passes its end, or the input ends) it raises one alert
// per reader that is among the `top` (5) readers by reads, or that read a resource no more than
// `rare_max_readers` (1) readers read in that window, ranked by reads. Info, off by default:
// a hunting report, not a finding.
//
// Bounded: per window at most `max_keys` readers (least recently active evicted, counted; the
// report then names the evictions, since an evicted reader's counts are lost and the ranks
// and rarity may be off), per reader at most `max_objects_per_reader` distinct objects and
// namespaces (further ones counted, not kept), 16 source IPs and 32 auditIDs (the alert
// carries the full read count); at most kMaxOpenWindows windows open at once (the oldest is
// reported early beyond that). Reads older than a window already reported are late: counted
// as not judged. The windows are not persisted: a restart forgets the open window.
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/keyed_state.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

using StringSet = absl::flat_hash_set<std::string, StringHash, StringEq>;

constexpr size_t kMaxResources = 16;
constexpr size_t kMaxSourceIps = 16;
constexpr size_t kMaxOpenWindows = 4;
constexpr size_t kMaxListed = 20;  // objects and namespaces named in an alert's fields

class SensitiveObjectReaders final : public Detector {
 public:
  struct Options {
    absl::Duration window = absl::Hours(24);
    int64_t top = 5;
    int64_t rare_max_readers = 1;
    std::vector<std::string> resources;
    bool ignore_loopback = true;
    size_t max_keys = 10000;
    size_t max_objects_per_reader = 1000;
  };

  explicit SensitiveObjectReaders(Options o) : opts_(std::move(o)) {
    info_.id = "sensitive_object_readers";
    info_.title = "Top and rare readers of RBAC objects, secrets and configmaps";
    info_.description =
        "Per event-time window, the identities that read the most RBAC objects, secrets and "
        "configmaps, and those that alone read a kind of them: who maps permissions and "
        "looks for credentials (a hunting report).";
    info_.severity = Severity::kInfo;
    info_.mitre = {"T1087", "T1069", "T1552.007"};
    info_.catalog_ids = {"C22"};
    info_.interest.verbs = Interest::Verbs({Verb::kGet, Verb::kList, Verb::kWatch});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = opts_.resources;
    info_.stateful = true;
    info_.default_allow_users = {"system:node:[^:]+",
                                 "system:kube-.*",
                                 "system:apiserver",
                                 "system:serviceaccount:kube-system:.*",
                                 "eks:.*",
                                 "aksService"};
    info_.default_allow_groups = {"system:nodes"};
    info_.not_judged_reason = "late: read after its window was reported";
  }

  const DetectorInfo& info() const override { return info_; }
  size_t state_entries() const override {
    size_t n = 0;
    for (const auto& [start, w] : windows_) n += w->readers.size();
    return n;
  }
  uint64_t state_evictions() const override {
    uint64_t n = closed_evictions_ + objects_dropped_;
    for (const auto& [start, w] : windows_) n += w->readers.evictions();
    return n;
  }
  uint64_t events_not_judged() const override { return late_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.object.subresource.empty()) return;
    const bool ok = e.response_code != 0 ? e.response_code >= 200 && e.response_code < 300
                                         : e.decision == "allow";
    if (!ok) return;
    if (opts_.ignore_loopback && IsLoopbackIp(e.SourceIp())) return;
    const int c = ResourceIndex(e.object.resource);
    if (c < 0) return;
    const absl::Time t = e.stage_timestamp;
    seen_until_ = std::max(seen_until_, t);
    const absl::Time start = WindowStart(t);
    Window* w = start < closed_until_ ? nullptr : OpenWindow(start, out);
    if (w == nullptr) {
      ++late_;  // its window was already reported
      return;
    }

    bool inserted = false;
    Reader& r = w->readers.Touch(e.Actor(), &inserted);
    if (inserted) {
      r.label = ActorLabel(e);
      r.user.assign(e.username);
      r.impersonated_user.assign(e.impersonated_user);
      r.groups.assign(e.groups.begin(), e.groups.end());
      r.user_agent.assign(e.user_agent);
      r.reads.assign(opts_.resources.size(), 0);
      r.first = t;
    }
    r.first = std::min(r.first, t);
    r.last = std::max(r.last, t);
    ++r.reads[c];
    ++r.total;
    if (e.verb == Verb::kGet) ++r.gets;
    if (e.verb == Verb::kList) ++r.lists;
    if (e.verb == Verb::kWatch) ++r.watches;
    if (r.audit_ids.size() < kMaxAlertAuditIds) r.audit_ids.emplace_back(e.audit_id);

    key_.clear();
    absl::StrAppend(&key_, ToAbsl(e.object.resource), "/", ToAbsl(e.object.namespace_), "/",
                    e.object.name.empty() ? "*" : ToAbsl(e.object.name));
    AddBounded(r.objects, key_, r.objects_truncated);
    if (!e.object.namespace_.empty()) {
      AddBounded(r.namespaces, e.object.namespace_, r.objects_truncated);
    } else if (e.object.name.empty() && IsNamespaced(e.object.resource)) {
      r.cluster_wide = true;  // a list or watch across every namespace
    }
    const std::string_view ip = e.SourceIp();
    if (!ip.empty() &&
        std::find(r.source_ips.begin(), r.source_ips.end(), ip) == r.source_ips.end()) {
      if (r.source_ips.size() < kMaxSourceIps) {
        r.source_ips.emplace_back(ip);
      } else {
        r.more_source_ips = true;
      }
    }
  }

  void OnWatermark(absl::Time watermark, AlertEmitter& out) override {
    const bool end = watermark == absl::InfiniteFuture();
    if (!end) seen_until_ = std::max(seen_until_, watermark);
    while (!windows_.empty() && (end || windows_.begin()->first + opts_.window <= watermark)) {
      // At the end of input a window is complete when event time had passed its end.
      CloseOldest(windows_.begin()->first + opts_.window <= seen_until_, out);
    }
  }

 private:
  struct Reader {
    std::string label, user, impersonated_user, user_agent;
    std::vector<std::string> groups;
    std::vector<uint64_t> reads;  // per entry of opts_.resources
    uint64_t total = 0, gets = 0, lists = 0, watches = 0;
    StringSet objects, namespaces;
    bool objects_truncated = false;
    bool cluster_wide = false;
    std::vector<std::string> source_ips;
    bool more_source_ips = false;
    std::vector<std::string> audit_ids;  // the first kMaxAlertAuditIds; `total` counts all
    absl::Time first = absl::InfiniteFuture(), last = absl::InfinitePast();
  };
  struct Window {
    explicit Window(size_t max_keys) : readers(max_keys) {}
    BoundedLruMap<Reader> readers;
  };

  int ResourceIndex(std::string_view res) const {
    for (size_t i = 0; i < opts_.resources.size(); ++i) {
      if (opts_.resources[i] == res) return static_cast<int>(i);
    }
    return -1;
  }

  static bool IsNamespaced(std::string_view res) {
    return res != "clusterroles" && res != "clusterrolebindings";
  }

  // The window holding t, aligned to the Unix epoch (floor, also before 1970). Duration
  // arithmetic: times near the ends of int64 nanoseconds (year 1677 or 2262; found by fuzzing
  // under UBSan) saturate instead of overflowing.
  absl::Time WindowStart(absl::Time t) const {
    return absl::UnixEpoch() + absl::Floor(t - absl::UnixEpoch(), opts_.window);
  }

  // Adds v unless the set is full: then the value is counted as dropped and the reader's
  // counts are marked as lower bounds.
  void AddBounded(StringSet& set, std::string_view v, bool& truncated) {
    if (set.contains(v)) return;
    if (set.size() >= opts_.max_objects_per_reader) {
      ++objects_dropped_;
      truncated = true;
      return;
    }
    set.emplace(v);
  }

  // The open window starting at `start`, opened if need be; nullptr when kMaxOpenWindows are
  // open and all of them are newer (the read is then treated as late).
  Window* OpenWindow(absl::Time start, AlertEmitter& out) {
    auto it = windows_.find(start);
    if (it != windows_.end()) return it->second.get();
    // Too many windows open (event time jumped ahead of a lagging watermark): report the oldest
    // early rather than grow. A read that belongs to it later is then late.
    while (windows_.size() >= kMaxOpenWindows && windows_.begin()->first < start) {
      CloseOldest(/*complete=*/false, out);
    }
    if (windows_.size() >= kMaxOpenWindows) return nullptr;
    return windows_.emplace(start, std::make_unique<Window>(opts_.max_keys)).first->second.get();
  }

  void CloseOldest(bool complete, AlertEmitter& out) {
    auto node = windows_.extract(windows_.begin());
    const absl::Time start = node.key();
    Window& w = *node.mapped();
    closed_until_ = std::max(closed_until_, start + opts_.window);
    closed_evictions_ += w.readers.evictions();
    Report(start, w, complete, out);
  }

  void Report(absl::Time start, const Window& w, bool complete, AlertEmitter& out) const {
    std::vector<const Reader*> readers;
    readers.reserve(w.readers.size());
    w.readers.ForEachOldestFirst(
        [&](const std::string&, const Reader& r) { readers.push_back(&r); });
    if (readers.empty()) return;
    std::sort(readers.begin(), readers.end(), [](const Reader* a, const Reader* b) {
      return a->total != b->total ? a->total > b->total : a->label < b->label;
    });
    std::vector<uint64_t> readers_of(opts_.resources.size(), 0);
    for (const Reader* r : readers) {
      for (size_t c = 0; c < r->reads.size(); ++c) readers_of[c] += r->reads[c] > 0;
    }
    for (size_t i = 0; i < readers.size(); ++i) {
      const Reader& r = *readers[i];
      const bool top = static_cast<int64_t>(i) < opts_.top;
      std::vector<size_t> rare;
      for (size_t c = 0; c < r.reads.size(); ++c) {
        if (r.reads[c] > 0 && static_cast<int64_t>(readers_of[c]) <= opts_.rare_max_readers) {
          rare.push_back(c);
        }
      }
      if (!top && rare.empty()) continue;
      out.Emit(MakeReport(start, w, complete, r, i + 1, readers.size(), top, rare, readers_of));
    }
  }

  Alert MakeReport(absl::Time start, const Window& w, bool complete, const Reader& r, size_t rank,
                   size_t num_readers, bool top, const std::vector<size_t>& rare,
                   const std::vector<uint64_t>& readers_of) const {
    Alert a = MakeDetectorAlert(info_);
    a.event_time = r.last;
    a.user = r.user;
    a.impersonated_user = r.impersonated_user;
    a.groups = r.groups;
    a.source_ips = r.source_ips;
    a.user_agent = r.user_agent;
    for (const auto& id : r.audit_ids) a.audit_ids.push_back(id);
    a.audit_id_count = r.total;
    a.count = r.total;
    a.window_start = r.first;
    a.window_end = r.last;

    // Resources read, most reads first (ties in configured order).
    std::vector<size_t> order;
    for (size_t c = 0; c < r.reads.size(); ++c) {
      if (r.reads[c] > 0) order.push_back(c);
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t x, size_t y) { return r.reads[x] > r.reads[y]; });
    std::vector<std::string> verbs;
    if (r.gets) verbs.push_back("get");
    if (r.lists) verbs.push_back("list");
    if (r.watches) verbs.push_back("watch");
    a.verb = absl::StrJoin(verbs, ",");
    a.resource = opts_.resources[order.front()];
    if (r.namespaces.size() == 1 && !r.cluster_wide) a.namespace_ = *r.namespaces.begin();

    std::vector<std::string> parts;
    for (size_t c : order) {
      parts.push_back(
          absl::StrCat(opts_.resources[c], " ", r.reads[c], r.reads[c] == 1 ? " time" : " times"));
      a.AddField(absl::StrCat("reads_", opts_.resources[c]), absl::StrCat(r.reads[c]));
    }
    std::vector<std::string> objects(r.objects.begin(), r.objects.end());
    std::sort(objects.begin(), objects.end());
    if (objects.size() > kMaxListed) objects.resize(kMaxListed);
    std::vector<std::string> namespaces(r.namespaces.begin(), r.namespaces.end());
    std::sort(namespaces.begin(), namespaces.end());
    if (namespaces.size() > kMaxListed) namespaces.resize(kMaxListed);
    std::vector<std::string> rare_names;
    for (size_t c : rare) rare_names.push_back(opts_.resources[c]);

    a.AddField("window", absl::FormatDuration(opts_.window));
    a.AddField("window_start", absl::FormatTime(absl::RFC3339_sec, start, absl::UTCTimeZone()));
    a.AddField("window_complete", complete ? "true" : "false");
    a.AddField("reads", absl::StrCat(r.total));
    a.AddField("verbs", a.verb);
    a.AddField("distinct_objects", absl::StrCat(r.objects.size(), r.objects_truncated ? "+" : ""));
    a.AddField("objects", absl::StrJoin(objects, ","));
    a.AddField("namespaces", absl::StrJoin(namespaces, ","));
    a.AddField("cluster_wide", r.cluster_wide ? "true" : "false");
    a.AddField("source_ips", absl::StrJoin(r.source_ips, ","));
    a.AddField("rank", absl::StrCat(rank));
    a.AddField("readers", absl::StrCat(num_readers));
    a.AddField("top", top ? "true" : "false");
    a.AddField("rare_resources", absl::StrJoin(rare_names, ","));
    a.AddField("readers_evicted", absl::StrCat(w.readers.evictions()));

    std::string scope = absl::StrCat(r.objects.size(), r.objects_truncated ? "+" : "",
                                     r.objects.size() == 1 ? " object" : " objects");
    if (!r.namespaces.empty()) {
      absl::StrAppend(&scope, " in ", r.namespaces.size(), r.objects_truncated ? "+" : "",
                      r.namespaces.size() == 1 ? " namespace" : " namespaces");
    }
    if (r.cluster_wide) absl::StrAppend(&scope, ", listed cluster-wide");
    std::string from;
    if (!r.source_ips.empty()) {
      std::vector<std::string> ips(r.source_ips.begin(),
                                   r.source_ips.begin() + std::min<size_t>(3, r.source_ips.size()));
      from = absl::StrCat(" from ", absl::StrJoin(ips, ", "));
      if (r.source_ips.size() > 3 || r.more_source_ips) {
        absl::StrAppend(&from, " and ", r.source_ips.size() - ips.size(),
                        r.more_source_ips ? "+" : "", " more");
      }
    }
    std::string why;
    if (top)
      why = absl::StrCat("; top ", rank, " of ", num_readers, " readers of sensitive objects");
    std::vector<std::string> only, few;
    for (size_t c : rare) {
      if (readers_of[c] == 1) {
        only.push_back(opts_.resources[c]);
      } else {
        few.push_back(absl::StrCat(readers_of[c], " readers of ", opts_.resources[c]));
      }
    }
    if (!only.empty()) absl::StrAppend(&why, "; the only reader of ", absl::StrJoin(only, " and "));
    if (!few.empty()) absl::StrAppend(&why, "; one of ", absl::StrJoin(few, ", one of "));
    if (w.readers.evictions() > 0) {
      absl::StrAppend(&why, " (", w.readers.evictions(), " readers evicted: ranks may be off)");
    }
    a.message = absl::StrCat(
        r.label, " read ", absl::StrJoin(parts, ", "), " (", scope, ") over ",
        absl::FormatDuration(opts_.window), complete ? "" : " (window cut short)", from, why,
        ": reading RBAC objects, secrets and configmaps maps who may do what and where the "
        "credentials are (account and permission discovery)");
    return a;
  }

  DetectorInfo info_;
  Options opts_;
  std::map<absl::Time, std::unique_ptr<Window>> windows_;  // open windows by start
  absl::Time closed_until_ = absl::InfinitePast();         // end of the last reported window
  absl::Time seen_until_ = absl::InfinitePast();           // newest event time or watermark
  uint64_t closed_evictions_ = 0, objects_dropped_ = 0, late_ = 0;
  std::string key_;  // reused buffer
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewSensitiveObjectReaders(DetectorParams& p) {
  SensitiveObjectReaders::Options o;
  KAUDIT_ASSIGN_OR_RETURN(
      o.window, p.Duration("window", absl::Hours(24), absl::Minutes(1), absl::Hours(24 * 31)));
  KAUDIT_ASSIGN_OR_RETURN(o.top, p.Int("top", 5, 0, 1000));
  KAUDIT_ASSIGN_OR_RETURN(o.rare_max_readers, p.Int("rare_max_readers", 1, 0, 1000));
  KAUDIT_ASSIGN_OR_RETURN(o.resources,
                          p.List("resources", {"clusterroles", "clusterrolebindings", "roles",
                                               "rolebindings", "secrets", "configmaps"}));
  if (o.resources.empty() || o.resources.size() > kMaxResources) {
    return absl::InvalidArgumentError(
        absl::StrCat(p.KeyPath("resources"), ": expected 1 to ", kMaxResources, " resources"));
  }
  KAUDIT_ASSIGN_OR_RETURN(o.ignore_loopback, p.Bool("ignore_loopback", true));
  KAUDIT_ASSIGN_OR_RETURN(int64_t max_keys, p.Int("max_keys", 10000, 1, 10000000));
  o.max_keys = static_cast<size_t>(max_keys);
  KAUDIT_ASSIGN_OR_RETURN(int64_t max_objects, p.Int("max_objects_per_reader", 1000, 1, 1000000));
  o.max_objects_per_reader = static_cast<size_t>(max_objects);
  return std::make_unique<SensitiveObjectReaders>(std::move(o));
}

}  // namespace kaudit
