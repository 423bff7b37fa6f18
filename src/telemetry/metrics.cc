#include "src/telemetry/metrics.h"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <deque>
#include <map>
#include <sstream>

namespace kaudit {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

class Builder {
 public:
  MetricFamily& Family(std::string name, std::string help, MetricType type) {
    families_.push_back(MetricFamily{std::move(name), std::move(help), type, {}});
    return families_.back();
  }
  static void Add(MetricFamily& f, double v, std::vector<ClientMetric::Label> labels = {}) {
    ClientMetric m;
    m.label = std::move(labels);
    if (f.type == MetricType::Counter)
      m.counter.value = v;
    else
      m.gauge.value = v;
    f.metric.push_back(std::move(m));
  }
  std::vector<MetricFamily> families() const { return {families_.begin(), families_.end()}; }

 private:
  std::deque<MetricFamily> families_;  // stable references while families are added
};

}  // namespace

std::string RenderMetrics(const RunSummary& s, const ProcessInfo& info, bool finished) {
  Builder b;
  const std::string src = info.mode;
  auto& build = b.Family("kaudit_build_info", "kaudit version and parser", MetricType::Gauge);
  Builder::Add(build, 1, {{"version", info.version}, {"parser", info.parser}, {"mode", info.mode}});
  auto& done =
      b.Family("kaudit_run_finished", "1 once a replay has read all its inputs", MetricType::Gauge);
  Builder::Add(done, finished ? 1 : 0);

  auto& events =
      b.Family("kaudit_source_events_total", "Valid audit events read", MetricType::Counter);
  Builder::Add(events, static_cast<double>(s.reader.events), {{"source", src}});
  auto& bytes =
      b.Family("kaudit_source_bytes_total", "Decompressed bytes read", MetricType::Counter);
  Builder::Add(bytes, static_cast<double>(s.reader.bytes), {{"source", src}});
  auto& docs = b.Family("kaudit_source_documents_total", "Top-level JSON documents read",
                        MetricType::Counter);
  Builder::Add(docs, static_cast<double>(s.reader.documents), {{"source", src}});
  auto& last = b.Family("kaudit_source_last_event_timestamp_seconds",
                        "Newest event time seen (stageTimestamp); event lag is time() minus this",
                        MetricType::Gauge);
  if (s.last_event_time != absl::InfinitePast()) {
    Builder::Add(last, absl::ToDoubleSeconds(s.last_event_time - absl::UnixEpoch()),
                 {{"source", src}});
  }
  auto& inputs =
      b.Family("kaudit_source_inputs_total", "Inputs (files, streams) opened", MetricType::Counter);
  Builder::Add(inputs, static_cast<double>(s.inputs), {{"source", src}});
  auto& input_errors = b.Family("kaudit_source_input_errors_total",
                                "Inputs that could not be read to the end", MetricType::Counter);
  Builder::Add(input_errors, static_cast<double>(s.input_errors), {{"source", src}});
  auto& invalid = b.Family("kaudit_events_invalid_total", "Rejected input documents by reason",
                           MetricType::Counter);
  for (int i = 0; i < kNumInvalidReasons; ++i) {
    Builder::Add(invalid, static_cast<double>(s.reader.invalid[i]),
                 {{"source", src},
                  {"reason", std::string(InvalidReasonName(static_cast<InvalidReason>(i)))}});
  }
  auto& dup = b.Family("kaudit_events_duplicate_total", "Duplicate deliveries dropped",
                       MetricType::Counter);
  Builder::Add(dup, static_cast<double>(s.duplicates));
  auto& oor = b.Family("kaudit_events_out_of_range_total", "Events outside --since/--until",
                       MetricType::Counter);
  Builder::Add(oor, static_cast<double>(s.out_of_range));
  auto& dead = b.Family("kaudit_events_dead_letter_total",
                        "Rejected documents written to the dead-letter file", MetricType::Counter);
  Builder::Add(dead, static_cast<double>(s.dead_letters));
  if (s.checkpoint) {
    auto& cw =
        b.Family("kaudit_replay_checkpoint_writes_total",
                 "Replay checkpoints written (all runs of this replay)", MetricType::Counter);
    Builder::Add(cw, static_cast<double>(s.checkpoint_writes));
    auto& ce = b.Family("kaudit_replay_checkpoint_errors_total",
                        "Replay checkpoints that failed or were postponed (alerts in flight)",
                        MetricType::Counter);
    Builder::Add(ce, static_cast<double>(s.checkpoint_errors));
    auto& cr = b.Family("kaudit_replay_resumes_total",
                        "Replay runs that continued from a checkpoint", MetricType::Counter);
    Builder::Add(cr, static_cast<double>(s.resumes));
  }

  auto& alerts = b.Family("kaudit_alerts_total", "Alerts raised by detector and severity",
                          MetricType::Counter);
  auto& det_events = b.Family("kaudit_detector_events_total", "Events shown to each detector",
                              MetricType::Counter);
  auto& det_allowed = b.Family(
      "kaudit_detector_allowed_total",
      "Events skipped by a detector's allow-list (and alerts, allow.images)", MetricType::Counter);
  auto& det_not_judged = b.Family("kaudit_detector_not_judged_total",
                                  "Events a detector could not judge (no object at Metadata level)",
                                  MetricType::Counter);
  auto& state = b.Family("kaudit_detector_state_entries", "Keys held by a stateful detector",
                         MetricType::Gauge);
  auto& evictions = b.Family("kaudit_detector_state_evictions_total",
                             "State entries evicted because of a bound", MetricType::Counter);
  auto& aggregated =
      b.Family("kaudit_alerts_aggregated_total",
               "Identical alerts absorbed into an aggregation summary (detector aggregate key)",
               MetricType::Counter);
  for (const auto& d : s.detectors) {
    for (int i = 0; i < kNumSeverities; ++i) {
      Builder::Add(
          alerts, static_cast<double>(d.alerts[i]),
          {{"detector", d.id}, {"severity", std::string(SeverityName(static_cast<Severity>(i)))}});
    }
    Builder::Add(det_events, static_cast<double>(d.events), {{"detector", d.id}});
    Builder::Add(det_allowed, static_cast<double>(d.allowed), {{"detector", d.id}});
    Builder::Add(det_not_judged, static_cast<double>(d.not_judged), {{"detector", d.id}});
    Builder::Add(state, static_cast<double>(d.state_entries), {{"detector", d.id}});
    Builder::Add(evictions, static_cast<double>(d.state_evictions), {{"detector", d.id}});
    Builder::Add(aggregated, static_cast<double>(d.alerts_aggregated), {{"detector", d.id}});
  }
  auto& agg_evictions = b.Family("kaudit_aggregation_evictions_total",
                                 "Aggregation windows evicted because of engine.aggregate_max_keys",
                                 MetricType::Counter);
  Builder::Add(agg_evictions, static_cast<double>(s.aggregation_evictions));
  auto& below =
      b.Family("kaudit_alerts_below_min_severity_total",
               "Alerts under output.min_severity, counted not written", MetricType::Counter);
  Builder::Add(below, static_cast<double>(s.alerts_below_min_severity));

  auto& sent = b.Family("kaudit_sink_alerts_sent_total", "Alerts delivered", MetricType::Counter);
  auto& filtered =
      b.Family("kaudit_sink_alerts_filtered_total",
               "Alerts not for this sink (severity or detector filter)", MetricType::Counter);
  auto& retries = b.Family("kaudit_sink_retries_total", "Failed deliveries that were retried",
                           MetricType::Counter);
  auto& dropped = b.Family("kaudit_sink_alerts_dropped_total", "Alerts a sink had to drop",
                           MetricType::Counter);
  auto& depth =
      b.Family("kaudit_sink_queue_depth", "Alerts waiting in a sink's buffer", MetricType::Gauge);
  auto& disk_pending = b.Family("kaudit_sink_disk_buffer_alerts",
                                "Alerts waiting in a sink's disk buffer", MetricType::Gauge);
  auto& disk_bytes =
      b.Family("kaudit_sink_disk_buffer_bytes", "Bytes of a sink's disk buffer", MetricType::Gauge);
  for (const auto& k : s.sinks) {
    Builder::Add(sent, static_cast<double>(k.sent), {{"sink", k.name}});
    Builder::Add(filtered, static_cast<double>(k.filtered), {{"sink", k.name}});
    Builder::Add(retries, static_cast<double>(k.retries), {{"sink", k.name}});
    Builder::Add(dropped, static_cast<double>(k.dropped_queue_full),
                 {{"sink", k.name}, {"reason", "buffer_full"}});
    Builder::Add(dropped, static_cast<double>(k.dropped_shutdown),
                 {{"sink", k.name}, {"reason", "shutdown"}});
    Builder::Add(dropped, static_cast<double>(k.dropped_disk),
                 {{"sink", k.name}, {"reason", "disk"}});
    Builder::Add(depth, static_cast<double>(k.queue_depth), {{"sink", k.name}});
    Builder::Add(disk_pending, static_cast<double>(k.disk_pending), {{"sink", k.name}});
    Builder::Add(disk_bytes, static_cast<double>(k.disk_bytes), {{"sink", k.name}});
  }

  // Source metrics, grouped by name in order of first appearance.
  std::map<std::string, MetricFamily*> by_name;
  for (const SourceMetric& m : s.source_metrics) {
    MetricFamily*& f = by_name[m.name];
    if (f == nullptr) {
      f = &b.Family(m.name, m.help, m.gauge ? MetricType::Gauge : MetricType::Counter);
    }
    std::vector<ClientMetric::Label> labels;
    for (const auto& [k, v] : m.labels) labels.push_back({k, v});
    Builder::Add(*f, m.value, std::move(labels));
  }

  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, b.families());
  return out.str();
}

}  // namespace kaudit
