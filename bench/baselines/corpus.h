#pragma once

#include <cstddef>
#include <string>

namespace kaudit::bench {

// A JSON-lines corpus of about `target_bytes` built from the real events bundled in
// tests/data (audit2rbac's cluster log, rbac-tool's pod creates at three levels, Falco's
// scenario events): repeated with fresh auditIDs and advancing timestamps. The mix is
// metadata-heavy like real traffic, with ~10% RequestResponse pod specs. A seeded, calibrated
// generator of large corpora is bench/gen's job (see the benchmark issue); this one is for
// micro-benchmarks.
std::string BuildCorpus(const std::string& source_dir, size_t target_bytes);

}  // namespace kaudit::bench
