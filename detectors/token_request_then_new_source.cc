// TokenRequest then a new source (DETECTIONS.md stateful #3): an identity mints a token for a
// service account (create on serviceaccounts/token) and, within `window` of event time, that
// service account makes a request from a source IP that neither the minting request nor the
// service account's earlier requests came from: a minted credential carried elsewhere. With
// `check_user_agent`, a never-seen user-agent product (kubectl, curl, ...) counts as well.
// Stateful and bounded: per service account (at most `max_service_accounts`, least recently
// used evicted and counted) the last `max_sources` source IPs and user-agent products it used
// (oldest forgotten and counted) and its pending mint. One alert per mint. Requests carrying
// user.extra["authentication.kubernetes.io/pod-name"] use a pod's bound token (minted by its
// kubelet) and are left to pod_token_used_elsewhere. Kubernetes 1.29+ ties a token to its mint:
// the TokenRequest's audit annotation authentication.kubernetes.io/issued-credential-id
// ("JTI=<uuid>") comes back as user.extra["authentication.kubernetes.io/credential-id"] on
// every request the token makes. When both are present only the minted token's own requests
// are judged (another token of the same account, from anywhere, is not this mint's use) and the
// alert, matched by credential id, is critical; without them a request in the window is judged
// by timing alone (high). Persistent: the learned sources and a pending mint survive a restart
// (engine.state_dir).
#include <algorithm>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "detectors/common/client.h"
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
constexpr std::string_view kPodNameKey = "authentication.kubernetes.io/pod-name";
constexpr std::string_view kCredentialIdKey = "authentication.kubernetes.io/credential-id";
// The TokenRequest's annotation naming the credential it issued (1.30+; 1.29's alpha key).
constexpr std::string_view kIssuedCredentialKeys[] = {
    "authentication.kubernetes.io/issued-credential-id",
    "authentication.k8s.io/issued-credential-id"};

// The issued-credential-id annotation of a TokenRequest event, "" when absent. Read from the
// raw event: only successful mints (rare) ask for it.
std::string IssuedCredentialId(const AuditEvent& e) {
  std::optional<std::string_view> annotations = JsonFind(e.raw, {"annotations"});
  if (!annotations.has_value()) return "";
  for (std::string_view key : kIssuedCredentialKeys) {
    std::optional<std::string_view> v = JsonFind(*annotations, {key});
    if (!v.has_value()) continue;
    if (std::optional<std::string> id = JsonString(*v); id.has_value()) return *id;
  }
  return "";
}

struct Mint {
  bool pending = false;
  std::string minter, ip, user_agent, audit_id;
  absl::Time at = absl::InfinitePast();
  std::string credential_id;  // issued-credential-id, "" when the event had none
};

struct ServiceAccountState {
  std::deque<std::string> ips, agents;  // earlier sources, oldest first
  Mint mint;
  absl::Time last = absl::InfinitePast();
};

bool Contains(const std::deque<std::string>& d, std::string_view v) {
  return std::find(d.begin(), d.end(), v) != d.end();
}

class TokenRequestThenNewSource final : public Detector {
 public:
  TokenRequestThenNewSource(absl::Duration window, bool check_user_agent, size_t max_sas,
                            size_t max_sources)
      : window_(window),
        check_user_agent_(check_user_agent),
        max_sources_(max_sources),
        sas_(max_sas) {
    info_.id = "token_request_then_new_source";
    info_.title = "Minted service-account token used from a new source";
    info_.description =
        "A service-account token was minted (TokenRequest) and soon after the service account "
        "made requests from an address the minting request and its earlier requests never "
        "came from: a credential carried out of where it was issued.";
    info_.severity = Severity::kHigh;
    info_.mitre = {"T1528", "T1550.001", "T1078.004"};
    info_.catalog_ids = {"S3"};  // DETECTIONS.md stateful #3
    info_.interest.stages = Interest::OutcomeStages();
    info_.stateful = true;
    // Kubelets mint every pod's projected token (those tokens carry the pod-name extra); the
    // controller manager mints its controllers' tokens (--use-service-account-credentials).
    info_.default_allow_users = {"system:node:[^:]+", "system:kube-controller-manager"};
  }

  const DetectorInfo& info() const override { return info_; }
  size_t state_entries() const override { return sas_.size(); }
  uint64_t state_evictions() const override { return sas_.evictions() + source_evictions_; }

