// Writable root filesystem (hardening guides: read-only root filesystem): a container
// without readOnlyRootFilesystem: true. One alert per container; low.
#include <memory>

#include "detectors/common/pod_security.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class ReadOnlyRootFsMissing final : public PodSpecDetector {
 public:
  ReadOnlyRootFsMissing() {
    info_.id = "read_only_root_fs_missing";
    info_.title = "Root filesystem writable";
    info_.description =
        "A container was written without readOnlyRootFilesystem: true: an intruder can drop "
        "tools and modify binaries inside it.";
    info_.severity = Severity::kLow;
    info_.mitre = {"T1610"};
    info_.catalog_ids = {"C59"};
    why_ = "an intruder can write tools and change binaries in it (hardening gap)";
    needs_whole_object_ = true;
  }

 protected:
  void Check(const AuditEvent&, const PodSpecView& s, std::vector<PodFinding>& out) override {
    for (const ContainerView& c : s.containers) {
      const auto& ro = c.security_context.read_only_root_filesystem;
      if (ro.value_or(false)) continue;
      PodFinding& f = out.emplace_back();
      f.container = &c;
      f.control = "readOnlyRootFilesystem";
      f.severity = info_.severity;
      f.detail = ro.has_value() ? "readOnlyRootFilesystem: false" : "readOnlyRootFilesystem unset";
    }
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewReadOnlyRootFsMissing(DetectorParams&) {
  return std::make_unique<ReadOnlyRootFsMissing>();
}

}  // namespace kaudit
