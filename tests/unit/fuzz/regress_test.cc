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

// FuzzFraming traps when its one-thread and two-thread reads differ; this says how, over the
// framing crash inputs and real files (cut into pieces and joined, as the fuzzer would).
TEST(FuzzRegressTest, FramingReadsWithOneAndTwoThreadsAgree) {
  std::vector<std::string> inputs;
  for (const char* d : {"tests/data/regress/framing", "tests/data/falco"}) {
    for (const auto& entry : fs::directory_iterator(SourcePath(d))) {
      if (entry.is_regular_file()) inputs.push_back(ReadFile(entry.path().string()));
    }
  }
  const std::string scenario = ReadFile(SourcePath("tests/data/scenario/attack.jsonl"));
  inputs.push_back(scenario);
  for (size_t cut = 97; cut < scenario.size(); cut += 4099) {
    // A line cut short and the rest joined on.
    inputs.push_back(scenario.substr(0, cut) + scenario.substr(cut + 37));
  }
  ASSERT_GT(inputs.size(), 200u);
  for (const std::string& in : inputs) {
    EXPECT_EQ(fuzz::FramingDifference(reinterpret_cast<const uint8_t*>(in.data()), in.size()), "");
  }
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
