#include "src/pipeline/sinks_from_config.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "src/common/logger.h"
#include "src/common/status_macros.h"
#include "src/kafka/kafka_transport.h"
#include "src/sinks/disk_buffer.h"
#include "src/sinks/syslog_transport.h"
#include "src/sinks/transports.h"

namespace kaudit {
namespace {

AlertFormat Format(const std::string& name, bool text_default) {
  if (name == "auto") return text_default ? AlertFormat::kText : AlertFormat::kJson;
  return ParseAlertFormat(name).value_or(AlertFormat::kJson);
}

QueuedSinkOptions QueueOptions(const SinkConfig& sc) {
  QueuedSinkOptions q;
  q.name = sc.name;
  q.min_severity = sc.min_severity;
  q.detectors.insert(sc.detectors.begin(), sc.detectors.end());
  q.queue_max = sc.queue_max;
  q.batch_max = sc.batch_max;
  q.flush_interval = sc.flush_interval;
  q.retry_initial = sc.retry_initial;
  q.retry_max = sc.retry_max;
  q.flush_timeout = sc.flush_timeout;
  q.block_when_full =
      sc.type == "stdout" || sc.type == "file";  // local writes wait; network sinks drop the oldest
  return q;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SinkSet>> BuildSinks(const Config& config, bool stdout_is_tty,
                                                    Context ctx) {
  auto set = std::make_unique<SinkSet>();
  FormatOptions fopts;
  fopts.cluster = config.cluster_name;
  fopts.hostname = LocalHostname();

  // The primary output.
  {
    const bool to_stdout = config.output.file.empty() || config.output.file == "-";
    StreamTransportOptions so;
    so.path = config.output.file;
    so.format = Format(config.output.format, to_stdout && stdout_is_tty);
    so.format_options = fopts;
    so.format_options.color = to_stdout && stdout_is_tty;
    KAUDIT_ASSIGN_OR_RETURN(auto t, NewStreamTransport(so));
    QueuedSinkOptions q;
    q.name = "output";
    q.block_when_full = true;
    q.batch_max = 1000;
    q.flush_interval = absl::Milliseconds(50);
    q.flush_timeout = config.output.flush_timeout;
    set->Add(std::make_unique<QueuedSink>(q, ctx, std::move(t)));
  }

  for (size_t i = 0; i < config.sinks.size(); ++i) {
    const SinkConfig& sc = config.sinks[i];
    const std::string key = absl::StrCat("sinks[", i, "]");
    std::unique_ptr<Transport> transport;
    if (sc.type == "stdout" || sc.type == "file") {
      StreamTransportOptions so;
      so.path = sc.type == "stdout" ? "" : sc.path;
      so.format = Format(sc.format, sc.type == "stdout" && stdout_is_tty);
      so.format_options = fopts;
      so.max_bytes = sc.max_bytes;
      so.max_files = static_cast<int>(sc.max_files);
      auto t = NewStreamTransport(so);
      if (!t.ok())
        return absl::InvalidArgumentError(absl::StrCat(key, ".path: ", t.status().message()));
      transport = std::move(*t);
    } else if (sc.type == "syslog") {
      SyslogTransportOptions yo;
      yo.address = sc.address;
      yo.protocol = sc.protocol == "tcp" ? SyslogProtocol::kTcp : SyslogProtocol::kUdp;
      yo.facility = sc.facility;
      yo.app_name = sc.app_name;
      yo.hostname = sc.hostname.empty() ? fopts.hostname : sc.hostname;
      yo.format = Format(sc.format, false);
      yo.format_options = fopts;
      yo.format_options.hostname = yo.hostname;
      yo.max_message_bytes = sc.max_message_bytes;
      yo.timeout = sc.timeout;
      yo.sink_name = sc.name;
      auto t = NewSyslogTransport(yo, ctx);
      if (!t.ok())
        return absl::InvalidArgumentError(absl::StrCat(key, ".address: ", t.status().message()));
      transport = std::move(*t);
    } else if (sc.type == "kafka") {
      KafkaTransportOptions ko;
      ko.name = key;
      ko.logger = ctx.logger;
      ko.brokers = sc.brokers;
      ko.topic = sc.topic;
      ko.properties = sc.properties;
      ko.format = Format(sc.format, false);
      ko.format_options = fopts;
      ko.timeout = sc.timeout;
      auto t = NewKafkaTransport(ko);
      if (!t.ok()) return t.status();
      transport = std::move(*t);
    } else {
      HttpTransportOptions ho;
      ho.kind = sc.kind == "splunk_hec"      ? HttpKind::kSplunkHec
                : sc.kind == "elasticsearch" ? HttpKind::kElasticsearch
                                             : HttpKind::kWebhook;
      ho.url = sc.url;
      ho.format = sc.kind == "elasticsearch" ? AlertFormat::kEcs
                  : sc.kind == "splunk_hec"  ? AlertFormat::kHec
                                             : Format(sc.format, false);
      ho.format_options = fopts;
      ho.headers = sc.headers;
      ho.token = sc.token;
      if (!sc.token_file.empty()) {
        std::ifstream in(sc.token_file);
        if (!in) {
          return absl::NotFoundError(
              absl::StrCat(key, ".token_file: ", sc.token_file, ": cannot read"));
        }
        std::stringstream ss;
        ss << in.rdbuf();
        ho.token = std::string(absl::StripAsciiWhitespace(ss.str()));
      }
      ho.index = sc.index;
      ho.batch_single = sc.one_alert_per_request;
      ho.timeout = sc.timeout;
      ho.ca_file = sc.ca_file;
      ho.insecure_skip_verify = sc.insecure_skip_verify;
      auto t = NewHttpTransport(ho);
      if (!t.ok())
        return absl::InvalidArgumentError(absl::StrCat(key, ".url: ", t.status().message()));
      transport = std::move(*t);
    }
    std::unique_ptr<DiskBuffer> disk;
    if (!sc.buffer_dir.empty()) {
      auto d = DiskBuffer::Open(DiskBufferOptions{sc.buffer_dir, sc.buffer_max_bytes});
      if (!d.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(key, ".buffer_dir: ", d.status().message()));
      }
      disk = std::move(*d);
      if (uint64_t n = disk->pending(); n > 0) {
        ctx.logger->Info("sink",
                         absl::StrCat("sink ", sc.name, ": ", n,
                                      " undelivered alerts from an earlier run found in ",
                                      sc.buffer_dir, "; sending them first"),
                         {LogField("sink", sc.name).JsonOnly(), LogField("pending", n).JsonOnly(),
                          LogField("path", sc.buffer_dir).JsonOnly()});
      }
    }
    set->Add(
        std::make_unique<QueuedSink>(QueueOptions(sc), ctx, std::move(transport), std::move(disk)));
  }
  return set;
}

}  // namespace kaudit
