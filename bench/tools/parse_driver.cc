// Profiling driver: runs the bare simdjson pass ("bare") or kaudit's EventReader ("reader") once
// over an 8 MB corpus, for callgrind / perf (deterministic instruction counts).
#include <cstdio>
#include <string>

#include "bench/baselines/bare_simdjson.h"
#include "bench/baselines/corpus.h"
#include "src/parse/byte_source.h"
#include "src/parse/event_reader.h"
using namespace kaudit;
class H final : public EventHandler {
 public:
  void OnEvent(AuditEvent& e) override { n += e.audit_id.size(); }
  void OnInvalid(InvalidReason, const Location&, std::string_view, std::string_view) override {}
  uint64_t n = 0;
};
int main(int argc, char** argv) {
  std::string c = bench::BuildCorpus(KAUDIT_SOURCE_DIR, 8 << 20);
  uint64_t sum = 0;
  if (argv[1][0] == 'b') {
    printf("%llu\n", (unsigned long long)bench::BareSimdjsonPassPerLine(c, &sum));
  } else {
    EventReader r;
    H h;
    auto s = BorrowedByteSource("c", c);
    (void)r.Read(*s, h);
    printf("%llu\n", (unsigned long long)r.stats().events);
  }
}
