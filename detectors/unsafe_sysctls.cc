// Unsafe sysctls (Pod Security Standards baseline "Sysctls"): a pod sets a sysctl outside
// the safe set (kernel.shm_rmid_forced, net.ipv4.ip_local_port_range,
// net.ipv4.ip_unprivileged_port_start, net.ipv4.tcp_syncookies, net.ipv4.ping_group_range,
// net.ipv4.ip_local_reserved_ports, net.ipv4.tcp_keepalive_time, net.ipv4.tcp_fin_timeout,
// net.ipv4.tcp_keepalive_intvl, net.ipv4.tcp_keepalive_probes, and since v1.32
// net.ipv4.tcp_rmem, net.ipv4.tcp_wmem). One alert per sysctl.
#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "detectors/common/pod_security.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class UnsafeSysctls final : public PodSpecDetector {
 public:
  explicit UnsafeSysctls(std::vector<std::string> safe) : safe_(std::move(safe)) {
    info_.id = "unsafe_sysctls";
    info_.title = "Unsafe sysctl";
    info_.description =
        "A pod was written setting a sysctl outside the Pod Security Standards safe set: it can "
        "change kernel behaviour for the whole node, not just the pod.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1611"};
    info_.catalog_ids = {"C58"};
    why_ = "the sysctl may change kernel settings beyond the pod";
  }

 protected:
  void Check(const AuditEvent&, const PodSpecView& s, std::vector<PodFinding>& out) override {
    for (std::string_view name : s.pod_security_context.sysctl_names) {
      if (std::find(safe_.begin(), safe_.end(), name) != safe_.end()) continue;
      PodFinding& f = out.emplace_back();
      f.control = "sysctls";
      f.severity = info_.severity;
      f.detail = absl::StrCat("sysctl ", ToAbsl(name));
      f.fields = {{"sysctl", std::string(name)}};
    }
  }

 private:
  std::vector<std::string> safe_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewUnsafeSysctls(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(
      std::vector<std::string> safe,
      p.List("safe_sysctls", {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                              "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
                              "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                              "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                              "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
                              "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"}));
  return std::make_unique<UnsafeSysctls>(std::move(safe));
}

}  // namespace kaudit
