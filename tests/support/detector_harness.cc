#include "tests/support/detector_harness.h"

#include <stdexcept>

#include "detectors/registry.h"
#include "src/engine/dispatcher.h"
#include "src/parse/event_reader.h"
#include "tests/support/test_util.h"

namespace kaudit::testing {
namespace {

class Forward final : public EventHandler {
 public:
  Forward(Dispatcher& d, std::vector<Alert>& out) : d_(d), out_(out) {}
  void OnEvent(AuditEvent& e) override { d_.Dispatch(e, out_); }
  void OnInvalid(InvalidReason, const Location&, std::string_view, std::string_view) override {}

 private:
  Dispatcher& d_;
  std::vector<Alert>& out_;
};

}  // namespace

DetectorRun RunDetector(std::string_view id, std::string_view data,
                        std::map<std::string, std::string> params) {
  std::map<std::string, DetectorParams, std::less<>> all;
  for (const auto& entry : DetectorTable()) {
    DetectorParams p("detectors." + std::string(entry.id));
    p.Set("enabled", entry.id == id ? "true" : "false");  // also detectors off by default
    all.emplace(std::string(entry.id), std::move(p));
  }
  for (const auto& [k, v] : params) {
    // "[a,b]" is a list (comma-separated, no escaping), anything else a scalar.
    if (v.size() >= 2 && v.front() == '[' && v.back() == ']') {
      std::vector<std::string> list;
      std::string_view body = std::string_view(v).substr(1, v.size() - 2);
      while (!body.empty()) {
        size_t comma = body.find(',');
        list.emplace_back(body.substr(0, comma));
        body = comma == std::string_view::npos ? "" : body.substr(comma + 1);
      }
      all.at(std::string(id)).SetList(k, std::move(list));
    } else {
      all.at(std::string(id)).Set(k, v);
    }
  }
  auto slots = BuildDetectors(std::move(all));
  if (!slots.ok() || slots->size() != 1) {
    throw std::runtime_error("cannot build detector " + std::string(id) + ": " +
                             std::string(slots.status().message()));
  }
  Dispatcher d(std::move(*slots));
  DetectorRun run;
  Forward h(d, run.alerts);
  EventReader reader;
  reader.ParseBuffer(data, "test", h);
  d.Finish(run.alerts);
  run.events = d.counters(0).events;
  run.allowed = d.counters(0).allowed;
  run.not_judged = d.detector(0).events_not_judged();
  run.state_evictions = d.detector(0).state_evictions();
  return run;
}

std::string FieldOf(const Alert& a, const std::string& key) {
  for (const auto& [k, v] : a.fields) {
    if (k == key) return v;
  }
  return "<none>";
}

std::string Fields(const Alert& a) {
  std::string out;
  for (const auto& [k, v] : a.fields) out += k + "=" + v + ";";
  return out;
}

DetectorRun RunDetectorOnFile(std::string_view id, const std::string& path,
                              std::map<std::string, std::string> params) {
  return RunDetector(id, ReadFile(path), std::move(params));
}

}  // namespace kaudit::testing
