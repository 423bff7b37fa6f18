// Offensive or scripting client (catalog C18): a request whose user agent is an attack tool
// (trufflehog, kube-hunter, peirates, azurehound, rakkess's access_matrix, Kali, scanners) or a
// generic scripting client (curl, wget, python-requests, Go's default client, perl) rather than
// kubectl, client-go programs or known controllers: a stolen token used by hand or a scanner.
// Medium for scripting clients, high for attack tools and for secret reads by either. One alert
// per (identity, client, secrets or not) per `repeat_window` (default 1h), at most `max_keys`
// remembered (LRU, counted).
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "detectors/common/burst.h"
#include "detectors/common/matcher.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/keyed_state.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class OffensiveUserAgent final : public Detector {
 public:
  OffensiveUserAgent(std::unique_ptr<PatternSet> tools, std::unique_ptr<PatternSet> scripting,
                     RepeatGate repeat)
      : tools_(std::move(tools)), scripting_(std::move(scripting)), repeat_(std::move(repeat)) {
    info_.id = "offensive_user_agent";
    info_.title = "Attack tool or scripting client";
    info_.description =
        "The API was called by an attack tool or a generic scripting client (curl, python, "
        "Go's default client) instead of kubectl or a known program: a stolen token used by "
        "hand, or a scanner.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1613", "T1552.007"};
    info_.catalog_ids = {"C18"};
    info_.interest.stages = Interest::OutcomeStages();
    info_.stateful = repeat_.enabled();
  }

  const DetectorInfo& info() const override { return info_; }
  size_t state_entries() const override { return repeat_.size(); }
  uint64_t state_evictions() const override { return repeat_.evictions(); }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || e.user_agent.empty()) return;
    const HashedString ua = e.HashedUserAgent();
    const bool tool = tools_ && tools_->Matches(ua);
    if (!tool && !(scripting_ && scripting_->Matches(ua))) return;
    const bool secrets = e.object.resource == "secrets";
    size_t end = e.user_agent.find_first_of("/ ");
    std::string_view family = e.user_agent.substr(0, end);
    if (!repeat_.Pass(
            absl::StrCat(ToAbsl(e.Actor()), "\x1f", ToAbsl(family), secrets ? "\x1fs" : ""),
            e.stage_timestamp)) {
      return;
    }
    Alert a = MakeAlert(info_, e);
    if (tool || secrets) a.severity = Severity::kHigh;
    a.AddField("client", tool ? "attack_tool" : "scripting");
    std::string target = TargetLabel(e);
    a.message = absl::StrCat(ActorLabel(e), " used ", tool ? "attack tool " : "scripting client ",
                             ToAbsl(e.user_agent), " to ", ToAbsl(e.verb_text), " ", target, " (",
                             e.response_code, ")",
                             tool ? ": an offensive tool is working against the cluster"
                                  : ": the API driven by hand or a script, not a known client");
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
  std::unique_ptr<PatternSet> tools_, scripting_;
  RepeatGate repeat_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewOffensiveUserAgent(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(
      auto tools,
      PatternsParam(p, "attack_tools",
                    {"(?i).*(kali|trufflehog|access_matrix|azurehound|micro-scanner|kube-hunter|"
                     "peirates|kubiscan|kubeletctl|kdigger|nmap|masscan|zgrab|nuclei|sqlmap|"
                     "nikto|gobuster|ffuf|metasploit|cdk-team).*"}));
  KAUDIT_ASSIGN_OR_RETURN(
      auto scripting,
      PatternsParam(p, "scripting_clients",
                    {"(?i)(curl|wget|python-requests|python-urllib[0-9]*|python-httpx|aiohttp|"
                     "go-http-client|libwww-perl|perl|php|powershell|httpie)([/ ].*)?"}));
  KAUDIT_ASSIGN_OR_RETURN(RepeatGate repeat, RepeatGateParams(p));
  return std::make_unique<OffensiveUserAgent>(std::move(tools), std::move(scripting),
                                              std::move(repeat));
}

}  // namespace kaudit
