// Scanner or non-allow-listed image pulled (catalog C23; Splunk *Kubernetes Scanner Image
// Pulling*, *Kubernetes Suspicious Image Pulling*). Kubelets report every image pull as a
// core/v1 Event (reason Pulling, message `Pulling image "aquasec/kube-hunter:latest"`) which
// they create through the API server; with Request-level auditing of events, the audit event
// of that create carries the message. The image's repository name (last path component, tag
// and digest stripped) is matched against `scanner_images` (kube-hunter, kube-bench,
// kube-recon, ...: high), and, when `allowed_images` (RE2 over the image as written) is set,
// any image outside it is reported too (medium). events.k8s.io/v1 Events (`note`) are read as
// well. Event creates without a request object (Metadata level, the usual policy for events)
// cannot be judged and are counted. Stateless.
#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "detectors/common/json_scan.h"
#include "detectors/common/matcher.h"
#include "detectors/common/pod_security.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

constexpr std::string_view kPullingImage = "pulling image";

// The image of a kubelet `Pulling image "x"` message (quotes optional); "" otherwise.
std::string_view PulledImage(std::string_view message) {
  if (message.size() < kPullingImage.size()) return {};
  for (size_t i = 0; i < kPullingImage.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(message[i])) != kPullingImage[i]) return {};
  }
  std::string_view rest = message.substr(kPullingImage.size());
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (!rest.empty() && rest.front() == '"') {
    rest.remove_prefix(1);
    return rest.substr(0, rest.find('"'));
  }
  return rest.substr(0, rest.find(' '));
}

// The decoded string at `path` of a raw JSON object, or nullopt.
std::optional<std::string> StringAt(std::string_view json,
                                    std::initializer_list<std::string_view> path) {
  auto raw = JsonFind(json, path);
  return raw ? JsonString(*raw) : std::nullopt;
}

class ScannerImagePulled final : public Detector {
 public:
  struct Options {
    std::vector<std::string> scanner_images;
    std::unique_ptr<PatternSet> allowed_images;
  };

  explicit ScannerImagePulled(Options o) : opts_(std::move(o)) {
    info_.id = "scanner_image_pulled";
    info_.title = "Security-scanner or non-allow-listed image pulled";
    info_.description =
        "A kubelet reported pulling a security-scanner image (kube-hunter, kube-bench, "
        "kube-recon, ...) or, with an image allow-list, an image outside it: reconnaissance "
        "run from inside the cluster, or a workload nobody approved.";
    info_.severity = Severity::kHigh;
    info_.mitre = {"T1526", "T1613", "T1610"};
    info_.catalog_ids = {"C23"};
    info_.interest.verbs = Interest::Verbs({Verb::kCreate});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"events"};
  }

  const DetectorInfo& info() const override { return info_; }
  uint64_t events_not_judged() const override { return not_judged_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.object.subresource.empty()) return;
    if (e.request_object.empty()) {
      ++not_judged_;
      return;
    }
    std::optional<std::string> message = StringAt(e.request_object, {"message"});
    if (!message) message = StringAt(e.request_object, {"note"});  // events.k8s.io/v1
    if (!message) return;
    std::string_view image = PulledImage(*message);
    if (image.empty()) return;
    std::string_view path = ParseImageRef(image).path;
    std::string_view name = path.substr(path.rfind('/') + 1);
    const bool scanner = std::find(opts_.scanner_images.begin(), opts_.scanner_images.end(),
                                   name) != opts_.scanner_images.end();
    const bool unlisted = opts_.allowed_images && !opts_.allowed_images->Matches(image);
    if (!scanner && !unlisted) return;

    std::optional<std::string> pod_ns = StringAt(e.request_object, {"involvedObject", "namespace"});
    std::optional<std::string> pod = StringAt(e.request_object, {"involvedObject", "name"});
    if (!pod) {  // events.k8s.io/v1
      pod_ns = StringAt(e.request_object, {"regarding", "namespace"});
      pod = StringAt(e.request_object, {"regarding", "name"});
    }
    std::string pod_label;
    if (pod) pod_label = pod_ns && !pod_ns->empty() ? absl::StrCat(*pod_ns, "/", *pod) : *pod;

    Alert a = MakeAlert(info_, e);
    a.severity = scanner ? Severity::kHigh : Severity::kMedium;
    a.AddField("image", std::string(image));
    a.AddField("reason", scanner ? "scanner_image" : "not_allow_listed");
    if (!pod_label.empty()) a.AddField("pod", pod_label);
    a.message =
        absl::StrCat(ActorLabel(e), " reported pulling ",
                     scanner ? absl::StrCat("security-scanner image ", ToAbsl(image))
                             : absl::StrCat("image ", ToAbsl(image), " (not in allowed_images)"),
                     pod_label.empty() ? "" : " for pod ", pod_label,
                     scanner ? ": cluster reconnaissance run from inside the cluster"
                             : ": a workload image nobody approved");
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
  Options opts_;
  uint64_t not_judged_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewScannerImagePulled(DetectorParams& p) {
  ScannerImagePulled::Options o;
  KAUDIT_ASSIGN_OR_RETURN(
      o.scanner_images,
      p.List("scanner_images", {"kube-hunter", "kube-bench", "kube-recon", "kubesploit", "peirates",
                                "kubiscan", "kubestriker", "kdigger", "kubeletctl"}));
  KAUDIT_ASSIGN_OR_RETURN(o.allowed_images, PatternsParam(p, "allowed_images", {}));
  return std::make_unique<ScannerImagePulled>(std::move(o));
}

}  // namespace kaudit
