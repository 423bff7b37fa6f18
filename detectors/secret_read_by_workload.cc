// Secret read by a workload identity (catalog C28): a pod's service account (or, with
// `include_nodes`, a node) reads or lists secrets through the API. Applications get their
// secrets mounted; a pod token reading secrets is an operator (allow-list it) or a stolen token.
// Medium. kube-system service accounts are allow-listed by default. One alert per identity per
// `repeat_window` (default 1h), at most `max_keys` remembered (LRU, counted).
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "detectors/common/burst.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/keyed_state.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class SecretReadByWorkload final : public Detector {
 public:
  SecretReadByWorkload(bool include_nodes, RepeatGate repeat)
      : include_nodes_(include_nodes), repeat_(std::move(repeat)) {
    info_.id = "secret_read_by_workload";
    info_.title = "Secret read by a workload identity";
    info_.description =
        "A pod's service account read or listed secrets through the API: applications get "
        "their secrets mounted, so this is an operator or a stolen pod token.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1552.007", "T1528"};
    info_.catalog_ids = {"C28"};
    info_.interest.verbs = Interest::Verbs({Verb::kGet, Verb::kList});
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"secrets"};
    info_.stateful = repeat_.enabled();
    info_.default_allow_users = {"system:serviceaccount:kube-system:.*"};
  }

  const DetectorInfo& info() const override { return info_; }
  size_t state_entries() const override { return repeat_.size(); }
  uint64_t state_evictions() const override { return repeat_.evictions(); }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded() || !e.object.subresource.empty()) return;
    std::string_view actor = e.Actor();
    const bool sa = StartsWith(actor, "system:serviceaccount:");
    if (!sa && !(include_nodes_ && StartsWith(actor, "system:node:"))) return;
    if (IsLoopbackIp(e.SourceIp()) || !repeat_.Pass(actor, e.stage_timestamp)) return;
    Alert a = MakeAlert(info_, e);
    std::string_view what = e.verb == Verb::kList ? "listed secrets in " : "read secret ";
    std::string obj = e.verb == Verb::kList
                          ? (e.object.namespace_.empty() ? std::string("every namespace")
                                                         : std::string(e.object.namespace_))
                          : ObjectLabel(e);
    a.message =
        absl::StrCat(sa ? "service account " : "node ", ActorLabel(e), " ", ToAbsl(what), obj,
                     sa ? ": a pod token reading credentials through the API (an "
                          "operator, or a stolen token)"
                        : ": a node reading secrets outside its pods' needs");
    out.Emit(std::move(a));
  }

 private:
  DetectorInfo info_;
  bool include_nodes_;
  RepeatGate repeat_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewSecretReadByWorkload(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(bool nodes, p.Bool("include_nodes", false));
  KAUDIT_ASSIGN_OR_RETURN(RepeatGate repeat, RepeatGateParams(p));
  return std::make_unique<SecretReadByWorkload>(nodes, std::move(repeat));
}

}  // namespace kaudit
