#include "src/pipeline/summary.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/common/json_writer.h"
#include "src/common/strings.h"

namespace kaudit {

uint64_t DetectorSummary::alerts_total() const {
  uint64_t t = 0;
  for (uint64_t a : alerts) t += a;
  return t;
}

std::string RunSummary::ToText() const {
  std::string s;
  const double mb = static_cast<double>(reader.bytes) / 1e6;
  absl::StrAppendFormat(&s, "kaudit summary: %d input(s), %.1f MB, %d events in %.2fs", inputs, mb,
                        reader.events, seconds);
  if (seconds > 0) {
    absl::StrAppendFormat(&s, " (%.0f events/s, %.1f MB/s)",
                          static_cast<double>(reader.events) / seconds, mb / seconds);
  }
  s.push_back('\n');
  absl::StrAppendFormat(&s, "  invalid events: %d", reader.invalid_total());
  bool first = true;
  for (int i = 0; i < kNumInvalidReasons; ++i) {
    if (reader.invalid[i] == 0) continue;
    absl::StrAppend(&s, first ? " (" : ", ",
                    ToAbsl(InvalidReasonName(static_cast<InvalidReason>(i))), "=",
                    reader.invalid[i]);
    first = false;
  }
  if (!first) s.push_back(')');
  s.push_back('\n');
  if (duplicates) absl::StrAppend(&s, "  duplicate events dropped: ", duplicates, "\n");
  if (out_of_range) absl::StrAppend(&s, "  events outside --since/--until: ", out_of_range, "\n");
  if (input_errors) absl::StrAppend(&s, "  inputs with read errors: ", input_errors, "\n");
  if (dead_letters) absl::StrAppend(&s, "  written to dead-letter file: ", dead_letters, "\n");
  if (checkpoint) {
    absl::StrAppend(&s, "  checkpoints: ", checkpoint_writes, " written, ", checkpoint_errors,
                    " failed; resumed ", resumes, " time(s)\n");
  }
  absl::StrAppend(&s, "  alerts: ", alerts_emitted);
  if (alerts_below_min_severity) {
    absl::StrAppend(&s, " (+", alerts_below_min_severity, " below min severity, not output)");
  }
  if (alerts_sink_failed) absl::StrAppend(&s, " (", alerts_sink_failed, " FAILED to write)");
  s.push_back('\n');
  if (aggregation_evictions) {
    absl::StrAppend(&s, "  aggregation windows evicted (engine.aggregate_max_keys): ",
                    aggregation_evictions, "\n");
  }
  for (const auto& d : detectors) {
    uint64_t total = d.alerts_total();
    if (total == 0 && d.not_judged == 0 && d.state_evictions == 0 && d.alerts_aggregated == 0)
      continue;
    absl::StrAppendFormat(&s, "    %-28s %6d", d.id, total);
    bool any = false;
    for (int i = kNumSeverities - 1; i >= 0; --i) {
      if (d.alerts[i] == 0) continue;
      absl::StrAppend(&s, any ? ", " : "  (", ToAbsl(SeverityName(static_cast<Severity>(i))), "=",
                      d.alerts[i]);
      any = true;
    }
    if (any) s.push_back(')');
    if (d.not_judged)
      absl::StrAppend(&s, "  [", d.not_judged, " events not judged: ",
                      d.not_judged_reason.empty() ? "no object in the event" : d.not_judged_reason,
                      "]");
    if (d.state_evictions) absl::StrAppend(&s, "  [", d.state_evictions, " state evictions]");
    if (d.alerts_aggregated) {
      absl::StrAppend(&s, "  [", d.alerts_aggregated, " repeats aggregated]");
    }
    s.push_back('\n');
  }
  for (const auto& k : sinks) {
    absl::StrAppend(&s, "  sink ", k.name, ": ", k.sent, " sent");
    if (k.filtered) absl::StrAppend(&s, ", ", k.filtered, " filtered");
    if (k.retries) absl::StrAppend(&s, ", ", k.retries, " failed attempts retried");
    if (k.dropped()) {
      absl::StrAppend(&s, ", ", k.dropped(), " DROPPED (", k.dropped_queue_full, " buffer full, ",
                      k.dropped_shutdown, " undelivered at exit, ", k.dropped_disk,
                      " disk buffer)");
    }
    if (k.spilled) absl::StrAppend(&s, ", ", k.spilled, " went through the disk buffer");
    if (k.disk_pending) {
      absl::StrAppend(&s, ", ", k.disk_pending, " kept in the disk buffer for the next start");
    }
    s.push_back('\n');
  }
  return s;
}

std::string RunSummary::ToJson() const {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Field("inputs", static_cast<int64_t>(inputs));
  w.Field("input_errors", static_cast<int64_t>(input_errors));
  w.Field("bytes", static_cast<int64_t>(reader.bytes));
  w.Field("documents", static_cast<int64_t>(reader.documents));
  w.Field("events", static_cast<int64_t>(reader.events));
  w.Field("invalid_events", static_cast<int64_t>(reader.invalid_total()));
  w.Key("invalid_by_reason").BeginObject();
  for (int i = 0; i < kNumInvalidReasons; ++i) {
    w.Field(InvalidReasonName(static_cast<InvalidReason>(i)),
            static_cast<int64_t>(reader.invalid[i]));
  }
  w.EndObject();
  w.Field("list_items_truncated", static_cast<int64_t>(reader.list_items_truncated));
  w.Field("duplicates", static_cast<int64_t>(duplicates));
  w.Field("out_of_range", static_cast<int64_t>(out_of_range));
  w.Field("alerts", static_cast<int64_t>(alerts_emitted));
  w.Field("alerts_below_min_severity", static_cast<int64_t>(alerts_below_min_severity));
  w.Field("alerts_sink_failed", static_cast<int64_t>(alerts_sink_failed));
  w.Field("dead_letters", static_cast<int64_t>(dead_letters));
  w.Field("aggregation_evictions", static_cast<int64_t>(aggregation_evictions));
  if (checkpoint) {
    w.Key("checkpoint").BeginObject();
    w.Field("writes", static_cast<int64_t>(checkpoint_writes));
    w.Field("errors", static_cast<int64_t>(checkpoint_errors));
    w.Field("resumes", static_cast<int64_t>(resumes));
    w.EndObject();
  }
  w.Key("seconds").Double(seconds);
  w.Key("detectors").BeginObject();
  for (const auto& d : detectors) {
    w.Key(d.id).BeginObject();
    w.Field("alerts", static_cast<int64_t>(d.alerts_total()));
    w.Key("alerts_by_severity").BeginObject();
    for (int i = 0; i < kNumSeverities; ++i) {
      w.Field(SeverityName(static_cast<Severity>(i)), static_cast<int64_t>(d.alerts[i]));
    }
    w.EndObject();
    w.Field("events", static_cast<int64_t>(d.events));
    w.Field("allowed", static_cast<int64_t>(d.allowed));
    w.Field("not_judged", static_cast<int64_t>(d.not_judged));
    w.Field("state_entries", static_cast<int64_t>(d.state_entries));
    w.Field("state_evictions", static_cast<int64_t>(d.state_evictions));
    w.Field("alerts_aggregated", static_cast<int64_t>(d.alerts_aggregated));
    w.EndObject();
  }
  w.EndObject();
  w.Key("sinks").BeginObject();
  for (const auto& k : sinks) {
    w.Key(k.name).BeginObject();
    w.Field("accepted", static_cast<int64_t>(k.accepted));
    w.Field("filtered", static_cast<int64_t>(k.filtered));
    w.Field("sent", static_cast<int64_t>(k.sent));
    w.Field("batches", static_cast<int64_t>(k.batches));
    w.Field("retries", static_cast<int64_t>(k.retries));
    w.Field("dropped_queue_full", static_cast<int64_t>(k.dropped_queue_full));
    w.Field("dropped_shutdown", static_cast<int64_t>(k.dropped_shutdown));
    w.Field("dropped_disk", static_cast<int64_t>(k.dropped_disk));
    w.Field("spilled", static_cast<int64_t>(k.spilled));
    w.Field("disk_pending", static_cast<int64_t>(k.disk_pending));
    w.EndObject();
  }
  w.EndObject();
  // The live source's counters and gauges, as /metrics names them ("name{label=\"v\"}").
  w.Key("source_metrics").BeginObject();
  for (const auto& m : source_metrics) {
    std::string key = m.name;
    if (!m.labels.empty()) {
      key += "{";
      for (size_t i = 0; i < m.labels.size(); ++i) {
        absl::StrAppend(&key, i ? "," : "", m.labels[i].first, "=\"", m.labels[i].second, "\"");
      }
      key += "}";
    }
    w.Key(key).Double(m.value);
  }
  w.EndObject();
  w.EndObject();
  return out;
}

}  // namespace kaudit
