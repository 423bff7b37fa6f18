// Table-driven fires/quiet cases for every detector: tests/data/detectors/<id>/fires/* must
// each raise at least one alert from <id>; tests/data/detectors/<id>/quiet/* must raise none.
// An optional tests/data/detectors/<id>/params file (lines `key=value`, lists as `[a,b]`) sets
// tunables for both, for detectors whose defaults keep them quiet (empty address lists).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <ostream>
#include <set>
#include <sstream>

#include "detectors/registry.h"
#include "tests/support/detector_harness.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

namespace fs = std::filesystem;

struct Case {
  std::string detector, kind, path;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.detector << " " << c.kind << " " << c.path;
}

std::vector<Case> AllCases() {
  std::vector<Case> out;
  fs::path root = testing::SourcePath("tests/data/detectors");
  for (const auto& entry : DetectorTable()) {
    for (std::string kind : {"fires", "quiet"}) {
      fs::path dir = root / std::string(entry.id) / kind;
      if (!fs::is_directory(dir)) continue;
      std::vector<std::string> files;
      for (const auto& f : fs::directory_iterator(dir)) files.push_back(f.path().string());
      std::sort(files.begin(), files.end());
      for (const auto& f : files) out.push_back({std::string(entry.id), kind, f});
    }
  }
  return out;
}

class DetectorCaseTest : public ::testing::TestWithParam<Case> {};

std::map<std::string, std::string> CaseParams(const std::string& detector) {
  std::map<std::string, std::string> params;
  fs::path file = fs::path(testing::SourcePath("tests/data/detectors")) / detector / "params";
  if (!fs::exists(file)) return params;
  std::istringstream in(testing::ReadFile(file.string()));
  std::string line;
  while (std::getline(in, line)) {
    size_t eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    params[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return params;
}

TEST_P(DetectorCaseTest, FiresOrStaysQuiet) {
  const Case& c = GetParam();
  auto run = testing::RunDetectorOnFile(c.detector, c.path, CaseParams(c.detector));
  if (c.kind == "fires") {
    EXPECT_FALSE(run.alerts.empty()) << c.detector << " did not fire on " << c.path;
  } else {
    EXPECT_TRUE(run.alerts.empty()) << c.detector << " fired on " << c.path << ": "
                                    << (run.alerts.empty() ? "" : run.alerts[0].message);
  }
  for (const auto& a : run.alerts) {
    EXPECT_EQ(a.detector_id, c.detector);
    EXPECT_FALSE(a.message.empty());
    EXPECT_FALSE(a.mitre.empty());
    EXPECT_FALSE(a.audit_ids.empty());
  }
}

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  std::string name =
      info.param.detector + "_" + info.param.kind + "_" + fs::path(info.param.path).stem().string();
  for (char& ch : name) {
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(AllDetectors, DetectorCaseTest, ::testing::ValuesIn(AllCases()), CaseName);

TEST(DetectorTableTest, EveryDetectorHasFiresAndQuietCasesAndValidInfo) {
  fs::path root = testing::SourcePath("tests/data/detectors");
  std::set<std::string> ids;
  for (const auto& entry : DetectorTable()) {
    EXPECT_TRUE(ids.insert(std::string(entry.id)).second) << "duplicate id " << entry.id;
    for (std::string kind : {"fires", "quiet"}) {
      fs::path dir = root / std::string(entry.id) / kind;
      EXPECT_TRUE(fs::is_directory(dir) && !fs::is_empty(dir)) << dir << " has no cases";
    }
    auto d = NewDetectorWithDefaults(entry.id);
    ASSERT_TRUE(d.ok()) << d.status();
    const DetectorInfo& info = (*d)->info();
    EXPECT_EQ(info.id, entry.id);
    EXPECT_FALSE(info.title.empty());
    EXPECT_FALSE(info.description.empty());
    EXPECT_FALSE(info.mitre.empty());
    EXPECT_FALSE(info.catalog_ids.empty());
    // Configured as its cases are (a detector with nothing to match against may ask for no
    // events at all), it is shown the events of its first fires case.
    fs::path fires = root / std::string(entry.id) / "fires";
    if (!fs::is_directory(fires)) continue;
    std::vector<std::string> files;
    for (const auto& f : fs::directory_iterator(fires)) files.push_back(f.path().string());
    std::sort(files.begin(), files.end());
    ASSERT_FALSE(files.empty());
    EXPECT_GT(
        testing::RunDetectorOnFile(entry.id, files[0], CaseParams(std::string(entry.id))).events,
        0u)
        << entry.id << " would never see an event";
  }
}

}  // namespace
}  // namespace kaudit
