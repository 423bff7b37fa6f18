#include "src/config/config.h"

#include <gtest/gtest.h>

#include "detectors/registry.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

std::string Err(std::string_view yaml) {
  auto c = LoadConfigString(yaml, "test.yaml");
  if (!c.ok()) return std::string(c.status().message());
  auto slots = BuildDetectors(c->detectors);
  if (!slots.ok()) return std::string(slots.status().message());
  return "";
}

TEST(ConfigTest, TheShippedConfigIsValidAndDocumentsEverySection) {
  auto c = LoadConfigFile(testing::SourcePath("configs/kaudit.yaml"));
  ASSERT_TRUE(c.ok()) << c.status();
  auto slots = BuildDetectors(c->detectors);
  ASSERT_TRUE(slots.ok()) << slots.status();
  size_t on_by_default = 0;
  for (const auto& e : DetectorTable()) on_by_default += e.enabled_by_default;
  EXPECT_EQ(slots->size(), on_by_default);           // the shipped config keeps the defaults
  EXPECT_LT(on_by_default, DetectorTable().size());  // resource_activity, full_admin_access
}

TEST(ConfigTest, ReadsTypedValues) {
  auto c = LoadConfigString(R"(
cluster_name: prod-eu
input:
  max_event_bytes: 2MiB
  dead_letter_file: /tmp/dl.jsonl
engine:
  allowed_lateness: 30s
output:
  format: json
  min_severity: high
detectors:
  secret_enumeration:
    threshold: 5
    window: 2m
    allow:
      users: ["system:serviceaccount:vault:.*"]
  pod_exec_attach:
    enabled: false
)",
                            "t");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->cluster_name, "prod-eu");
  EXPECT_EQ(c->input.max_event_bytes, 2u << 20);
  EXPECT_EQ(c->engine.allowed_lateness, absl::Seconds(30));
  EXPECT_EQ(c->output.min_severity, Severity::kHigh);
  auto slots = BuildDetectors(c->detectors);
  ASSERT_TRUE(slots.ok()) << slots.status();
  size_t on_by_default = 0;
  for (const auto& e : DetectorTable()) on_by_default += e.enabled_by_default;
  EXPECT_EQ(slots->size(), on_by_default - 1);  // pod_exec_attach disabled
}

TEST(ConfigTest, ErrorsNameTheKeyPath) {
  EXPECT_EQ(Err("inptu: {}"), "test.yaml: inptu: unknown key");
  EXPECT_EQ(Err("input: {max_event_bytes: lots}"),
            "test.yaml: input.max_event_bytes: invalid size 'lots' (use e.g. 1048576, 64KiB, "
            "16MiB, 1GiB)");
  EXPECT_EQ(Err("output: {format: xml}"),
            "test.yaml: output.format: expected auto, json, text, falco, ecs or hec, got xml");
  EXPECT_EQ(Err("detectors: {no_such_detector: {}}"),
            "detectors.no_such_detector: unknown detector (`kaudit detectors` lists them)");
  EXPECT_EQ(Err("detectors: {secret_enumeration: {thresold: 3}}"),
            "detectors.secret_enumeration.thresold: unknown key");
  EXPECT_EQ(Err("detectors: {secret_enumeration: {threshold: many}}"),
            "detectors.secret_enumeration.threshold: expected an integer in [2, 100000]");
  EXPECT_EQ(Err("detectors: {pod_exec_attach: {severity: urgent}}"),
            "detectors.pod_exec_attach.severity: expected one of info, low, medium, high, "
            "critical; got 'urgent'");
  EXPECT_EQ(Err("detectors: {pod_exec_attach: {aggregate: soon}}"),
            "detectors.pod_exec_attach.aggregate: expected a duration between 0 and 24h");
  EXPECT_EQ(Err("engine: {aggregate_max_keys: 0}"),
            "test.yaml: engine.aggregate_max_keys: expected a size between 1 and 16777216 bytes, "
            "got 0");
  EXPECT_EQ(Err("detectors: {pod_exec_attach: {allow: {users: ['(']}}}"),
            "detectors.pod_exec_attach.allow.users[0]: invalid RE2 pattern '(': missing ): (");
  EXPECT_NE(Err("input: [1, 2"), "");  // YAML syntax error, with line:column
  EXPECT_EQ(Err("engine: 5"), "test.yaml: engine: expected a mapping");
}

TEST(ConfigTest, MissingFileNamesThePath) {
  auto c = LoadConfigFile("/nonexistent/kaudit.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(std::string(c.status().message()), "/nonexistent/kaudit.yaml: cannot open config file");
}

}  // namespace
}  // namespace kaudit
