// Runs one parse pass for profiling and the pipeline benchmark:
//   parse_driver bare|reader            over an 8 MB corpus built from tests/data (callgrind)
//   parse_driver MODE FILE              over FILE, printing events and seconds
// Modes: "bare" is the bare simdjson On-Demand pass (bench/baselines) streaming FILE through a
// reused 256 KB buffer with read(); "bare-load" the same pass after padded_string::load of the
// whole file; "reader" kaudit's EventReader reading FILE as kaudit replay does.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
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
  if (argc < 2) {
    std::fprintf(stderr, "usage: parse_driver bare|bare-load|reader [FILE]\n");
    return 2;
  }
  const std::string mode = argv[1];
  if (mode != "bare" && mode != "bare-load" && mode != "reader") {
    std::fprintf(stderr, "unknown mode %s\n", argv[1]);
    return 2;
  }
  std::string owned;
  if (argc < 3) owned = bench::BuildCorpus(KAUDIT_SOURCE_DIR, 8 << 20);
  auto t0 = std::chrono::steady_clock::now();
  uint64_t events = 0, sum = 0;
  if (argc < 3) {
    if (mode == "reader") {
      EventReader r;
      H h;
      auto s = BorrowedByteSource("input", owned);
      (void)r.Read(*s, h);
      events = r.stats().events;
    } else {
      events = bench::BareSimdjsonPass(owned, &sum);
    }
  } else if (mode == "bare") {
    int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::perror(argv[2]);
      return 1;
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    events = bench::BareSimdjsonPassFd(fd, &sum);
    close(fd);
  } else if (mode == "bare-load") {
    events = bench::BareSimdjsonPassLoad(argv[2], &sum);
  } else {
    auto src = OpenByteSource(argv[2]);
    if (!src.ok()) {
      std::fprintf(stderr, "%s\n", std::string(src.status().message()).c_str());
      return 1;
    }
    ReaderOptions ro;
    ro.stage1_thread = false;  // one thread, as the bare pass and replay --threads 1
    EventReader r(ro);
    H h;
    (void)r.Read(**src, h);
    events = r.stats().events;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%llu %.6f\n", static_cast<unsigned long long>(events), secs);
  return 0;
}
