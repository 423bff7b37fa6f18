#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "detectors/common/csr.h"
#include "detectors/common/util.h"
#include "detectors/registry.h"
#include "src/common/strings.h"
#include "src/config/config.h"
#include "src/engine/dispatcher.h"
#include "src/parse/event_reader.h"
#include "tests/fuzz/fuzz_entries.h"
#include "tests/fuzz/touch.h"

namespace kaudit::fuzz {

namespace {
class DispatchHandler final : public EventHandler {
 public:
  explicit DispatchHandler(Dispatcher& d) : d_(d) {}
  void OnEvent(AuditEvent& e) override {
    d_.Dispatch(e, alerts_);
    for (const Alert& a : alerts_) {
      t_(a.message);
      for (const auto& [k, v] : a.fields) {
        t_(k);
        t_(v);
      }
    }
    alerts_.clear();
  }
  void OnInvalid(InvalidReason, const Location&, std::string_view, std::string_view) override {}
  std::vector<Alert> alerts_;
  Toucher t_;

 private:
  Dispatcher& d_;
};

std::unique_ptr<Dispatcher> AllDetectors() {
  std::map<std::string, DetectorParams, std::less<>> all;
  for (const auto& entry : DetectorTable()) {
    DetectorParams p("detectors." + std::string(entry.id));
    p.Set("enabled", "true");
    all.emplace(std::string(entry.id), std::move(p));
  }
  auto slots = BuildDetectors(std::move(all));
  if (!slots.ok()) __builtin_trap();
  DispatcherOptions opts;
  opts.dedup_entries = 1024;
  opts.aggregate_max_keys = 64;
  return std::make_unique<Dispatcher>(std::move(*slots), opts);
}
}  // namespace

void FuzzDetectors(const uint8_t* data, size_t size) {
  // One dispatcher for the whole run (building 50 detectors per input would leave a handful of
  // executions a second): state carries over between inputs, as it does between batches in
  // kaudit, within the small bounds set above.
  static Dispatcher* d = AllDetectors().release();
  static auto* reader = new EventReader();
  DispatchHandler h(*d);
  reader->ParseBuffer(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz", h);
  g_sink = g_sink + h.t_.sum() + h.alerts_.size();
}

void FuzzConfig(const uint8_t* data, size_t size) {
  absl::StatusOr<Config> config =
      LoadConfigString(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  if (!config.ok()) {
    g_sink = g_sink + config.status().message().size();
    return;
  }
  auto slots = BuildDetectors(config->detectors);
  g_sink = g_sink + (slots.ok() ? slots->size() : slots.status().message().size());
}

void FuzzExecCommand(const uint8_t* data, size_t size) {
  std::string_view uri(reinterpret_cast<const char*>(data), size);
  Toucher t;
  for (const std::string& v : QueryValues(uri, "command")) t(v);
  for (const std::string& v : QueryValues(uri, "container")) t(v);
  t(UrlDecode(uri));
  g_sink = g_sink + t.sum() + IsHealthOrVersionPath(uri);
}

void FuzzCsr(const uint8_t* data, size_t size) {
  if (size == 0) return;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string request;
  switch (data[0] % 3) {
    case 0:  // the bytes are spec.request as it stands in the event
      request = std::string(rest);
      break;
    case 1: {  // the bytes are the DER request: wrapped in PEM, then base64 as Kubernetes does
      std::string der64;
      absl::Base64Escape(ToAbsl(rest), &der64);
      std::string pem = "-----BEGIN CERTIFICATE REQUEST-----\n";
      for (size_t i = 0; i < der64.size(); i += 64) {
        pem += der64.substr(i, 64);
        pem += '\n';
      }
      pem += "-----END CERTIFICATE REQUEST-----\n";
      absl::Base64Escape(pem, &request);
      break;
    }
    default:  // the bytes are the PEM text
      absl::Base64Escape(ToAbsl(rest), &request);
      break;
  }
  CsrSubject s = DecodeCsrSubject(request);
  Toucher t;
  t(s.common_name);
  for (const std::string& o : s.organizations) t(o);
  g_sink = g_sink + t.sum() + s.ok;
}

FuzzEntry FuzzEntryByName(std::string_view name) {
  if (name == "framing") return &FuzzFraming;
  if (name == "detectors") return &FuzzDetectors;
  if (name == "pod_spec") return &FuzzPodSpec;
  if (name == "config") return &FuzzConfig;
  if (name == "exec_command") return &FuzzExecCommand;
  if (name == "webhook") return &FuzzWebhook;
  if (name == "csr") return &FuzzCsr;
  return nullptr;
}

}  // namespace kaudit::fuzz
