// Micro-benchmarks of the hot path on a ~64 MB JSON-lines corpus built from real events.
// Compare each figure with BM_BareSimdjsonPass from the same run: that pass is the ceiling.
#include <benchmark/benchmark.h>

#include <memory>

#include "bench/baselines/bare_simdjson.h"
#include "bench/baselines/corpus.h"
#include "detectors/registry.h"
#include "src/engine/dispatcher.h"
#include "src/parse/byte_source.h"
#include "src/parse/event_reader.h"
#include "src/parse/pod_spec_parser.h"

namespace kaudit {
namespace {

const std::string& Corpus() {
  static const std::string* corpus =
      new std::string(bench::BuildCorpus(KAUDIT_SOURCE_DIR, 64 << 20));
  return *corpus;
}

class CountingHandler final : public EventHandler {
 public:
  void OnEvent(AuditEvent& e) override { sum += e.audit_id.size() + e.username.size(); }
  void OnInvalid(InvalidReason, const Location&, std::string_view, std::string_view) override {
    ++invalid;
  }
  uint64_t sum = 0, invalid = 0;
};

class DispatchHandler final : public EventHandler {
 public:
  explicit DispatchHandler(Dispatcher& d) : d_(d) {}
  void OnEvent(AuditEvent& e) override {
    d_.Dispatch(e, alerts_);
    alerts += alerts_.size();
    alerts_.clear();
  }
  void OnInvalid(InvalidReason, const Location&, std::string_view, std::string_view) override {}
  uint64_t alerts = 0;

 private:
  Dispatcher& d_;
  std::vector<Alert> alerts_;
};

void Report(benchmark::State& state, uint64_t events) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * Corpus().size()));
  state.SetItemsProcessed(static_cast<int64_t>(events));
}

void BM_BareSimdjsonPass(benchmark::State& state) {
  uint64_t events = 0, checksum = 0;
  for (auto _ : state) events += bench::BareSimdjsonPass(Corpus(), &checksum);
  benchmark::DoNotOptimize(checksum);
  Report(state, events);
}
BENCHMARK(BM_BareSimdjsonPass)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_BareSimdjsonPassPerLine(benchmark::State& state) {
  uint64_t events = 0, checksum = 0;
  for (auto _ : state) events += bench::BareSimdjsonPassPerLine(Corpus(), &checksum);
  benchmark::DoNotOptimize(checksum);
  Report(state, events);
}
BENCHMARK(BM_BareSimdjsonPassPerLine)->Unit(benchmark::kMillisecond)->UseRealTime();

// Framing and full event extraction (every field of the event view), no detectors.
void BM_EventReader(benchmark::State& state) {
  EventReader reader;
  CountingHandler h;
  for (auto _ : state) {
    auto src = BorrowedByteSource("corpus", Corpus());
    if (!reader.Read(*src, h).ok()) state.SkipWithError("read failed");
  }
  benchmark::DoNotOptimize(h.sum);
  if (h.invalid) state.SkipWithError("invalid events in corpus");
  Report(state, reader.stats().events);
}
BENCHMARK(BM_EventReader)->Unit(benchmark::kMillisecond)->UseRealTime();

// What `kaudit replay` does per event: parse, dedup, dispatch to every detector.
void BM_ReplayAllDetectors(benchmark::State& state) {
  EventReader reader;
  uint64_t alerts = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto slots = BuildDetectors({});
    if (!slots.ok()) state.SkipWithError("detectors");
    auto d = std::make_unique<Dispatcher>(std::move(*slots));
    DispatchHandler h(*d);
    state.ResumeTiming();
    auto src = BorrowedByteSource("corpus", Corpus());
    if (!reader.Read(*src, h).ok()) state.SkipWithError("read failed");
    alerts += h.alerts;
  }
  state.counters["alerts"] = static_cast<double>(alerts);
  Report(state, reader.stats().events);
}
BENCHMARK(BM_ReplayAllDetectors)->Unit(benchmark::kMillisecond)->UseRealTime();

// Lazy pod-spec parse of a real RequestResponse pod create (the privileged-pod detector's cost).
void BM_PodSpecParse(benchmark::State& state) {
  std::string pod =
      R"({"kind":"Pod","apiVersion":"v1","metadata":{"generateName":"nginx-","labels":{"app":"nginx"}},"spec":{"volumes":[{"name":"tok","secret":{"secretName":"tok"}},{"name":"etc","hostPath":{"path":"/etc"}}],"containers":[{"name":"nginx","image":"nginx:1.25","ports":[{"containerPort":80,"hostPort":8080}],"resources":{"limits":{"cpu":"1"}},"securityContext":{"privileged":true,"capabilities":{"add":["NET_ADMIN"],"drop":["ALL"]}}},{"name":"sidecar","image":"envoy:1.29","securityContext":{"runAsUser":0}}],"initContainers":[{"name":"init","image":"busybox"}],"restartPolicy":"Always","hostNetwork":true,"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}}}})";
  PodSpecParser p;
  size_t containers = 0;
  for (auto _ : state) {
    const PodSpecView* spec = p.ParseCopy(pod);
    containers += spec ? spec->containers.size() : 0;
  }
  benchmark::DoNotOptimize(containers);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * pod.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_PodSpecParse);

}  // namespace
}  // namespace kaudit

BENCHMARK_MAIN();
