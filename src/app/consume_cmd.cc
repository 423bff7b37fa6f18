// kaudit consume: audit events from Kafka topics, as one member of a consumer group.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "src/app/app_common.h"
#include "src/app/live_runner.h"
#include "src/kafka/event_forwarder.h"
#include "src/kafka/kafka_source.h"

namespace kaudit {
namespace {

struct ConsumeFlags {
  CommonFlags common;
  std::vector<std::string> brokers;
  std::vector<std::string> topics;
  std::string group;
  std::string repartition_to;
  bool exit_at_eof = false;
  size_t queue_batches = 1024;
};

int RunConsume(const ConsumeFlags& f) {
  LiveOptions queue;
  queue.queue_max_batches = f.queue_batches;
  return RunLive(
      f.repartition_to.empty() ? "consume" : "repartition", f.common,
      [&](const Config&) { return queue; },
      [&](const Config& config, Context ctx) -> absl::StatusOr<std::unique_ptr<LiveSource>> {
        KafkaSourceOptions o;
        o.brokers = f.brokers.empty() ? config.kafka.brokers : f.brokers;
        o.topics = f.topics.empty() ? config.kafka.topics : f.topics;
        o.group_id = f.group.empty() ? config.kafka.group_id : f.group;
        o.properties = config.kafka.properties;
        o.revoke_timeout = config.kafka.revoke_timeout;
        o.exit_at_eof = f.exit_at_eof;
        if (!f.repartition_to.empty()) {
          EventForwarderOptions fo;
          fo.name = "repartition";
          fo.logger = ctx.logger;
          fo.brokers = o.brokers;
          fo.topic = f.repartition_to;
          fo.properties = config.kafka.properties;
          fo.reader.max_event_bytes = config.input.max_event_bytes;
          auto fw = EventForwarder::Create(std::move(fo));
          if (!fw.ok()) return fw.status();
          o.forwarder = std::move(*fw);
          o.repartition_topic = f.repartition_to;
        }
        return NewKafkaSource(std::move(o), ctx);
      });
}

}  // namespace

Command AddConsumeCommand(CLI::App& app) {
  auto f = std::make_shared<ConsumeFlags>();
  CLI::App* sub = app.add_subcommand(
      "consume",
      "Consume audit events from Kafka as a member of a consumer group (scale out by running "
      "more instances with the same --group)");
  sub->add_option("--brokers", f->brokers, "Bootstrap brokers host:port (repeatable or a,b)")
      ->delimiter(',');
  sub->add_option("--topic", f->topics, "Topic to consume (repeatable)");
  sub->add_option("--group", f->group, "Consumer group id (default kafka.group_id, kaudit)");
  sub->add_flag("--exit-at-eof", f->exit_at_eof,
                "End once every assigned partition reached its end (catch-up, tests)");
  sub->add_option("--repartition-to", f->repartition_to,
                  "Run no detectors: produce each event, one per message keyed by "
                  "user.username, to this topic (re-keys what Fluent Bit wrote unkeyed)");
  sub->add_option("--queue-batches", f->queue_batches,
                  "Messages waiting for the engine before partitions are paused")
      ->check(CLI::Range(1, 1000000));
  f->common.AddTo(sub, true);
  return {sub, [f] { return RunConsume(*f); }};
}

}  // namespace kaudit
