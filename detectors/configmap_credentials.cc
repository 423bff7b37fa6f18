// ConfigMap created or modified with plaintext credentials (catalog C33): a data key named
// like a credential, or a value holding a credential assignment (aws_access_key_id = ...,
// password: ...), an AWS access key id or a private key. ConfigMaps are readable far more
// widely than Secrets. Patterns are RE2 (detectors/common/matcher), configurable.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "detectors/common/matcher.h"
#include "detectors/common/rbac.h"
#include "detectors/common/util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/engine/detector.h"
#include "src/engine/params.h"

namespace kaudit {
namespace {

class ConfigMapCredentials final : public Detector {
 public:
  ConfigMapCredentials(std::unique_ptr<PatternSet> keys, std::unique_ptr<PatternSet> values,
                       std::unique_ptr<PatternSet> high_values)
      : keys_(std::move(keys)), values_(std::move(values)), high_values_(std::move(high_values)) {
    info_.id = "configmap_credentials";
    info_.title = "ConfigMap with private credentials";
    info_.description =
        "A ConfigMap was created or changed with what looks like a credential (password, "
        "access key, private key): ConfigMaps are not protected like Secrets.";
    info_.severity = Severity::kMedium;
    info_.mitre = {"T1552.007", "T1552.001"};
    info_.catalog_ids = {"C33"};
    info_.interest.verbs = Interest::WriteVerbs();
    info_.interest.stages = Interest::OutcomeStages();
    info_.interest.resources = {"configmaps"};
  }

  const DetectorInfo& info() const override { return info_; }

  void OnEvent(const AuditEvent& e, AlertEmitter& out) override {
    if (!e.first_outcome || !e.Succeeded()) return;
    const ConfigMapView* cm = e.RequestConfigMap();
    if (cm == nullptr) {
      if (e.request_object.empty()) ++not_judged_;
      return;
    }
    std::string_view hit_key;
    std::string_view why;
    bool high = false;
    for (const auto& [k, v] : cm->data) {
      if (high_values_ && high_values_->Matches(v)) {
        hit_key = k;
        why = "value holds key material";
        high = true;
        break;
      }
      if (hit_key.empty() && keys_ && keys_->Matches(k)) {
        hit_key = k;
        why = "key is named like a credential";
      } else if (hit_key.empty() && values_ && values_->Matches(v)) {
        hit_key = k;
        why = "value assigns a credential";
      }
    }
    if (hit_key.empty()) return;
    Alert a = MakeAlert(info_, e);
    if (high) a.severity = Severity::kHigh;
    a.message =
        absl::StrCat(ActorLabel(e), " ", ToAbsl(PastTense(e.verb)), " ConfigMap ", ObjectLabel(e),
                     " whose entry '", ToAbsl(hit_key), "' looks like a plaintext credential (",
                     ToAbsl(why), "): readable by anyone who can read ConfigMaps");
    a.AddField("key", std::string(hit_key));
    a.AddField("reason", std::string(why));
    out.Emit(std::move(a));
  }

  uint64_t events_not_judged() const override { return not_judged_; }

 private:
  DetectorInfo info_;
  std::unique_ptr<PatternSet> keys_, values_, high_values_;
  uint64_t not_judged_ = 0;
};

// "contains" semantics on top of PatternSet's full match.
std::vector<std::string> Contains(const std::vector<std::string>& patterns) {
  std::vector<std::string> out;
  for (const auto& p : patterns) out.push_back(absl::StrCat("(?s).*(?:", p, ").*"));
  return out;
}

absl::StatusOr<std::unique_ptr<PatternSet>> MakeSet(DetectorParams& p, std::string_view key,
                                                    std::vector<std::string> def) {
  KAUDIT_ASSIGN_OR_RETURN(auto list, p.List(key, std::move(def)));
  if (list.empty()) return std::unique_ptr<PatternSet>();
  return PatternSet::Create(Contains(list), p.KeyPath(key));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Detector>> NewConfigMapCredentials(DetectorParams& p) {
  KAUDIT_ASSIGN_OR_RETURN(
      auto keys,
      MakeSet(p, "key_patterns",
              {"(?i)^(password|passwd|passphrase|secret|secret[_.-]?key|client[_.-]?secret|"
               "api[_.-]?key|access[_.-]?key|aws[_.-]?access[_.-]?key[_.-]?id|"
               "aws[_.-]?secret[_.-]?access[_.-]?key|private[_.-]?key|token|auth[_.-]?token|"
               "db[_.-]?password)$"}));
  KAUDIT_ASSIGN_OR_RETURN(
      auto values,
      MakeSet(p, "value_patterns",
              {"(?i)(aws[_-]?(s3[_-]?)?access[_-]?key[_-]?id|aws[_-]?secret[_-]?access[_-]?key|"
               "password|passwd|passphrase|client[_-]?secret|api[_-]?key|secret[_-]?key)"
               "[\"']?\\s*[:=]\\s*\\S"}));
  KAUDIT_ASSIGN_OR_RETURN(
      auto high, MakeSet(p, "key_material_patterns",
                         {"-----BEGIN [A-Z ]*PRIVATE KEY-----", "\\b(AKIA|ASIA)[0-9A-Z]{16}\\b"}));
  return std::make_unique<ConfigMapCredentials>(std::move(keys), std::move(values),
                                                std::move(high));
}

}  // namespace kaudit
