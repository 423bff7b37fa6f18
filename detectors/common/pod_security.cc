#include "detectors/common/pod_security.h"

#include <cctype>

#include "absl/strings/str_cat.h"
#include "detectors/common/util.h"
#include "detectors/common/workloads.h"
#include "src/common/strings.h"

namespace kaudit {

PodSpecDetector::PodSpecDetector() {
  info_.interest.verbs = Interest::WriteVerbs();
  info_.interest.stages = Interest::Stages({Stage::kResponseComplete, Stage::kPanic});
  info_.interest.resources = PodSpecResources();
  info_.judges_images = true;
}

void PodSpecDetector::OnEvent(const AuditEvent& e, AlertEmitter& out) {
  if (!e.first_outcome || !IsPodSpecWrite(e)) return;
  bool not_visible = false;
  const PodSpecView* spec = nullptr;
  if (needs_whole_object_ && e.verb == Verb::kPatch && e.object.subresource.empty()) {
    const bool json_patch = !e.request_object.empty() && e.request_object.front() == '[';
    if (!e.request_object.empty() && !json_patch && e.RequestPodSpec() == nullptr) {
      return;  // a merge patch that did not touch the pod spec (labels, annotations, ...)
    }
    spec = e.ResponsePodSpec();
    not_visible = e.response_object.empty();
  } else {
    spec = WrittenPodSpec(e, &not_visible);
  }
  if (spec == nullptr) {
    if (not_visible) ++not_judged_;
    return;
  }
  findings_.clear();
  Check(e, *spec, findings_);
  if (findings_.empty()) return;
  const std::string workload = WorkloadLabel(e, spec);
  const std::string actor = ActorLabel(e);
  for (PodFinding& f : findings_) {
    Alert a = MakeAlert(info_, e);
    a.severity = f.severity;
    if (f.container != nullptr) {
      const ContainerView& c = *f.container;
      a.AddField("container", std::string(c.name));
      a.AddField("container_type", std::string(ContainerKindName(c.kind)));
      a.AddField("image", std::string(c.image));
      a.message = absl::StrCat(actor, " ", ToAbsl(PastTense(e.verb)), " ", workload, " with ",
                               f.detail, " in ", ToAbsl(ContainerKindName(c.kind)), " ",
                               ToAbsl(c.name), " (image ", ToAbsl(c.image), "): ", why_);
    } else {
      a.message = absl::StrCat(actor, " ", ToAbsl(PastTense(e.verb)), " ", workload, " with ",
                               f.detail, ": ", why_);
    }
    a.AddField("control", std::move(f.control));
    for (auto& [k, v] : f.fields) a.AddField(std::move(k), std::move(v));
    out.Emit(std::move(a));
  }
}

std::string NormalizeCapability(std::string_view cap) {
  std::string out;
  out.reserve(cap.size());
  for (char ch : cap)
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
  if (StartsWith(out, "CAP_")) out.erase(0, 4);
  return out;
}

ImageRef ParseImageRef(std::string_view image) {
  ImageRef r;
  std::string_view name = image;
  size_t at = name.find('@');
  if (at != std::string_view::npos) {
    r.digest = name.substr(at + 1);
    name = name.substr(0, at);
  }
  size_t slash = name.rfind('/');
  size_t colon = name.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    r.tag = name.substr(colon + 1);
    name = name.substr(0, colon);
  }
  r.repository = name;
  size_t first = name.find('/');
  if (first != std::string_view::npos) {
    std::string_view head = name.substr(0, first);
    // Docker's rule: the first component names a registry if it has a dot or a port, or is
    // "localhost".
    if (head.find('.') != std::string_view::npos || head.find(':') != std::string_view::npos ||
        head == "localhost") {
      r.registry = head;
      r.path = name.substr(first + 1);
      return r;
    }
  }
  r.path = name;
  return r;
}

std::string ImageRef::NormalizedRepository() const {
  std::string_view reg = registry;
  if (reg.empty() || reg == "index.docker.io" || reg == "registry-1.docker.io") reg = "docker.io";
  if (reg == "docker.io" && path.find('/') == std::string_view::npos) {
    return absl::StrCat("docker.io/library/", ToAbsl(path));
  }
  return absl::StrCat(ToAbsl(reg), "/", ToAbsl(path));
}

std::string NormalizeHostPath(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view seg = path.substr(i, j - i);
    if (seg == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!seg.empty() && seg != ".") {
      parts.push_back(seg);
    }
    i = j + 1;
  }
  std::string out;
  for (std::string_view p : parts) absl::StrAppend(&out, "/", ToAbsl(p));
  return out.empty() ? "/" : out;
}

std::string_view SensitiveHostPathMatch(std::string_view p,
                                        const std::vector<std::string>& sensitive) {
  for (const std::string& s : sensitive) {
    if (p == s) return s;
    if (s == "/") continue;  // only "/" itself
    // p under s
    if (p.size() > s.size() && StartsWith(p, s) && p[s.size()] == '/') return s;
    // p contains s (a parent directory of a sensitive path)
    if (s.size() > p.size() && StartsWith(s, p) && (p == "/" || s[p.size()] == '/')) return s;
  }
  return {};
}

}  // namespace kaudit
