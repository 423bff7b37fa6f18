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
  EXPECT_EQ(Err("detectors: {pod_exec_attach: {allow: {images: [nginx]}}}"),
            "detectors.pod_exec_attach.allow.images: pod_exec_attach does not judge container "
            "images (only the pod spec detectors take it)");
  EXPECT_EQ(Err("detectors: {privileged_container: {allow: {source_cidrs: [10.0.0.0/8, nope]}}}"),
            "detectors.privileged_container.allow.source_cidrs[1]: 'nope' is not an IP address "
            "or CIDR");
  EXPECT_EQ(
      Err("detectors: {privileged_container: {allow: {images: ['(']}}}"),
      "detectors.privileged_container.allow.images[0]: invalid RE2 pattern '(': missing ): (");
  EXPECT_NE(Err("input: [1, 2"), "");  // YAML syntax error, with line:column
  EXPECT_EQ(Err("engine: 5"), "test.yaml: engine: expected a mapping");
}

TEST(ConfigTest, ServeSection) {
  auto defaults = LoadConfigString("cluster_name: x", "test.yaml");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->serve.listen, "0.0.0.0:8443");
  EXPECT_EQ(defaults->serve.path, "/audit");
  EXPECT_EQ(defaults->serve.max_body_bytes, 32u << 20);
  EXPECT_EQ(defaults->serve.spool_fsync, "interval");
  auto c = LoadConfigString(
      "serve: {listen: '127.0.0.1:9443', path: /k8s-audit, tls_cert: /tls/crt, tls_key: /tls/key,"
      " client_ca: /tls/ca, token_file: /tls/token, max_body_bytes: 8MiB, read_timeout: 5s,"
      " ack_timeout: 1m, threads: 4, queue_batches: 64, queue_bytes: 64MiB, retry_after: 2s,"
      " spool_dir: /var/lib/kaudit/spool, spool_fsync: always, spool_max_file_bytes: 16MiB,"
      " spool_max_bytes: 0}",
      "test.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->serve.listen, "127.0.0.1:9443");
  EXPECT_EQ(c->serve.path, "/k8s-audit");
  EXPECT_EQ(c->serve.client_ca, "/tls/ca");
  EXPECT_EQ(c->serve.max_body_bytes, 8u << 20);
  EXPECT_EQ(c->serve.ack_timeout, absl::Minutes(1));
  EXPECT_EQ(c->serve.threads, 4u);
  EXPECT_EQ(c->serve.retry_after, absl::Seconds(2));
  EXPECT_EQ(c->serve.spool_fsync, "always");
  EXPECT_EQ(c->serve.spool_max_bytes, 0u);
  EXPECT_EQ(Err("serve: {lisen: x}"), "test.yaml: serve.lisen: unknown key");
  EXPECT_EQ(Err("serve: {path: audit}"),
            "test.yaml: serve.path: expected a URL path (/audit), got 'audit'");
  EXPECT_EQ(Err("serve: {threads: 0}"),
            "test.yaml: serve.threads: expected a number between 1 and 1024, got 0");
  EXPECT_EQ(Err("serve: {retry_after: 1500ms}"),
            "test.yaml: serve.retry_after: expected whole seconds between 1s and 1h");
  EXPECT_EQ(Err("serve: {ack_timeout: 0s}"), "test.yaml: serve.ack_timeout: must be positive");
}

TEST(ConfigTest, LogSection) {
  auto defaults = LoadConfigString("cluster_name: x", "test.yaml");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->log.format, LogFormat::kText);
  EXPECT_EQ(defaults->log.level, LogLevel::kInfo);
  auto c = LoadConfigString("log: {format: json, level: warning}", "test.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->log.format, LogFormat::kJson);
  EXPECT_EQ(c->log.level, LogLevel::kWarning);
  EXPECT_EQ(Err("log: {format: logfmt}"),
            "test.yaml: log.format: expected text or json, got logfmt");
  EXPECT_EQ(Err("log: {level: verbose}"),
            "test.yaml: log.level: expected debug, info, warning or error, got verbose");
  EXPECT_EQ(Err("log: {fromat: json}"), "test.yaml: log.fromat: unknown key");
  EXPECT_EQ(Err("log: json"), "test.yaml: log: expected a mapping");
}

