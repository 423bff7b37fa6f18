// Request from a Tor exit or a threat-intelligence address (catalog C05): a source IP inside
// `tor_exit_cidrs` or `threat_intel_cidrs`, or listed in `threat_intel_file` (one IP or CIDR per
// line, read at startup). All lists are empty by default, which keeps the detector quiet: fill
// them from your Tor exit list and threat feed. Medium for Tor, high for threat intelligence.
// One alert per (address, identity) per `repeat_window` (1h), at most `max_keys` remembered
// (LRU, counted).
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "detectors/common/burst.h"
#include "detectors/common/cidr.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/keyed_state.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class ThreatIntelSource final : public Detector {
 public:
  ThreatIntelSource(CidrList tor, CidrList intel, RepeatGate repeat)
      : tor_(std::move(tor)), intel_(std::move(intel)), repeat_(std::move(repeat)) {
    info_.id = "threat_intel_source";
    info_.title = "Request from a Tor exit or threat-intelligence address";
    info_.description =
        "The API was called from a Tor exit node or an address on a threat-intelligence list: "
        "a credential in an attacker's hands.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1090.003", "T1078"};
    info_.catalog_ids = {"C05"};
    // Without a list there is nothing to match: the dispatcher shows it no event.
    if (!tor_.empty() || !intel_.empty()) info_.interest.stages = Interest::OutcomeStages();
    info_.activated_by = "tor_exit_cidrs, threat_intel_cidrs or threat_intel_file";
    info_.stateful = repeat_.enabled();
  }

  const DetectorInfo& info() const override { return info_; }
  size_t state_entries() const override { return repeat_.size(); }
  uint64_t state_evictions() const override { return repeat_.evictions(); }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || (tor_.empty() && intel_.empty())) return;
    for (std::string_view ip : e.source_ips) {
      const bool intel = intel_.Contains(ip);
      if (!intel && !tor_.Contains(ip)) continue;
      if (!repeat_.Pass(absl::StrCat(ToAbsl(ip), "\x1f", ToAbsl(e.Actor())), e.stage_timestamp)) {
        return;
      }
      Alert a = MakeAlert(info_, e);
      if (intel) a.severity = Severity::kHigh;
      a.AddField("listed_ip", std::string(ip));
      a.AddField("list", intel ? "threat_intel" : "tor_exit");
      std::string target = TargetLabel(e);
      a.message = absl::StrCat(ActorLabel(e), " called the API from ",
                               intel ? "threat-intelligence address " : "Tor exit ", ToAbsl(ip),
                               " (", ToAbsl(e.verb_text), " ", target, ", ", e.response_code,
                               "): a credential used from an attacker's network");
      out.Emit(std::move(a));
      return;
    }
  }

 private:
  DetectorInfo info_;
  CidrList tor_, intel_;
  RepeatGate repeat_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewThreatIntelSource(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(auto tor_list, p.List("tor_exit_cidrs", {}));
  KAUDIT_ASSIGN_OR_RETURN(CidrList tor, CidrList::Parse(tor_list, p.KeyPath("tor_exit_cidrs")));
  KAUDIT_ASSIGN_OR_RETURN(auto intel_list, p.List("threat_intel_cidrs", {}));
  KAUDIT_ASSIGN_OR_RETURN(CidrList intel,
                          CidrList::Parse(intel_list, p.KeyPath("threat_intel_cidrs")));
  KAUDIT_ASSIGN_OR_RETURN(std::string file, p.String("threat_intel_file", ""));
  if (!file.empty()) {
    KAUDIT_ASSIGN_OR_RETURN(CidrList more,
                            CidrList::ReadFile(file, p.KeyPath("threat_intel_file")));
    intel.Append(more);
  }
  KAUDIT_ASSIGN_OR_RETURN(RepeatGate repeat, RepeatGateParams(p));
  return std::make_unique<ThreatIntelSource>(std::move(tor), std::move(intel), std::move(repeat));
}

}  // namespace kaudit
