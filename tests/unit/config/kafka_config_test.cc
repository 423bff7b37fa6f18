// The kafka: section and the kafka sink type: typed, strict, errors name the key.
#include <gtest/gtest.h>

#include "src/config/config.h"

namespace kaudit {
namespace {

std::string Err(std::string_view yaml) {
  auto c = LoadConfigString(yaml, "test.yaml");
  return c.ok() ? "" : std::string(c.status().message());
}

TEST(KafkaConfigTest, ReadsTheConsumerSection) {
  auto c = LoadConfigString(R"(
kafka:
  brokers: "a:9092, b:9093"
  topics: [audit, audit-2]
  group_id: core
  properties: {security.protocol: SASL_SSL, sasl.username: kaudit}
  revoke_timeout: 15s
)",
                            "test.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->kafka.brokers, (std::vector<std::string>{"a:9092", "b:9093"}));
  EXPECT_EQ(c->kafka.topics, (std::vector<std::string>{"audit", "audit-2"}));
  EXPECT_EQ(c->kafka.group_id, "core");
  EXPECT_EQ(c->kafka.properties.at("security.protocol"), "SASL_SSL");
  EXPECT_EQ(c->kafka.revoke_timeout, absl::Seconds(15));
}

TEST(KafkaConfigTest, DefaultsAndStrictness) {
  auto c = LoadConfigString("cluster_name: x\n", "test.yaml");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kafka.group_id, "kaudit");
  EXPECT_TRUE(c->kafka.brokers.empty());
  EXPECT_EQ(Err("kafka: {group: x}\n"), "test.yaml: kafka.group: unknown key");
  EXPECT_EQ(Err("kafka: {brokers: [nohost]}\n"),
            "test.yaml: kafka.brokers[0]: expected host:port, got nohost");
  EXPECT_EQ(Err("kafka: {properties: [a]}\n"),
            "test.yaml: kafka.properties: expected a mapping of names to values");
  EXPECT_EQ(Err("kafka: {group_id: \"\"}\n"), "test.yaml: kafka.group_id: must not be empty");
}

TEST(KafkaConfigTest, ServeForwarding) {
  auto c = LoadConfigString(R"(
kafka:
  brokers: [k:9092]
  forward_to: k8s-audit
  forward_only: true
)",
                            "test.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->kafka.forward_to, "k8s-audit");
  EXPECT_TRUE(c->kafka.forward_only);
  auto d = LoadConfigString("cluster_name: x\n", "test.yaml");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->kafka.forward_to, "");
  EXPECT_FALSE(d->kafka.forward_only);
  EXPECT_EQ(Err("kafka: {forward_only: true}\n"),
            "test.yaml: kafka.forward_only: needs kafka.forward_to");
}

TEST(KafkaConfigTest, KafkaSinkNeedsBrokersAndTopic) {
  auto c = LoadConfigString(R"(
sinks:
  - {type: kafka, brokers: [k:9092], topic: alerts, format: falco, properties: {linger.ms: "5"}}
)",
                            "test.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->sinks.size(), 1u);
  EXPECT_EQ(c->sinks[0].type, "kafka");
  EXPECT_EQ(c->sinks[0].topic, "alerts");
  EXPECT_EQ(c->sinks[0].brokers, (std::vector<std::string>{"k:9092"}));
  EXPECT_EQ(c->sinks[0].properties.at("linger.ms"), "5");
  EXPECT_EQ(Err("sinks: [{type: kafka, topic: a}]\n"),
            "test.yaml: sinks[0].brokers: required for a kafka sink");
  EXPECT_EQ(Err("sinks: [{type: kafka, brokers: [k:1]}]\n"),
            "test.yaml: sinks[0].topic: required for a kafka sink");
  EXPECT_EQ(Err("sinks: [{type: kafka, brokers: [k:1], topic: a, partition: 3}]\n"),
            "test.yaml: sinks[0].partition: unknown key");
}

}  // namespace
}  // namespace kaudit
