// Anonymous then write (DETECTIONS.md stateful #9): an anonymous request is allowed (beyond
// the health and version endpoints), and within a window of event time a write succeeds from
// the same source IP: probing without credentials followed by acting with some. Stateful and
// bounded: source IPs with an allowed anonymous request in the last `window`, at most
// `max_ips` (evictions counted). One alert per source IP per anonymous probe.
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

struct Probe {
  std::string uri;
  std::string audit_id;
  absl::Time at = absl::InfinitePast();
};

class AnonymousThenWrite final : public Detector {
 public:
  AnonymousThenWrite(absl::Duration window, size_t max_ips) : window_(window), ips_(max_ips) {
    info_.id = "anonymous_then_write";
    info_.title = "Anonymous access then a write from the same address";
    info_.description =
        "An anonymous request was allowed and soon after a write succeeded from the same source "
        "IP: reconnaissance without credentials followed by changes made with some.";
    info_.severity = Severity::kHigh;
    info_.mitre = {"T1078.001", "T1190"};
    info_.catalog_ids = {"S10"};  // DETECTIONS.md stateful #10
    info_.interest.stages = Interest::OutcomeStages();
    info_.stateful = true;
  }

  const DetectorInfo& info() const override { return info_; }
  size_t state_entries() const override { return ips_.size(); }
  uint64_t state_evictions() const override { return ips_.evictions(); }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || e.source_ips.empty()) return;
    const bool allowed = e.Succeeded() || (e.response_code == 0 && e.decision == "allow");
    if (!allowed) return;
    if (e.IsAnonymous()) {
      if (IsHealthOrVersionPath(e.request_uri)) return;
      Probe& p = ips_.Touch(e.SourceIp());
      p.uri = std::string(e.request_uri);
      p.audit_id = std::string(e.audit_id);
      p.at = e.stage_timestamp;
      return;
    }
    const bool write = e.verb == Verb::kCreate || e.verb == Verb::kUpdate ||
                       e.verb == Verb::kPatch || e.verb == Verb::kDelete ||
                       e.verb == Verb::kDeleteCollection;
    if (!write) return;
    // Reviews (selfsubjectaccessreviews, tokenreviews, ...) are creates that change nothing.
    if (EndsWith(e.object.resource, "reviews")) return;
    Probe* p = ips_.Find(e.SourceIp());
    if (p == nullptr) return;
    absl::Duration after = e.stage_timestamp - p->at;
    if (after < absl::ZeroDuration() || after > window_) return;
    Alert a = MakeSequenceAlert(info_, e, p->audit_id, p->at);
    a.AddField("anonymous_request", p->uri);
    a.AddField("seconds_after_anonymous", absl::StrCat(absl::ToInt64Seconds(after)));
    a.message = absl::StrCat(ActorLabel(e), " ", ToAbsl(PastTense(e.verb)), " ", ObjectLabel(e),
                             " from ", ToAbsl(e.SourceIp()), " ", absl::FormatDuration(after),
                             " after that address reached ", p->uri,
                             " anonymously: probing followed by a write");
    out.Emit(std::move(a));
    ips_.Erase(e.SourceIp());
  }

  void OnWatermark(absl::Time watermark, AlertEmitter& out) override {
    ips_.EraseOldestWhile([&](const Probe& p) { return p.at + window_ < watermark; });
  }

 private:
  DetectorInfo info_;
  absl::Duration window_;
  BoundedLruMap<Probe> ips_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewAnonymousThenWrite(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(absl::Duration window, p.Duration("window", absl::Hours(1),
                                                            absl::Seconds(1), absl::Hours(24 * 7)));
  KAUDIT_ASSIGN_OR_RETURN(int64_t max_ips, p.Int("max_ips", 100000, 1, 100000000));
  return std::make_unique<AnonymousThenWrite>(window, static_cast<size_t>(max_ips));
}

}  // namespace kaudit
