// Capabilities beyond the baseline set (catalog C60; Pod Security Standards baseline
// "Capabilities"): a container adds a capability outside AUDIT_WRITE, CHOWN, DAC_OVERRIDE,
// FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID,
// SYS_CHROOT. One alert per container and capability: medium for the capabilities that
// lead to the node (`dangerous_capabilities`: SYS_ADMIN, SYS_PTRACE, SYS_MODULE, ...), low
// for the other non-baseline ones (SYS_TIME, SYS_NICE, ...).
#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "detectors/common/pod_security.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

constexpr std::string_view kBaseline[] = {
    "AUDIT_WRITE",      "CHOWN",   "DAC_OVERRIDE", "FOWNER",  "FSETID", "KILL",      "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID",       "SETPCAP", "SETUID", "SYS_CHROOT"};

class BaselineCapabilities final : public PodSpecDetector {
 public:
  explicit BaselineCapabilities(std::vector<std::string> dangerous) : dangerous_() {
    for (const std::string& d : dangerous) dangerous_.push_back(NormalizeCapability(d));
    info_.id = "baseline_capabilities";
    info_.title = "Capability added beyond the baseline set";
    info_.description =
        "A container was written adding a Linux capability outside the Pod Security Standards "
        "baseline set; SYS_ADMIN, SYS_PTRACE, SYS_MODULE and similar lead to the node.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1611", "T1068"};
    info_.catalog_ids = {"C60"};
    why_ = "the capability widens what the container can do to the kernel and the node";
  }

 protected:
  void Check(const AuditEvent&, const PodSpecView& s, std::vector<PodFinding>& out) override {
    for (const ContainerView& c : s.containers) {
      for (std::string_view cap : c.security_context.capabilities_add) {
        // The PSS compares names as written: "CAP_CHOWN" is not in the baseline set.
        if (std::find(std::begin(kBaseline), std::end(kBaseline), cap) != std::end(kBaseline))
          continue;
        std::string norm = NormalizeCapability(cap);
        bool dangerous = std::find(dangerous_.begin(), dangerous_.end(), norm) != dangerous_.end();
        PodFinding& f = out.emplace_back();
        f.container = &c;
        f.control = "capabilities.add";
        f.severity = dangerous ? Severity::kMedium : Severity::kLow;
        f.detail =
            absl::StrCat(dangerous ? "dangerous " : "", "capability ", ToAbsl(cap), " added");
        f.fields = {{"capability", std::string(cap)}};
      }
    }
  }

 private:
  std::vector<std::string> dangerous_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewBaselineCapabilities(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(
      std::vector<std::string> dangerous,
      p.List("dangerous_capabilities",
             {"ALL", "SYS_ADMIN", "SYS_PTRACE", "SYS_MODULE", "SYS_RAWIO", "SYS_BOOT",
              "DAC_READ_SEARCH", "NET_ADMIN", "NET_RAW", "BPF", "PERFMON", "SYSLOG", "MAC_ADMIN",
              "MAC_OVERRIDE", "LINUX_IMMUTABLE", "SYS_RESOURCE"}));
  return std::make_unique<BaselineCapabilities>(std::move(dangerous));
}

}  // namespace kaudit
