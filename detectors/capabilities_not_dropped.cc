// Capabilities not dropped (catalog C60; Pod Security Standards restricted "Capabilities"):
// a Linux container that does not drop ALL, or adds anything but NET_BIND_SERVICE. One alert
// per container; low: a restricted-profile gap.
#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "detectors/common/pod_security.h"
#include "src/common/strings.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class CapabilitiesNotDropped final : public PodSpecDetector {
 public:
  CapabilitiesNotDropped() {
    info_.id = "capabilities_not_dropped";
    info_.title = "Capabilities not dropped";
    info_.description =
        "A container was written without dropping ALL capabilities, or adding one other than "
        "NET_BIND_SERVICE (restricted profile): it keeps the runtime's default capabilities.";
    info_.severity = Severity::kLow;
    info_.mitre = {"T1611", "T1068"};
    info_.catalog_ids = {"C60"};
    why_ = "it keeps more Linux capabilities than it needs (restricted profile gap)";
    needs_whole_object_ = true;
  }

 protected:
  void Check(const AuditEvent&, const PodSpecView& s, std::vector<PodFinding>& out) override {
    if (IsWindowsPod(s)) return;
    for (const ContainerView& c : s.containers) {
      const auto& sc = c.security_context;
      bool drops_all = std::find(sc.capabilities_drop.begin(), sc.capabilities_drop.end(), "ALL") !=
                       sc.capabilities_drop.end();
      std::vector<std::string> extra;
      for (std::string_view cap : sc.capabilities_add) {
        if (cap != "NET_BIND_SERVICE") extra.emplace_back(cap);
      }
      if (drops_all && extra.empty()) continue;
      PodFinding& f = out.emplace_back();
      f.container = &c;
      f.control = "capabilities";
      f.severity = info_.severity;
      if (!drops_all && extra.empty()) {
        f.detail = "capabilities.drop without ALL";
      } else if (drops_all) {
        f.detail = absl::StrCat("capabilities added: ", absl::StrJoin(extra, ","));
      } else {
        f.detail =
            absl::StrCat("capabilities.drop without ALL and added: ", absl::StrJoin(extra, ","));
      }
      f.fields = {{"drops_all", drops_all ? "true" : "false"},
                  {"added", absl::StrJoin(extra, ",")}};
    }
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewCapabilitiesNotDropped(DetectorParams&) {
  return std::make_unique<CapabilitiesNotDropped>();
}

}  // namespace kaudit