TEST(ConfigTest, SyslogSinks) {
  auto c = LoadConfigString(R"(
sinks:
  - {type: syslog, address: "logs.example:6514", protocol: tcp, facility: auth, app_name: kx,
     hostname: node-1, max_message_bytes: 2KiB, format: falco}
  - {type: syslog, address: "[::1]:514", facility: 3}
  - {type: syslog, address: "127.0.0.1:514"}
)",
                            "t");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->sinks.size(), 3u);
  EXPECT_EQ(c->sinks[0].protocol, "tcp");
  EXPECT_EQ(c->sinks[0].facility, 4);
  EXPECT_EQ(c->sinks[0].app_name, "kx");
  EXPECT_EQ(c->sinks[0].hostname, "node-1");
  EXPECT_EQ(c->sinks[0].max_message_bytes, 2048u);
  EXPECT_EQ(c->sinks[1].facility, 3);
  EXPECT_EQ(c->sinks[2].protocol, "udp");
  EXPECT_EQ(c->sinks[2].facility, 16);
  EXPECT_EQ(c->sinks[2].app_name, "kaudit");
  EXPECT_EQ(c->sinks[2].max_message_bytes, 8192u);
  EXPECT_EQ(c->sinks[2].name, "syslog-2");

  EXPECT_EQ(Err("sinks: [{type: file, path: /tmp/a, buffer_dir: /tmp/b}]"),
            "test.yaml: sinks[0].buffer_dir: only network sinks (http, syslog) have a disk "
            "buffer; local writes wait instead of dropping");
  EXPECT_EQ(Err("sinks: [{type: syslog, address: 'h:514', buffer_max_bytes: 1KiB}]"),
            "test.yaml: sinks[0].buffer_max_bytes: expected a size between 1048576 and "
            "1099511627776 bytes, got 1KiB");
  EXPECT_EQ(Err("sinks: [{type: syslog}]"),
            "test.yaml: sinks[0].address: required for a syslog sink");
  EXPECT_EQ(Err("sinks: [{type: syslog, address: nohost}]"),
            "test.yaml: sinks[0].address: expected host:port (or [ipv6]:port), got nohost");
  EXPECT_EQ(Err("sinks: [{type: syslog, address: 'h:99999'}]"),
            "test.yaml: sinks[0].address: expected host:port (or [ipv6]:port), got h:99999");
  EXPECT_EQ(Err("sinks: [{type: syslog, address: 'h:514', protocol: tls}]"),
            "test.yaml: sinks[0].protocol: expected one of udp, tcp; got tls");
  EXPECT_EQ(Err("sinks: [{type: syslog, address: 'h:514', facility: local9}]"),
            "test.yaml: sinks[0].facility: expected a syslog facility (kern, user, mail, daemon, "
            "auth, syslog, lpr, news, uucp, cron, authpriv, ftp, ntp, local0..local7) or 0..23, "
            "got local9");
  EXPECT_EQ(Err("sinks: [{type: syslog, address: 'h:514', app_name: 'a b'}]"),
            "test.yaml: sinks[0].app_name: expected 1 to 48 printable ASCII characters without "
            "spaces, got 'a b'");
  EXPECT_NE(Err("sinks: [{type: syslog, address: 'h:514', max_message_bytes: 100}]"), "");
}

TEST(ConfigTest, MissingFileNamesThePath) {
  auto c = LoadConfigFile("/nonexistent/kaudit.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(std::string(c.status().message()), "/nonexistent/kaudit.yaml: cannot open config file");
}

}  // namespace
}  // namespace kaudit
