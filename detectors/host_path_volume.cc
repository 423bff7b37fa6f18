// hostPath volume (catalog C61; Pod Security Standards baseline "HostPath Volumes"): any
// hostPath volume is a baseline violation (medium); one on a sensitive host path (the path,
// a path under it, or a directory containing it, after lexical normalization) is high. Falco:
// Create Sensitive Mount Pod (which matches its list exactly; kaudit also matches subpaths,
// parents and spellings such as "/etc/").
#include <memory>

#include "absl/strings/str_cat.h"
#include "detectors/common/pod_security.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class HostPathVolume final : public PodSpecDetector {
 public:
  explicit HostPathVolume(std::vector<std::string> sensitive) : sensitive_(std::move(sensitive)) {
    for (std::string& s : sensitive_) s = NormalizeHostPath(s);
    info_.id = "host_path_volume";
    info_.title = "hostPath volume";
    info_.description =
        "A pod or workload was written with a hostPath volume: its containers read or write the "
        "node's filesystem; sensitive paths (/, /etc, /proc, /root, runtime sockets, kubelet "
        "state) give control of the node.";
    info_.severity = Severity::kHigh;
    info_.mitre = {"T1611"};
    info_.catalog_ids = {"C61"};
    why_ = "its containers reach the node's filesystem (read-only mounts still expose it)";
  }

 protected:
  void Check(const AuditEvent&, const PodSpecView& s, std::vector<PodFinding>& out) override {
    for (const VolumeView& v : s.volumes) {
      if (v.type != "hostPath") continue;
      std::string norm = NormalizeHostPath(v.host_path);
      std::string_view match = SensitiveHostPathMatch(norm, sensitive_);
      PodFinding& f = out.emplace_back();
      f.control = "hostPath";
      f.severity = match.empty() ? Severity::kMedium : Severity::kHigh;
      f.detail = absl::StrCat(match.empty() ? "" : "sensitive ", "hostPath volume ", ToAbsl(v.name),
                              " (", ToAbsl(v.host_path), ")");
      f.fields = {{"volume", std::string(v.name)}, {"path", std::string(v.host_path)}};
      if (!match.empty()) f.fields.emplace_back("sensitive_path", std::string(match));
    }
  }

 private:
  std::vector<std::string> sensitive_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewHostPathVolume(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(
      std::vector<std::string> sensitive,
      p.List("sensitive_paths",
             {"/", "/proc", "/sys", "/etc", "/root", "/home/admin", "/boot", "/dev",
              "/var/run/docker.sock", "/run/docker.sock", "/var/run/crio/crio.sock",
              "/run/crio/crio.sock", "/run/containerd/containerd.sock",
              "/var/run/containerd/containerd.sock", "/var/lib/kubelet", "/etc/kubernetes",
              "/var/lib/docker", "/var/lib/containerd", "/var/lib/etcd"}));
  for (const std::string& s : sensitive) {
    if (!StartsWith(s, "/")) {
      return absl::InvalidArgumentError(
          absl::StrCat(p.KeyPath("sensitive_paths"), ": expected absolute paths; got '", s, "'"));
    }
  }
  return std::make_unique<HostPathVolume>(std::move(sensitive));
}

}  // namespace kaudit
