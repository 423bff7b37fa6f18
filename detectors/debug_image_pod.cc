// Debug or base image (catalog C50): a container whose image repository's last path
// component is a common debugging or base image (`images`: alpine, busybox, ubuntu, debian,
// netshoot, network-multitool, curl, ...), the usual way an intruder gets a shell with tools
// into a cluster. Stateless (Elastic's rule also requires a new user/IP/agent triple). Low.
#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "detectors/common/pod_security.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class DebugImagePod final : public PodSpecDetector {
 public:
  explicit DebugImagePod(std::vector<std::string> images) : images_(std::move(images)) {
    info_.id = "debug_image_pod";
    info_.title = "Pod from a debug or base image";
    info_.description =
        "A container was written from a common debugging or base image (busybox, alpine, "
        "netshoot, ...): often an interactive foothold with tools rather than an application.";
    info_.severity = Severity::kLow;
    info_.mitre = {"T1610", "T1609"};
    info_.catalog_ids = {"C50"};
    why_ = "debug and base images are a common way to get a shell with tools into a cluster";
  }

 protected:
  void Check(const AuditEvent&, const PodSpecView& s, std::vector<PodFinding>& out) override {
    for (const ContainerView& c : s.containers) {
      if (c.image.empty()) continue;
      std::string_view path = ParseImageRef(c.image).path;
      std::string_view last = path.substr(path.rfind('/') + 1);
      if (std::find(images_.begin(), images_.end(), last) == images_.end()) continue;
      PodFinding& f = out.emplace_back();
      f.container = &c;
      f.control = "image";
      f.severity = info_.severity;
      f.detail = absl::StrCat("debug/base image ", ToAbsl(last));
    }
  }

 private:
  std::vector<std::string> images_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewDebugImagePod(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(
      std::vector<std::string> images,
      p.List("images", {"alpine", "busybox", "ubuntu", "debian", "centos", "fedora", "netshoot",
                        "network-multitool", "curl", "kali-rolling", "toolbox"}));
  return std::make_unique<DebugImagePod>(std::move(images));
}

}  // namespace kaudit
