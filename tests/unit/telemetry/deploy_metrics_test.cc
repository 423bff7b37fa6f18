// The monitoring files in deploy/prometheus use only metrics kaudit exports, and parse.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <regex>
#include <set>

#include "src/telemetry/metrics.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

std::set<std::string> ExportedNames() {
  RunSummary s;
  s.last_event_time = absl::FromUnixSeconds(1767225600);
  DetectorSummary d;
  d.id = "pod_exec_attach";
  s.detectors.push_back(d);
  SinkStats k;
  k.name = "output";
  s.sinks.push_back(k);
  std::string text = RenderMetrics(s, {"0.1.0", "simdjson", "serve"}, false);
  std::set<std::string> names;
  std::regex name_re("^(kaudit_[a-z_]+)");
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, name_re)) names.insert(m[1]);
  }
  return names;
}

std::set<std::string> Referenced(const std::string& text) {
  std::set<std::string> out;
  std::regex re("kaudit_[a-z_]+");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
       ++it) {
    out.insert(it->str());
  }
  return out;
}

TEST(DeployMetricsTest, RulesAndDashboardUseOnlyExportedMetrics) {
  auto exported = ExportedNames();
  ASSERT_GT(exported.size(), 15u);
  for (const char* f :
       {"deploy/prometheus/kaudit-rules.yaml", "deploy/prometheus/grafana-dashboard.json"}) {
    std::string text = testing::ReadFile(testing::SourcePath(f));
    auto used = Referenced(text);
    EXPECT_GT(used.size(), 3u) << f;
    for (const auto& name : used) {
      EXPECT_TRUE(exported.count(name))
          << f << " uses " << name << ", which kaudit does not export";
    }
  }
}

TEST(DeployMetricsTest, RulesAndDashboardParse) {
  YAML::Node rules = YAML::LoadFile(testing::SourcePath("deploy/prometheus/kaudit-rules.yaml"));
  ASSERT_TRUE(rules["groups"].IsSequence());
  int n = 0;
  for (const auto& g : rules["groups"]) {
    for (const auto& r : g["rules"]) {
      EXPECT_TRUE(r["alert"].IsScalar());
      EXPECT_TRUE(r["expr"].IsScalar());
      EXPECT_TRUE(r["annotations"]["summary"].IsScalar());
      ++n;
    }
  }
  EXPECT_GE(n, 6);
  // JSON is YAML: the dashboard must at least be well-formed with panels and targets.
  YAML::Node dash = YAML::LoadFile(testing::SourcePath("deploy/prometheus/grafana-dashboard.json"));
  ASSERT_TRUE(dash["panels"].IsSequence());
  for (const auto& p : dash["panels"]) EXPECT_TRUE(p["targets"][0]["expr"].IsScalar());
}

}  // namespace
}  // namespace kaudit
