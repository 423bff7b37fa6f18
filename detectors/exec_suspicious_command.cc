// Suspicious exec command (catalog C35, C36, C37, C44, C45, C46): the command of an exec into a
// pod, decoded from the requestURI's repeated command= parameters, reads credential paths,
// reaches cloud instance metadata, copies files out (kubectl cp), opens a reverse shell,
// downloads over HTTP(S) or runs a shell or attack tool. One alert per exec request (judged
// once, like pod_exec_attach), at the severity of the worst category matched; every matched
// category is listed in the evidence.
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "detectors/common/matcher.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

struct Category {
  std::string_view name;     // config key prefix and evidence value
  std::string_view catalog;  // catalog id
  Severity severity;
  std::string_view why;               // the end of the message
  std::vector<std::string> patterns;  // defaults, replaced by <name>_patterns
};

// Default patterns, matched (RE2, whole string) against the decoded command joined by spaces.
std::vector<Category> DefaultCategories() {
  return {
      {"reverse_shell",
       "C45",
       Severity::kHigh,
       "a reverse or bind shell back to the attacker",
       {R"(.*/dev/(tcp|udp)/.*)", R"(.*\b(nc|ncat|netcat)\b.*\s-[a-z]*[ec]\b.*)",
        R"(.*\bmkfifo\b.*)", R"(.*\bsocat\b.*\b(exec|system|pty):.*)",
        R"(.*\b(bash|sh)\s+-i\b.*>&.*)", R"(.*[0-9]>&[0-9].*/dev/.*)",
        R"(.*\b(socket\.socket|pty\.spawn|IO::Socket::INET|fsockopen|TCPSocket\.new)\b.*)",
        R"(.*/inet/tcp/.*)"}},
      {"credential_access",
       "C35",
       Severity::kHigh,
       "reads a service-account token or other credentials",
       {R"(.*/(var/)?run/secrets/(kubernetes\.io|eks\.amazonaws\.com|azure|tokens).*)",
        R"(.*\btokens/gcp-ksa\b.*)", R"(.*/etc/kubernetes\b.*)", R"(.*/var/lib/kubelet\b.*)",
        R"(.*/etc/(shadow|gshadow)\b.*)", R"(.*\.kube/config\b.*)", R"(.*\.aws/credentials\b.*)",
        R"(.*\.docker/config\.json\b.*)", R"(.*\.ssh/(id_[a-z0-9]+|authorized_keys)\b.*)",
        R"(.*/proc/[0-9a-z]+/environ\b.*)", R"(.*\S\.(pem|key)(\s.*)?)"}},
      {"cloud_metadata",
       "C36",
       Severity::kHigh,
       "reaches the cloud instance metadata service (node credentials)",
       {R"(.*\b169\.254\.169\.254\b.*)", R"(.*\b169\.254\.170\.2\b.*)", R"(.*\b2852039166\b.*)",
        R"((?i).*\b0xa9fea9fe\b.*)", R"(.*\bfd00:ec2::254\b.*)", R"(.*\b100\.100\.100\.200\b.*)",
        R"(.*metadata\.google\.internal.*)", R"(.*/computeMetadata/v1.*)",
        R"(.*/latest/(meta-data|api/token|user-data).*)", R"(.*metadata/identity/oauth2.*)"}},
      {"download",
       "C46",
       Severity::kHigh,
       "downloads a file from outside the cluster (tool transfer)",
       {R"(.*\b(curl|wget)\b.*\bhttps?://.*)"}},
      {"copy_out",
       "C37",
       Severity::kMedium,
       "copies files out of the container (kubectl cp)",
       {R"(tar\s+-?[a-zA-Z]*c[a-zA-Z]*f\s+-(\s.*)?)"}},
      {"tool",
       "C44",
       Severity::kMedium,
       "a download, network or host-escape tool run inside the workload",
       {R"((.*[\s/;|&])?(curl|wget|kubectl|python[0-9.]*|perl|ruby|php|nc|ncat|netcat|socat|nmap|)"
        R"(masscan|nsenter|chroot|unshare|ssh|scp|tcpdump)(\s.*)?)"}},
      {"shell",
       "C44",
       Severity::kLow,
       "a shell started inside the workload",
       {R"((\S*/)?(sh|bash|ash|dash|zsh|ksh|busybox)(\s.*)?)"}},
  };
}

