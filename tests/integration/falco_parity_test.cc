// Peer parity: every file of Falco's k8s-audit test corpus runs through the real kaudit
// binary. For each Falco rule mapped to a kaudit detector in detectors/README.md, the
// detector fires on every file where Falco's default rule fires; on files where Falco expects
// no alert, kaudit raises nothing of medium or higher severity. kaudit runs with
// tests/data/falco/parity.yaml, which enables the detectors that are off by default but map to
// Falco rules (resource_activity). Mapped rules that fire on no corpus file (Falco ships them
// disabled or needing a configured list) are checked by their detector's own cases instead.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "detectors/registry.h"
#include "tests/support/process.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using testing::ReadFile;
using testing::RunKaudit;
using testing::SourcePath;

// Falco rule -> kaudit detector, from the "Falco parity" table of detectors/README.md.
std::map<std::string, std::string> ParityMapping() {
  std::string readme = ReadFile(SourcePath("detectors/README.md"));
  size_t start = readme.find("## Falco parity");
  // The mapping table ends where the exceptions table (or the next section) begins.
  size_t end = std::min(readme.find("\n### ", start + 1), readme.find("\n## ", start + 1));
  std::map<std::string, std::string> out;
  std::set<std::string> ids;
  for (const auto& e : DetectorTable()) ids.insert(std::string(e.id));
  for (absl::string_view line : absl::StrSplit(readme.substr(start, end - start), '\n')) {
    if (!absl::ConsumePrefix(&line, "| ")) continue;
    std::vector<std::string> cols = absl::StrSplit(line, " | ");
    if (cols.size() < 2) continue;
    std::string det(absl::StripSuffix(absl::StripTrailingAsciiWhitespace(cols[1]), " |"));
    if (ids.count(det)) out[cols[0]] = det;
  }
  return out;
}

// (file, detector) pairs documented in the "Parity exceptions" table of detectors/README.md.
std::set<std::pair<std::string, std::string>> ParityExceptions() {
  std::string readme = ReadFile(SourcePath("detectors/README.md"));
  size_t start = readme.find("### Parity exceptions");
  size_t end = readme.find("\n## ", start + 1);
  std::set<std::pair<std::string, std::string>> out;
  if (start == std::string::npos) return out;
  for (absl::string_view line : absl::StrSplit(readme.substr(start, end - start), '\n')) {
    if (!absl::ConsumePrefix(&line, "| ")) continue;
    std::vector<std::string> cols = absl::StrSplit(line, " | ");
    if (cols.size() < 3 || cols[0] == "file" || cols[0].rfind("---", 0) == 0) continue;
    out.emplace(cols[0], cols[1]);
  }
  return out;
}

struct FalcoCase {
  std::string file;
  std::vector<std::string> rules;  // empty = Falco expects no alert
};

std::vector<FalcoCase> Cases() {
  std::vector<FalcoCase> out;
  std::string manifest = ReadFile(SourcePath("tests/data/falco/MANIFEST.tsv"));
  bool header = true;
  for (absl::string_view line : absl::StrSplit(manifest, '\n', absl::SkipEmpty())) {
    if (header) {
      header = false;
      continue;
    }
    std::vector<std::string> cols = absl::StrSplit(line, '\t');
    if (cols.size() < 5) continue;
    FalcoCase c{cols[0], {}};
    if (cols[4] != "NONE") {
      for (absl::string_view r : absl::StrSplit(cols[4], ';')) {
        c.rules.emplace_back(r.substr(0, r.rfind('=')));
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

TEST(FalcoParityTest, MappedDetectorsFireWhereFalcoFiresAndStayQuietWhereItExpectsNone) {
  auto mapping = ParityMapping();
  auto exceptions = ParityExceptions();
  ASSERT_GE(mapping.size(), 3u) << "detectors/README.md parity table not found";
  auto cases = Cases();
  ASSERT_EQ(cases.size(), 82u);
  int checked_fire = 0, checked_quiet = 0;
  std::set<std::string> rules_exercised, rules_in_corpus;
  for (const auto& c : cases) rules_in_corpus.insert(c.rules.begin(), c.rules.end());
  for (const auto& c : cases) {
    auto r =
        RunKaudit({"replay", "-c", SourcePath("tests/data/falco/parity.yaml"), "--format", "json",
                   "--no-progress", "--quiet", SourcePath("tests/data/falco/" + c.file)});
    ASSERT_EQ(r.exit_code, 0) << c.file << ": " << r.err;
    std::set<std::string> fired;
    bool medium_or_higher = false;
    for (absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
      size_t p = line.find("\"detector\":\"");
      ASSERT_NE(p, absl::string_view::npos);
      absl::string_view rest = line.substr(p + 12);
      fired.insert(std::string(rest.substr(0, rest.find('"'))));
      for (const char* sev :
           {"\"severity\":\"medium\"", "\"severity\":\"high\"", "\"severity\":\"critical\""}) {
        if (line.find(sev) != absl::string_view::npos) medium_or_higher = true;
      }
    }
    if (c.rules.empty()) {
      EXPECT_FALSE(medium_or_higher)
          << c.file << ": Falco expects no alert, kaudit raised " << r.out;
      ++checked_quiet;
    }
    std::set<std::string> expected;
    for (const auto& rule : c.rules) {
      auto it = mapping.find(rule);
      if (it == mapping.end()) continue;
      expected.insert(it->second);
      rules_exercised.insert(rule);
      EXPECT_TRUE(fired.count(it->second))
          << c.file << ": Falco's '" << rule << "' fires, kaudit's " << it->second << " did not";
      ++checked_fire;
    }
    // Nothing unrelated: a mapped detector fires only where its Falco rule does.
    for (const auto& d : fired) {
      bool mapped = false;
      for (const auto& [rule, det] : mapping) mapped |= det == d;
      if (mapped && !exceptions.count({c.file, d})) {
        EXPECT_TRUE(expected.count(d))
            << c.file << ": " << d
            << " fired but Falco's rule did not (and detectors/README.md "
               "lists no parity exception)";
      }
    }
  }
  // Falco rules that fire on no file of the corpus (disabled by default, or no such event was
  // recorded); their detectors are covered by tests/data/detectors/<id> cases.
  const std::set<std::string> not_in_corpus = {
      "Full K8s Administrative Access",
      "Untrusted Node Successfully Joined the Cluster",
      "Untrusted Node Unsuccessfully Tried to Join the Cluster",
      "Ingress Object without TLS Certificate Created",
      "K8s Secret Get Successfully",
      "K8s Secret Get Unsuccessfully Tried",
      "EphemeralContainers Created",
      "Create Disallowed Pod",  // needs its allowed list (Falco's tests set one; so do kaudit's)
  };
  for (const auto& [rule, det] : mapping) {
    EXPECT_TRUE(rules_exercised.count(rule) || not_in_corpus.count(rule))
        << "mapped rule '" << rule << "' has no file in the corpus";
    EXPECT_FALSE(rules_in_corpus.count(rule) && not_in_corpus.count(rule)) << rule;
  }
  EXPECT_GE(checked_fire, 7);
  EXPECT_EQ(checked_quiet, 33);
}

}  // namespace
}  // namespace kaudit
