// Image outside the allowed registries (catalog C51): Falco's Create Disallowed Pod. A pod, its
// ephemeral containers or a workload template is written with a container image whose
// repository is not under one of `allowed_registries`: a registry host ("registry.example.com"),
// a repository prefix ("docker.io/library", "ghcr.io/acme") or one repository ("nginx",
// "sysdig/falco"), each matched at a path boundary against the repository as written and as
// normalized ("nginx" is "docker.io/library/nginx"). Medium. The list is empty by default
// (as Falco's): the detector watches no events until it is set.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "detectors/common/pod_security.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

// `repo` is `prefix` or lies under it ("registry.example.com/app" under "registry.example.com").
bool UnderPrefix(std::string_view repo, std::string_view prefix) {
  return repo.size() >= prefix.size() && repo.compare(0, prefix.size(), prefix) == 0 &&
         (repo.size() == prefix.size() || repo[prefix.size()] == '/');
}

class ImageNotAllowed final : public PodSpecDetector {
 public:
  explicit ImageNotAllowed(std::vector<std::string> allowed) : allowed_(std::move(allowed)) {
    info_.id = "image_not_allowed";
    info_.title = "Image outside the allowed registries";
    info_.description =
        "A container was written with an image from outside the allowed registries: an "
        "unreviewed or attacker-controlled image running in the cluster.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1610", "T1204.003"};
    info_.catalog_ids = {"C51"};
    // Without an allow-list there is nothing to judge: the dispatcher shows it no event.
    if (allowed_.empty()) info_.interest.stages = 0;
    info_.activated_by = "allowed_registries";
    why_ = "only images from the allowed registries are meant to run here";
  }

 protected:
  void Check(const AuditEvent&, const PodSpecView& s, std::vector<PodFinding>& out) override {
    for (const ContainerView& c : s.containers) {
      if (c.image.empty()) continue;
      const ImageRef ref = ParseImageRef(c.image);
      std::string normalized = ref.NormalizedRepository();
      if (Allowed(ref.repository, normalized)) continue;
      PodFinding& f = out.emplace_back();
      f.container = &c;
      f.control = "image";
      f.severity = info_.severity;
      f.detail = absl::StrCat("image ", ToAbsl(c.image), " is not from an allowed registry");
      f.fields = {{"repository", std::move(normalized)}};
    }
  }

 private:
  bool Allowed(std::string_view as_written, std::string_view normalized) const {
    for (const std::string& a : allowed_) {
      if (UnderPrefix(as_written, a) || UnderPrefix(normalized, a)) return true;
    }
    return false;
  }

  std::vector<std::string> allowed_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewImageNotAllowed(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(std::vector<std::string> allowed, p.List("allowed_registries", {}));
  for (std::string& a : allowed) {
    while (!a.empty() && a.back() == '/') a.pop_back();  // "registry.example.com/" is the host
    if (a.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(p.KeyPath("allowed_registries"), ": an entry is empty"));
    }
  }
  return std::make_unique<ImageNotAllowed>(std::move(allowed));
}

}  // namespace kaudit
