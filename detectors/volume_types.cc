// Volume types (catalog C61; Pod Security Standards restricted "Volume Types"): a volume of
// a type other than configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim,
// projected, secret. One alert per volume; low.
#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "detectors/common/pod_security.h"
#include "src/common/strings.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

constexpr std::string_view kAllowed[] = {"configMap", "csi",       "downwardAPI",
                                         "emptyDir",  "ephemeral", "persistentVolumeClaim",
                                         "projected", "secret"};

class VolumeTypes final : public PodSpecDetector {
 public:
  VolumeTypes() {
    info_.id = "volume_types";
    info_.title = "Volume type outside the restricted set";
    info_.description =
        "A pod or workload was written with a volume type the restricted profile does not allow "
        "(hostPath, flexVolume, nfs, ...): storage that bypasses the cluster's storage controls.";
    info_.severity = Severity::kLow;
    info_.mitre = {"T1611"};
    info_.catalog_ids = {"C61"};
    why_ = "the volume type is outside the restricted profile's set";
  }

 protected:
  void Check(const AuditEvent&, const PodSpecView& s, std::vector<PodFinding>& out) override {
    for (const VolumeView& v : s.volumes) {
      if (v.type.empty() ||
          std::find(std::begin(kAllowed), std::end(kAllowed), v.type) != std::end(kAllowed))
        continue;
      PodFinding& f = out.emplace_back();
      f.control = "volumes";
      f.severity = info_.severity;
      f.detail = absl::StrCat(ToAbsl(v.type), " volume ", ToAbsl(v.name));
      f.fields = {{"volume", std::string(v.name)}, {"volume_type", std::string(v.type)}};
    }
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewVolumeTypes(DetectorParams&) {
  return std::make_unique<VolumeTypes>();
}

}  // namespace kaudit