// Hosts that are part of the cluster, not downloads from outside it.
const std::vector<std::string> kDefaultIgnore = {
    R"(.*\b(curl|wget)\b.*\bhttps?://(localhost|127\.0\.0\.1|\[::1\]|kubernetes\.default(\.svc)?(\.cluster\.local)?)([:/]\S*)?(\s.*)?)",
    R"(.*/dev/tcp/(localhost|127\.0\.0\.1)/.*)"};

class ExecSuspiciousCommand final : public Detector {
 public:
  ExecSuspiciousCommand(std::vector<Category> cats,
                        std::vector<std::unique_ptr<PatternSet>> matchers,
                        std::unique_ptr<PatternSet> ignore)
      : cats_(std::move(cats)), matchers_(std::move(matchers)), ignore_(std::move(ignore)) {
    info_.id = "exec_suspicious_command";
    info_.title = "Suspicious command executed in a pod";
    info_.description =
        "An exec into a pod ran a command that steals credentials, reaches cloud metadata, "
        "copies files out, opens a reverse shell, downloads tools or starts a shell or attack "
        "tool: hands-on-keyboard activity inside a workload.";
    info_.severity = Severity::kHigh;
    info_.mitre = {"T1609", "T1552.007", "T1552.005", "T1105", "T1059"};
    info_.catalog_ids = {"C35", "C36", "C37", "C44", "C45", "C46"};
    info_.interest.verbs = Interest::Verbs({Verb::kCreate, Verb::kGet});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"pods"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || e.object.subresource != "exec" || !ExecAllowed(e)) return;
    if (e.request_uri.find("command=") == std::string_view::npos) return;
    std::string command = absl::StrJoin(QueryValues(e.request_uri, "command"), " ");
    if (command.empty() || (ignore_ && ignore_->Matches(command))) return;
    const Category* worst = nullptr;
    std::vector<std::string> names, catalog;
    for (size_t i = 0; i < cats_.size(); ++i) {
      if (!matchers_[i] || !matchers_[i]->Matches(command)) continue;
      names.emplace_back(cats_[i].name);
      catalog.emplace_back(cats_[i].catalog);
      if (worst == nullptr || cats_[i].severity > worst->severity) worst = &cats_[i];
    }
    if (worst == nullptr) return;
    Alert a = MakeAlert(info_, e);
    a.severity = worst->severity;
    auto containers = QueryValues(e.request_uri, "container");
    std::string container = containers.empty() ? "" : containers[0];
    a.AddField("command", command);
    a.AddField("container", container);
    a.AddField("categories", absl::StrJoin(names, ","));
    a.AddField("catalog_ids", absl::StrJoin(catalog, ","));
    a.message = absl::StrCat(ActorLabel(e), " ran `", command, "` in pod ", ObjectLabel(e),
                             container.empty() ? "" : absl::StrCat(" (container ", container, ")"),
                             ": ", ToAbsl(worst->why));
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
  std::vector<Category> cats_;
  std::vector<std::unique_ptr<PatternSet>> matchers_;  // one per category (null when empty)
  std::unique_ptr<PatternSet> ignore_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewExecSuspiciousCommand(DetectorParams& p) {
  std::vector<Category> cats = DefaultCategories();
  std::vector<std::unique_ptr<PatternSet>> matchers;
  for (Category& c : cats) {
    std::unique_ptr<PatternSet> m;
    KAUDIT_ASSIGN_OR_RETURN(
        m, PatternsParam(p, absl::StrCat(ToAbsl(c.name), "_patterns"), std::move(c.patterns)));
    matchers.push_back(std::move(m));
  }
  KAUDIT_ASSIGN_OR_RETURN(auto ignore, PatternsParam(p, "ignore_commands", kDefaultIgnore));
  return std::make_unique<ExecSuspiciousCommand>(std::move(cats), std::move(matchers),
                                                 std::move(ignore));
}

}  // namespace kaudit
