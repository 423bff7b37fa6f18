// Runs one parse pass for profiling and the pipeline benchmark:
//   parse_driver bare|reader            over an 8 MB corpus built from tests/data (callgrind)
//   parse_driver bare|reader FILE       over FILE (mmap), printing events and seconds
// "bare" is the bare simdjson On-Demand pass (bench/baselines), "reader" kaudit's EventReader.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
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
    std::fprintf(stderr, "usage: parse_driver bare|reader [FILE]\n");
    return 2;
  }
  const bool bare = std::strcmp(argv[1], "bare") == 0;
  std::string owned;
  std::string_view data;
  if (argc >= 3) {
    int fd = open(argv[2], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
      std::perror(argv[2]);
      return 1;
    }
    void* p = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      std::perror("mmap");
      return 1;
    }
    madvise(p, static_cast<size_t>(st.st_size), MADV_SEQUENTIAL);
    data = std::string_view(static_cast<const char*>(p), static_cast<size_t>(st.st_size));
  } else {
    owned = bench::BuildCorpus(KAUDIT_SOURCE_DIR, 8 << 20);
    data = owned;
  }
  auto t0 = std::chrono::steady_clock::now();
  uint64_t events = 0, sum = 0;
  if (bare) {
    events = bench::BareSimdjsonPass(data, &sum);
  } else {
    EventReader r;
    H h;
    auto s = BorrowedByteSource("input", data);
    (void)r.Read(*s, h);
    events = r.stats().events;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%llu %.6f\n", static_cast<unsigned long long>(events), secs);
  return 0;
}
