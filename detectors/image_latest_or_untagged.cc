// Image without a tag or with :latest (catalog C51; hardening guides: no :latest): a
// container whose image reference is neither pinned by digest nor tagged with a version.
// Image references are parsed the way container runtimes do (a registry with a port,
// "registry:5000/app", is not a tag). One alert per container; low.
#include <memory>

#include "absl/strings/str_cat.h"
#include "detectors/common/pod_security.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class ImageLatestOrUntagged final : public PodSpecDetector {
 public:
  ImageLatestOrUntagged() {
    info_.id = "image_latest_or_untagged";
    info_.title = "Image untagged or :latest";
    info_.description =
        "A container was written with an image that has no tag or the tag latest and no digest: "
        "what runs changes with every push to the registry and cannot be audited.";
    info_.severity = Severity::kLow;
    info_.mitre = {"T1610", "T1525"};
    info_.catalog_ids = {"C51"};
    why_ = "what runs changes whenever the registry's latest image does (hardening gap)";
  }

 protected:
  void Check(const AuditEvent&, const PodSpecView& s, std::vector<PodFinding>& out) override {
    for (const ContainerView& c : s.containers) {
      if (c.image.empty()) continue;
      ImageRef ref = ParseImageRef(c.image);
      if (!ref.digest.empty() || (!ref.tag.empty() && ref.tag != "latest")) continue;
      PodFinding& f = out.emplace_back();
      f.container = &c;
      f.control = "image.tag";
      f.severity = info_.severity;
      f.detail = ref.tag.empty() ? "an untagged image" : "an image tagged latest";
      f.fields = {{"repository", ref.NormalizedRepository()},
                  {"tag", ref.tag.empty() ? "" : "latest"}};
    }
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewImageLatestOrUntagged(DetectorParams&) {
  return std::make_unique<ImageLatestOrUntagged>();
}

}  // namespace kaudit
