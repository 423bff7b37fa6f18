#pragma once

// Helpers shared by the workload-security detector tests.
#include <string>

#include "src/engine/alert.h"
#include "tests/support/test_util.h"

namespace kaudit::testing {

inline std::string Case(const std::string& id, const std::string& kind, const std::string& f) {
  return SourcePath("tests/data/detectors/" + id + "/" + kind + "/" + f);
}

inline std::string Corpus(const std::string& f) { return SourcePath("tests/data/falco/" + f); }

}  // namespace kaudit::testing
