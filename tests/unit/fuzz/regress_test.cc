// Replays every input the fuzzers ever crashed on (tests/data/regress/<target>/*) through the
// same entry points as the libFuzzer targets (tests/fuzz/fuzz_entries.h), plus a few hostile
// inputs written by hand. Under the ASan+UBSan build (make sanitize) this is the fuzzers'
// regression suite; in the plain build it still catches crashes and hangs.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_entries.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::SourcePath;

constexpr const char* kTargets[] = {"framing",      "detectors", "pod_spec", "config",
                                    "exec_command", "webhook",   "csr"};

void Feed(fuzz::FuzzEntry entry, const std::string& bytes) {
  entry(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

TEST(FuzzRegressTest, EveryTargetHasAnEntryPoint) {
  for (const char* t : kTargets) EXPECT_NE(fuzz::FuzzEntryByName(t), nullptr) << t;
  EXPECT_EQ(fuzz::FuzzEntryByName("nope"), nullptr);
}

TEST(FuzzRegressTest, CrashInputsStayFixed) {
  fs::path root = SourcePath("tests/data/regress");
  int inputs = 0;
  for (const char* t : kTargets) {
    fs::path dir = root / t;
    if (!fs::is_directory(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (!entry.is_regular_file() || entry.path().filename() == "README.md") continue;
      SCOPED_TRACE(entry.path().string());
      Feed(fuzz::FuzzEntryByName(t), ReadFile(entry.path().string()));
      ++inputs;
    }
  }
  RecordProperty("inputs", inputs);
}

TEST(FuzzRegressTest, HandWrittenHostileInputs) {
  std::vector<std::string> inputs = {
      "",
      "{",
      "[",
      "\"",
      std::string(1, '\0'),
      std::string(100000, '['),
      std::string(100000, '{'),
      "{\"kind\":\"EventList\",\"items\":[" + std::string(5000, '[') + "]}",
      "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"auditID\":1,\"stage\":2}",
      "a: [" + std::string(20000, '[') + "\n",
      "%%%%%",
      "/api/v1/namespaces/x/pods/p/exec?command=%&command=%4&command=%zz&container=%E2%82",
  };
  for (const char* t : kTargets) {
    for (const std::string& in : inputs) Feed(fuzz::FuzzEntryByName(t), in);
  }
}

}  // namespace
}  // namespace kaudit
