#include "detectors/common/workloads.h"

#include <iterator>

#include "absl/strings/str_cat.h"
#include "detectors/common/util.h"
#include "src/common/strings.h"

namespace kaudit {

const std::vector<std::string>& PodSpecResources() {
  static const std::vector<std::string> kResources(std::begin(kPodSpecResources),
                                                   std::end(kPodSpecResources));
  return kResources;
}

const PodSpecView* WrittenPodSpec(const AuditEvent& e, bool* not_visible) {
  *not_visible = false;
  if (!e.request_object.empty()) {
    if (const PodSpecView* spec = e.RequestPodSpec()) return spec;
    if (e.request_object.front() != '[') return nullptr;  // a write that did not touch the spec
  }
  if (!e.response_object.empty()) {
    if (const PodSpecView* spec = e.ResponsePodSpec()) return spec;
    return nullptr;
  }
  *not_visible = true;
  return nullptr;
}

bool IsPodSpecWrite(const AuditEvent& e) {
  if (e.verb != Verb::kCreate && e.verb != Verb::kUpdate && e.verb != Verb::kPatch) return false;
  if (e.response_code >= 400 || (e.response_code == 0 && e.decision != "allow")) return false;
  const std::string_view sub = e.object.subresource;
  return sub.empty() || (e.object.resource == "pods" && sub == "ephemeralcontainers");
}

std::string WorkloadLabel(const AuditEvent& e, const PodSpecView* spec) {
  std::string_view res = e.object.resource;
  std::string kind(
      res.substr(0, res.size() > 1 && EndsWith(res, "s") ? res.size() - 1 : res.size()));
  std::string_view name = e.object.name;
  if (name.empty()) {
    const PodSpecView* response = e.ResponsePodSpec();
    if (response != nullptr && !response->object_name.empty())
      name = response->object_name;
    else if (spec != nullptr && !spec->object_name.empty())
      name = spec->object_name;
  }
  if (name.empty()) name = "<unnamed>";
  if (e.object.namespace_.empty()) return absl::StrCat(kind, " ", ToAbsl(name));
  return absl::StrCat(kind, " ", ToAbsl(e.object.namespace_), "/", ToAbsl(name));
}

}  // namespace kaudit