  bool persistent() const override { return true; }

  // One record per service account: s <account> <last_ns> <ips,> <agents,> and, with a
  // pending mint, <minter> <ip> <user_agent> <audit_id> <at_ns> and, when the mint named the
  // credential it issued, <credential_id> (files written before that field still load).
  absl::Status SaveState(StateWriter& w) const override {
    sas_.ForEachOldestFirst([&](const std::string& key, const ServiceAccountState& st) {
      std::vector<std::string> f = {"s", key, TimeToField(st.last), absl::StrJoin(st.ips, ","),
                                    absl::StrJoin(st.agents, ",")};
      if (st.mint.pending) {
        for (const std::string* v :
             {&st.mint.minter, &st.mint.ip, &st.mint.user_agent, &st.mint.audit_id}) {
          f.push_back(*v);
        }
        f.push_back(TimeToField(st.mint.at));
        if (!st.mint.credential_id.empty()) f.push_back(st.mint.credential_id);
      }
      w.RecordFields(f);
    });
    return absl::OkStatus();
  }

  absl::Status LoadState(StateReader& r) override {
    if (r.version() != 1) return r.Error(absl::StrCat("unknown version ", r.version()));
    std::vector<std::string> f;
    auto list = [](const std::string& s) {
      return s.empty() ? std::deque<std::string>()
                       : std::deque<std::string>(absl::StrSplit(s, ','));
    };
    while (r.Next(&f)) {
      absl::Time last, at;
      if ((f.size() != 5 && f.size() != 10 && f.size() != 11) || f[0] != "s" ||
          !TimeFromField(f[2], &last) || (f.size() >= 10 && !TimeFromField(f[9], &at))) {
        return r.Error(
            "expected: s <account> <last_ns> <ips> <agents> [<minter> <ip> <user_agent> "
            "<audit_id> <at_ns> [<credential_id>]]");
      }
      ServiceAccountState& st = sas_.Touch(f[1]);
      st.last = last;
      st.ips = list(f[3]);
      st.agents = list(f[4]);
      if (f.size() >= 10) {
        st.mint.pending = true;
        if (f.size() == 11) st.mint.credential_id = f[10];
        st.mint.minter = f[5];
        st.mint.ip = f[6];
        st.mint.user_agent = f[7];
        st.mint.audit_id = f[8];
        st.mint.at = at;
      }
    }
    return absl::OkStatus();
  }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome) return;
    if (e.object.resource == "serviceaccounts" && e.object.subresource == "token" &&
        e.verb == Verb::kCreate) {
      if (!e.Succeeded() || e.object.namespace_.empty() || e.object.name.empty()) return;
      std::string sa =
          absl::StrCat(ToAbsl(kSaPrefix), ToAbsl(e.object.namespace_), ":", ToAbsl(e.object.name));
      ServiceAccountState& st = sas_.Touch(sa);
      st.mint.pending = true;
      st.mint.minter = std::string(e.Actor());
      st.mint.ip = std::string(e.SourceIp());
      st.mint.user_agent = std::string(e.user_agent);
      st.mint.audit_id = std::string(e.audit_id);
      st.mint.at = e.stage_timestamp;
      st.mint.credential_id = IssuedCredentialId(e);
      st.last = e.stage_timestamp;
      return;
    }
    // A request by the service account itself, authenticated (a 401 proves nothing).
    if (!StartsWith(e.username, kSaPrefix) || e.source_ips.empty() || e.response_code == 401) {
      return;
    }
    if (!e.user_extra.empty() && e.user_extra.find(kPodNameKey) != std::string_view::npos &&
        !UserExtraValue(e.user_extra, kPodNameKey).empty()) {
      return;  // a pod's bound token
    }
    ServiceAccountState& st = sas_.Touch(e.username);
    st.last = e.stage_timestamp;
    std::string_view ip = e.SourceIp();
    std::string_view agent = UserAgentProduct(e.user_agent);
    Mint& m = st.mint;
    if (m.pending && e.stage_timestamp >= m.at) {
      std::string credential;
      if (!m.credential_id.empty() && !e.user_extra.empty() &&
          e.user_extra.find(kCredentialIdKey) != std::string_view::npos) {
        credential = UserExtraValue(e.user_extra, kCredentialIdKey);
      }
      if (e.stage_timestamp - m.at > window_) {
        m.pending = false;
      } else if (!credential.empty() && credential != m.credential_id) {
        // Another token of this account: says nothing about where the minted one went.
      } else {
        const bool new_ip = ip != m.ip && !Contains(st.ips, ip);
        const bool new_agent = check_user_agent_ && !agent.empty() &&
                               agent != UserAgentProduct(m.user_agent) &&
                               !Contains(st.agents, agent);
        if (new_ip || new_agent) Report(e, st, new_ip, !credential.empty(), out);
      }
    }
    Learn(st.ips, ip);
    if (!agent.empty()) Learn(st.agents, agent);
  }

  void OnWatermark(absl::Time watermark, AlertEmitter& out) override {
    // The end of input is not idleness: keep what was learned for the state save.
    if (watermark == absl::InfiniteFuture()) return;
    // Service accounts idle for `idle` are forgotten (their pending mint long expired).
    sas_.EraseOldestWhile([&](const ServiceAccountState& s) { return s.last + idle_ < watermark; });
  }

 private:
  void Learn(std::deque<std::string>& d, std::string_view v) {
    if (Contains(d, v)) return;
    if (d.size() >= max_sources_) {
      d.pop_front();
      ++source_evictions_;
    }
    d.emplace_back(v);
  }

  // `by_credential`: the request carried the minted token's credential id (exact), else it is
  // the account's first request from a new source within the window (timing).
  void Report(const AuditEvent& e, ServiceAccountState& st, bool new_ip, bool by_credential,
              AlertEmitter& out) {
    Mint& m = st.mint;
    absl::Duration after = e.stage_timestamp - m.at;
    Alert a = MakeSequenceAlert(info_, e, m.audit_id, m.at);
    // Tied by credential id, the minted token itself is out of place: critical, as a pod's
    // token used elsewhere is. By timing it may be another token of the account: high.
    if (by_credential) a.severity = Severity::kCritical;
    a.AddField("matched_by", by_credential ? "credential id" : "timing");
    if (!m.credential_id.empty()) a.AddField("credential_id", m.credential_id);
    a.AddField("minted_by", m.minter);
    a.AddField("mint_source_ip", m.ip);
    a.AddField("mint_user_agent", m.user_agent);
    a.AddField("new_source_ip", std::string(e.SourceIp()));
    a.AddField("user_agent", std::string(e.user_agent));
    if (!st.ips.empty()) a.AddField("earlier_source_ips", absl::StrJoin(st.ips, ","));
    a.AddField("seconds_after_mint", absl::StrCat(absl::ToInt64Seconds(after)));
    a.message =
        absl::StrCat(m.minter, " minted a token for ", ToAbsl(e.username), " from ",
                     m.ip.empty() ? "?" : m.ip, "; ", absl::FormatDuration(after), " later ",
                     ToAbsl(e.username), " ", ToAbsl(e.verb_text), " ", TargetLabel(e), " from ",
                     new_ip ? absl::StrCat("new address ", ToAbsl(e.SourceIp()))
                            : absl::StrCat(ToAbsl(e.SourceIp()), " with new client ",
                                           ToAbsl(UserAgentProduct(e.user_agent))),
                     by_credential ? ": the minted token itself (same credential id) is used "
                                     "somewhere it was not issued"
                                   : ": the minted credential is used somewhere it was not issued");
    out.Emit(std::move(a));
    m.pending = false;
  }

  DetectorInfo info_;
  absl::Duration window_;
  absl::Duration idle_ = absl::Hours(24 * 7);
  bool check_user_agent_;
  size_t max_sources_;
  uint64_t source_evictions_ = 0;
  BoundedLruMap<ServiceAccountState> sas_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewTokenRequestThenNewSource(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(absl::Duration window, p.Duration("window", absl::Hours(1),
                                                            absl::Seconds(1), absl::Hours(24 * 7)));
  KAUDIT_ASSIGN_OR_RETURN(bool check_ua, p.Bool("check_user_agent", false));
  KAUDIT_ASSIGN_OR_RETURN(int64_t max_sas, p.Int("max_service_accounts", 100000, 1, 100000000));
  KAUDIT_ASSIGN_OR_RETURN(int64_t max_sources, p.Int("max_sources", 16, 1, 1024));
  return std::make_unique<TokenRequestThenNewSource>(window, check_ua, static_cast<size_t>(max_sas),
                                                     static_cast<size_t>(max_sources));
}

}  // namespace kaudit
