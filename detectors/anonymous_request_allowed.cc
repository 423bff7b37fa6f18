// Anonymous request allowed (catalog C01, C03): a request by system:anonymous (or the
// system:unauthenticated group, or with no user) that the authorizer allowed, on anything but
// health and version endpoints. Anonymous writes are critical.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class AnonymousRequestAllowed final : public Detector {
 public:
  explicit AnonymousRequestAllowed(std::vector<std::string> ignore_paths)
      : ignore_paths_(std::move(ignore_paths)) {
    info_.id = "anonymous_request_allowed";
    info_.title = "Anonymous request allowed";
    info_.description =
        "An unauthenticated caller was allowed by the authorizer: anonymous access to the API is "
        "open (critical when the request wrote to the cluster).";
    info_.severity = Severity::kHigh;
    info_.mitre = {"T1078.001", "T1190"};
    info_.catalog_ids = {"C01", "C03"};
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.traits = EventTrait::kAnonymous;
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.IsAnonymous()) return;
    const bool allowed = e.decision == "allow" || (e.decision.empty() && e.Succeeded());
    if (!allowed || IsHealthOrVersionPath(e.request_uri)) return;
    for (const auto& p : ignore_paths_) {
      if (StartsWith(e.request_uri, p)) return;
    }
    const bool write = e.verb == Verb::kCreate || e.verb == Verb::kUpdate ||
                       e.verb == Verb::kPatch || e.verb == Verb::kDelete ||
                       e.verb == Verb::kDeleteCollection || e.verb == Verb::kPost ||
                       e.verb == Verb::kPut;
    Alert a = MakeAlert(info_, e);
    if (write) a.severity = Severity::kCritical;
    std::string target = e.has_object_ref
                             ? absl::StrCat(ToAbsl(e.object.resource), " ", ObjectLabel(e))
                             : std::string(e.request_uri);
    a.message = absl::StrCat("anonymous ", ToAbsl(e.verb_text), " of ", target, " from ",
                             e.SourceIp().empty() ? "unknown source" : ToAbsl(e.SourceIp()),
                             " was allowed (", e.response_code,
                             "): anonymous access to the API "
                             "is open",
                             write ? " and was used to change the cluster" : "");
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
  std::vector<std::string> ignore_paths_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewAnonymousRequestAllowed(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(auto ignore, p.List("ignore_paths", {}));
  return std::make_unique<AnonymousRequestAllowed>(std::move(ignore));
}

}  // namespace kaudit
