#include "src/config/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "src/common/file_util.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/common/time_util.h"

namespace kaudit {

absl::StatusOr<uint64_t> ParseByteSize(std::string_view s) {
  static const std::pair<std::string_view, uint64_t> kUnits[] = {{"KiB", 1ull << 10},
                                                                 {"MiB", 1ull << 20},
                                                                 {"GiB", 1ull << 30},
                                                                 {"KB", 1000},
                                                                 {"MB", 1000000},
                                                                 {"GB", 1000000000},
                                                                 {"B", 1}};
  uint64_t mult = 1;
  std::string_view num = s;
  for (const auto& [suffix, m] : kUnits) {
    if (EndsWith(s, suffix)) {
      num = s.substr(0, s.size() - suffix.size());
      mult = m;
      break;
    }
  }
  while (!num.empty() && num.back() == ' ') num.remove_suffix(1);
  uint64_t v;
  if (!absl::SimpleAtoi(ToAbsl(num), &v)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid size '", ToAbsl(s), "' (use e.g. 1048576, 64KiB, 16MiB, 1GiB)"));
  }
  return v * mult;
}

namespace {

bool ParseAlertFormatName(const std::string& f) {
  return f == "auto" || f == "json" || f == "text" || f == "falco" || f == "ecs" || f == "hec";
}

// Walks a YAML mapping, dispatching known keys and failing on unknown ones with their path.
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string path) : node_(node), path_(std::move(path)) {}

  absl::Status Check() const {
    if (!node_.IsDefined() || node_.IsNull()) return absl::OkStatus();
    if (!node_.IsMap()) return Error(path_, "expected a mapping");
    return absl::OkStatus();
  }

  using Handler = std::function<absl::Status(const YAML::Node&, const std::string&)>;
  absl::Status Read(const std::map<std::string, Handler, std::less<>>& handlers) const {
    KAUDIT_RETURN_IF_ERROR(Check());
    if (!node_.IsDefined() || node_.IsNull()) return absl::OkStatus();
    for (const auto& kv : node_) {
      std::string key = kv.first.as<std::string>();
      std::string path = path_.empty() ? key : absl::StrCat(path_, ".", key);
      auto it = handlers.find(key);
      if (it == handlers.end()) return Error(path, "unknown key");
      KAUDIT_RETURN_IF_ERROR(it->second(kv.second, path));
    }
    return absl::OkStatus();
  }

  static absl::Status Error(const std::string& path, std::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat(path.empty() ? "<top>" : path, ": ", ToAbsl(what)));
  }

 private:
  const YAML::Node& node_;
  std::string path_;
};

absl::StatusOr<std::string> Scalar(const YAML::Node& n, const std::string& path) {
  if (!n.IsScalar()) return MapReader::Error(path, "expected a scalar value");
  return n.Scalar();
}

MapReader::Handler StringField(std::string* out) {
  return [out](const YAML::Node& n, const std::string& path) -> absl::Status {
    KAUDIT_ASSIGN_OR_RETURN(*out, Scalar(n, path));
    return absl::OkStatus();
  };
}

MapReader::Handler SizeField(uint64_t* out, uint64_t min, uint64_t max) {
  return [=](const YAML::Node& n, const std::string& path) -> absl::Status {
    KAUDIT_ASSIGN_OR_RETURN(std::string s, Scalar(n, path));
    auto v = ParseByteSize(s);
    if (!v.ok()) return MapReader::Error(path, ToStd(v.status().message()));
    if (*v < min || *v > max) {
      return MapReader::Error(
          path, absl::StrCat("expected a size between ", min, " and ", max, " bytes, got ", s));
    }
    *out = *v;
    return absl::OkStatus();
  };
}

MapReader::Handler CountField(uint64_t* out, uint64_t min, uint64_t max) {
  return [=](const YAML::Node& n, const std::string& path) -> absl::Status {
    KAUDIT_ASSIGN_OR_RETURN(std::string s, Scalar(n, path));
    uint64_t v = 0;
    if (!absl::SimpleAtoi(s, &v) || v < min || v > max) {
      return MapReader::Error(
          path, absl::StrCat("expected a number between ", min, " and ", max, ", got ", s));
    }
    *out = v;
    return absl::OkStatus();
  };
}

MapReader::Handler DurationField(absl::Duration* out) {
  return [=](const YAML::Node& n, const std::string& path) -> absl::Status {
    KAUDIT_ASSIGN_OR_RETURN(std::string s, Scalar(n, path));
    auto d = ParseDurationString(s);
    if (!d.ok()) return MapReader::Error(path, ToStd(d.status().message()));
    *out = *d;
    return absl::OkStatus();
  };
}

// Flattens one detector's mapping into DetectorParams (nested maps become dotted keys).
absl::Status FlattenParams(const YAML::Node& n, const std::string& prefix, const std::string& path,
                           DetectorParams& out) {
  if (!n.IsMap()) return MapReader::Error(path, "expected a mapping");
  for (const auto& kv : n) {
    std::string key = kv.first.as<std::string>();
    std::string full = prefix.empty() ? key : absl::StrCat(prefix, ".", key);
    std::string kpath = path.empty() ? key : absl::StrCat(path, ".", key);
    const YAML::Node& v = kv.second;
    if (v.IsScalar()) {
      out.Set(full, v.Scalar());
    } else if (v.IsSequence()) {
      std::vector<std::string> list;
      for (size_t i = 0; i < v.size(); ++i) {
        if (!v[i].IsScalar()) {
          return MapReader::Error(absl::StrCat(kpath, "[", i, "]"), "expected a scalar value");
        }
        list.push_back(v[i].Scalar());
      }
      out.SetList(full, std::move(list));
    } else if (v.IsMap()) {
      KAUDIT_RETURN_IF_ERROR(FlattenParams(v, full, kpath, out));
    } else if (v.IsNull()) {
      out.SetList(full, {});
    }
  }
  return absl::OkStatus();
}

MapReader::Handler BoolField(bool* out) {
  return [=](const YAML::Node& n, const std::string& path) -> absl::Status {
    KAUDIT_ASSIGN_OR_RETURN(std::string s, Scalar(n, path));
    if (s != "true" && s != "false") return MapReader::Error(path, "expected true or false");
    *out = s == "true";
    return absl::OkStatus();
  };
}

MapReader::Handler OneOf(std::string* out, std::vector<std::string> allowed) {
  return [=](const YAML::Node& n, const std::string& path) -> absl::Status {
    KAUDIT_ASSIGN_OR_RETURN(*out, Scalar(n, path));
    for (const auto& a : allowed) {
      if (*out == a) return absl::OkStatus();
    }
    std::string list;
    for (const auto& a : allowed) absl::StrAppend(&list, list.empty() ? "" : ", ", a);
    return MapReader::Error(path, absl::StrCat("expected one of ", list, "; got ", *out));
  };
}

MapReader::Handler SeverityField(Severity* out) {
  return [=](const YAML::Node& n, const std::string& path) -> absl::Status {
    KAUDIT_ASSIGN_OR_RETURN(std::string s, Scalar(n, path));
    auto sev = ParseSeverity(s);
    if (!sev)
      return MapReader::Error(
          path, absl::StrCat("expected info, low, medium, high or critical, got ", s));
    *out = *sev;
    return absl::OkStatus();
  };
}

MapReader::Handler ListField(std::vector<std::string>* out) {
  return [=](const YAML::Node& n, const std::string& path) -> absl::Status {
    if (n.IsNull()) return absl::OkStatus();
    if (!n.IsSequence()) return MapReader::Error(path, "expected a list");
    for (size_t i = 0; i < n.size(); ++i) {
      KAUDIT_ASSIGN_OR_RETURN(std::string v, Scalar(n[i], absl::StrCat(path, "[", i, "]")));
      out->push_back(v);
    }
    return absl::OkStatus();
  };
}

// Syslog facilities by name (RFC 5424 table 1, as syslog.h names them) or number.
MapReader::Handler FacilityField(int* out) {
  return [=](const YAML::Node& n, const std::string& path) -> absl::Status {
    static const std::pair<std::string_view, int> kNames[] = {
        {"kern", 0},      {"user", 1},    {"mail", 2},    {"daemon", 3},  {"auth", 4},
        {"syslog", 5},    {"lpr", 6},     {"news", 7},    {"uucp", 8},    {"cron", 9},
        {"authpriv", 10}, {"ftp", 11},    {"ntp", 12},    {"local0", 16}, {"local1", 17},
        {"local2", 18},   {"local3", 19}, {"local4", 20}, {"local5", 21}, {"local6", 22},
        {"local7", 23}};
    KAUDIT_ASSIGN_OR_RETURN(std::string s, Scalar(n, path));
    for (const auto& [name, v] : kNames) {
      if (s == name) {
        *out = v;
        return absl::OkStatus();
      }
    }
    int v;
    if (absl::SimpleAtoi(s, &v) && v >= 0 && v <= 23) {
      *out = v;
      return absl::OkStatus();
    }
    return MapReader::Error(
        path, absl::StrCat("expected a syslog facility (kern, user, mail, daemon, auth, syslog, "
                           "lpr, news, uucp, cron, authpriv, ftp, ntp, local0..local7) or "
                           "0..23, got ",
                           s));
  };
}

// An RFC 5424 header field: 1..max printable US-ASCII characters, no spaces.
MapReader::Handler HeaderField(std::string* out, size_t max) {
  return [=](const YAML::Node& n, const std::string& path) -> absl::Status {
    KAUDIT_ASSIGN_OR_RETURN(*out, Scalar(n, path));
    bool ok = !out->empty() && out->size() <= max;
    for (char c : *out) ok = ok && c > 32 && c < 127;
    if (!ok) {
      return MapReader::Error(
          path, absl::StrCat("expected 1 to ", max,
                             " printable ASCII characters without spaces, got '", *out, "'"));
    }
    return absl::OkStatus();
  };
}

// host:port or [ipv6]:port with a port in 1..65535.
bool ValidHostPort(const std::string& a) {
  std::string host, port;
  if (!a.empty() && a[0] == '[') {
    size_t close = a.find(']');
    if (close == std::string::npos || close + 1 >= a.size() || a[close + 1] != ':') return false;
    host = a.substr(1, close - 1);
    port = a.substr(close + 2);
  } else {
    size_t colon = a.rfind(':');
    if (colon == std::string::npos) return false;
    host = a.substr(0, colon);
    port = a.substr(colon + 1);
    if (host.find(':') != std::string::npos) return false;
  }
  uint32_t p;
  return !host.empty() && absl::SimpleAtoi(port, &p) && p >= 1 && p <= 65535;
}

// A list of strings, or one comma-separated string ("a:9092,b:9092").
MapReader::Handler StringListField(std::vector<std::string>* out) {
  return [=](const YAML::Node& n, const std::string& path) -> absl::Status {
    out->clear();
    if (n.IsScalar()) {
      for (absl::string_view part : absl::StrSplit(n.Scalar(), ',', absl::SkipWhitespace())) {
        out->emplace_back(absl::StripAsciiWhitespace(part));
      }
      return absl::OkStatus();
    }
    return ListField(out)(n, path);
  };
}

// A mapping of scalar values (librdkafka properties).
MapReader::Handler StringMapField(std::map<std::string, std::string>* out) {
  return [=](const YAML::Node& n, const std::string& path) -> absl::Status {
    if (n.IsNull()) return absl::OkStatus();
    if (!n.IsMap()) return MapReader::Error(path, "expected a mapping of names to values");
    for (const auto& kv : n) {
      std::string k = kv.first.as<std::string>();
      KAUDIT_ASSIGN_OR_RETURN((*out)[k], Scalar(kv.second, absl::StrCat(path, ".", k)));
    }
    return absl::OkStatus();
  };
}

absl::Status ReadServe(const YAML::Node& n, const std::string& path, ServeConfig& sc) {
  KAUDIT_RETURN_IF_ERROR(MapReader(n, path).Read({
      {"listen", StringField(&sc.listen)},
      {"path", StringField(&sc.path)},
      {"tls_cert", StringField(&sc.tls_cert)},
      {"tls_key", StringField(&sc.tls_key)},
      {"client_ca", StringField(&sc.client_ca)},
      {"token_file", StringField(&sc.token_file)},
      {"insecure_http", BoolField(&sc.insecure_http)},
      {"max_body_bytes", SizeField(&sc.max_body_bytes, 1, 1ull << 40)},
      {"read_timeout", DurationField(&sc.read_timeout)},
      {"ack_timeout", DurationField(&sc.ack_timeout)},
      {"threads", CountField(&sc.threads, 1, 1024)},
      {"queue_batches", CountField(&sc.queue_batches, 1, 1u << 24)},
      {"queue_bytes", SizeField(&sc.queue_bytes, 1, 1ull << 40)},
      {"retry_after", DurationField(&sc.retry_after)},
      {"spool_dir", StringField(&sc.spool_dir)},
      {"spool_fsync", OneOf(&sc.spool_fsync, {"always", "interval", "never"})},
      {"spool_max_file_bytes", SizeField(&sc.spool_max_file_bytes, 1, 1ull << 40)},
      {"spool_max_bytes", SizeField(&sc.spool_max_bytes, 0, 1ull << 50)},
  }));
  if (sc.listen.empty()) return MapReader::Error(path + ".listen", "must not be empty");
  if (sc.path.empty() || sc.path[0] != '/') {
    return MapReader::Error(path + ".path",
                            absl::StrCat("expected a URL path (/audit), got '", sc.path, "'"));
  }
  for (auto [key, d] :
       {std::pair{".read_timeout", sc.read_timeout}, std::pair{".ack_timeout", sc.ack_timeout}}) {
    if (d <= absl::ZeroDuration()) return MapReader::Error(path + key, "must be positive");
  }
  if (sc.retry_after < absl::Seconds(1) || sc.retry_after > absl::Hours(1) ||
      sc.retry_after != absl::Trunc(sc.retry_after, absl::Seconds(1))) {
    return MapReader::Error(path + ".retry_after", "expected whole seconds between 1s and 1h");
  }
  return absl::OkStatus();
}

absl::Status ReadKafka(const YAML::Node& n, const std::string& path, KafkaConfig& kc) {
  KAUDIT_RETURN_IF_ERROR(MapReader(n, path).Read({
      {"brokers", StringListField(&kc.brokers)},
      {"topics", StringListField(&kc.topics)},
      {"group_id", StringField(&kc.group_id)},
      {"properties", StringMapField(&kc.properties)},
      {"revoke_timeout", DurationField(&kc.revoke_timeout)},
      {"forward_to", StringField(&kc.forward_to)},
      {"forward_only", BoolField(&kc.forward_only)},
  }));
  if (kc.forward_only && kc.forward_to.empty()) {
    return MapReader::Error(path + ".forward_only", "needs kafka.forward_to");
  }
  for (size_t i = 0; i < kc.brokers.size(); ++i) {
    if (!ValidHostPort(kc.brokers[i])) {
      return MapReader::Error(absl::StrCat(path, ".brokers[", i, "]"),
                              absl::StrCat("expected host:port, got ", kc.brokers[i]));
    }
  }
  if (kc.group_id.empty()) return MapReader::Error(path + ".group_id", "must not be empty");
  return absl::OkStatus();
}

absl::Status ReadSink(const YAML::Node& n, const std::string& path, SinkConfig& sc) {
  KAUDIT_RETURN_IF_ERROR(MapReader(n, path).Read({
      {"name", StringField(&sc.name)},
      {"type", OneOf(&sc.type, {"stdout", "file", "http", "syslog", "kafka"})},
      {"format", OneOf(&sc.format, {"auto", "json", "text", "falco", "ecs", "hec"})},
      {"min_severity", SeverityField(&sc.min_severity)},
      {"detectors", ListField(&sc.detectors)},
      {"path", StringField(&sc.path)},
      {"max_bytes", SizeField(&sc.max_bytes, 0, 1ull << 40)},
      {"max_files", SizeField(&sc.max_files, 0, 1000)},
      {"kind", OneOf(&sc.kind, {"webhook", "splunk_hec", "elasticsearch"})},
      {"url", StringField(&sc.url)},
      {"headers",
       [&](const YAML::Node& h, const std::string& hp) -> absl::Status {
         if (!h.IsMap())
           return MapReader::Error(hp, "expected a mapping of header names to values");
         for (const auto& kv : h) {
           std::string k = kv.first.as<std::string>();
           KAUDIT_ASSIGN_OR_RETURN(sc.headers[k], Scalar(kv.second, absl::StrCat(hp, ".", k)));
         }
         return absl::OkStatus();
       }},
      {"token", StringField(&sc.token)},
      {"token_file", StringField(&sc.token_file)},
      {"index", StringField(&sc.index)},
      {"ca_file", StringField(&sc.ca_file)},
      {"insecure_skip_verify", BoolField(&sc.insecure_skip_verify)},
      {"one_alert_per_request", BoolField(&sc.one_alert_per_request)},
      {"address", StringField(&sc.address)},
      {"protocol", OneOf(&sc.protocol, {"udp", "tcp"})},
      {"facility", FacilityField(&sc.facility)},
      {"app_name", HeaderField(&sc.app_name, 48)},
      {"hostname", HeaderField(&sc.hostname, 255)},
      {"max_message_bytes", SizeField(&sc.max_message_bytes, 480, 65507)},
      {"batch_max", SizeField(&sc.batch_max, 1, 100000)},
      {"queue_max", SizeField(&sc.queue_max, 1, 100000000)},
      {"buffer_dir", StringField(&sc.buffer_dir)},
      {"buffer_max_bytes", SizeField(&sc.buffer_max_bytes, 1ull << 20, 1ull << 40)},
      {"timeout", DurationField(&sc.timeout)},
      {"flush_interval", DurationField(&sc.flush_interval)},
      {"retry_initial", DurationField(&sc.retry_initial)},
      {"retry_max", DurationField(&sc.retry_max)},
      {"flush_timeout", DurationField(&sc.flush_timeout)},
      {"brokers", StringListField(&sc.brokers)},
      {"topic", StringField(&sc.topic)},
      {"properties", StringMapField(&sc.properties)},
  }));
  if (sc.type.empty())
    return MapReader::Error(path + ".type", "required (stdout, file, http, syslog or kafka)");
  if (sc.type == "kafka" && sc.brokers.empty())
    return MapReader::Error(path + ".brokers", "required for a kafka sink");
  if (sc.type == "kafka" && sc.topic.empty())
    return MapReader::Error(path + ".topic", "required for a kafka sink");
  for (size_t i = 0; i < sc.brokers.size(); ++i) {
    if (!ValidHostPort(sc.brokers[i])) {
      return MapReader::Error(absl::StrCat(path, ".brokers[", i, "]"),
                              absl::StrCat("expected host:port, got ", sc.brokers[i]));
    }
  }
  if (sc.type == "file" && sc.path.empty())
    return MapReader::Error(path + ".path", "required for a file sink");
  if (sc.type == "http" && sc.url.empty())
    return MapReader::Error(path + ".url", "required for an http sink");
  if (sc.type == "http" && sc.url.rfind("http://", 0) != 0 && sc.url.rfind("https://", 0) != 0) {
    return MapReader::Error(path + ".url",
                            absl::StrCat("expected http(s)://host[:port]/path, got ", sc.url));
  }
  if (sc.type == "syslog" && sc.address.empty())
    return MapReader::Error(path + ".address", "required for a syslog sink");
  if (sc.type == "syslog" && !ValidHostPort(sc.address)) {
    return MapReader::Error(path + ".address",
                            absl::StrCat("expected host:port (or [ipv6]:port), got ", sc.address));
  }
  if (!sc.buffer_dir.empty() && (sc.type == "stdout" || sc.type == "file")) {
    return MapReader::Error(path + ".buffer_dir",
                            "only network sinks (http, syslog) have a disk buffer; local writes "
                            "wait instead of dropping");
  }
  if (sc.kind == "elasticsearch" && n["format"].IsDefined() && sc.format != "ecs") {
    return MapReader::Error(path + ".format", "an elasticsearch sink writes ecs documents");
  }
  return absl::OkStatus();
}

absl::StatusOr<Config> FromYaml(const YAML::Node& root) {
  Config c;
  MapReader top(root, "");
  KAUDIT_RETURN_IF_ERROR(top.Read({
      {"cluster_name", StringField(&c.cluster_name)},
      {"detectors_dir", StringField(&c.detectors_dir)},
      {"input",
       [&](const YAML::Node& n, const std::string& p) {
         return MapReader(n, p).Read({
             {"max_event_bytes", SizeField(&c.input.max_event_bytes, 1024, 1ull << 32)},
             {"chunk_bytes", SizeField(&c.input.chunk_bytes, 64 << 10, 1ull << 30)},
             {"max_document_bytes", SizeField(&c.input.max_document_bytes, 1024, 1ull << 36)},
             {"dead_letter_file", StringField(&c.input.dead_letter_file)},
             {"error_log_burst", SizeField(&c.input.error_log_burst, 0, 1000000)},
         });
       }},
      {"engine",
       [&](const YAML::Node& n, const std::string& p) {
         return MapReader(n, p).Read({
             {"dedup_entries", SizeField(&c.engine.dedup_entries, 1024, 1ull << 30)},
             {"allowed_lateness", DurationField(&c.engine.allowed_lateness)},
             {"aggregate_max_keys", SizeField(&c.engine.aggregate_max_keys, 1, 1ull << 24)},
             {"state_dir", StringField(&c.engine.state_dir)},
             {"state_save_interval", DurationField(&c.engine.state_save_interval)},
         });
       }},
      {"output",
       [&](const YAML::Node& n, const std::string& p) {
         return MapReader(n, p).Read({
             {"format",
              [&](const YAML::Node& v, const std::string& vp) -> absl::Status {
                KAUDIT_ASSIGN_OR_RETURN(c.output.format, Scalar(v, vp));
                if (!ParseAlertFormatName(c.output.format)) {
                  return MapReader::Error(
                      vp, absl::StrCat("expected auto, json, text, falco, ecs or hec, got ",
                                       c.output.format));
                }
                return absl::OkStatus();
              }},
             {"file", StringField(&c.output.file)},
             {"flush_timeout", DurationField(&c.output.flush_timeout)},
             {"min_severity",
              [&](const YAML::Node& v, const std::string& vp) -> absl::Status {
                KAUDIT_ASSIGN_OR_RETURN(std::string s, Scalar(v, vp));
                auto sev = ParseSeverity(s);
                if (!sev) {
                  return MapReader::Error(
                      vp, absl::StrCat("expected info, low, medium, high or critical, got ", s));
                }
                c.output.min_severity = *sev;
                return absl::OkStatus();
              }},
         });
       }},
      {"sinks",
       [&](const YAML::Node& n, const std::string& p) -> absl::Status {
         if (n.IsNull()) return absl::OkStatus();
         if (!n.IsSequence()) return MapReader::Error(p, "expected a list of sinks");
         for (size_t i = 0; i < n.size(); ++i) {
           SinkConfig sc;
           KAUDIT_RETURN_IF_ERROR(ReadSink(n[i], absl::StrCat(p, "[", i, "]"), sc));
           if (sc.name.empty()) sc.name = absl::StrCat(sc.type, "-", i);
           c.sinks.push_back(std::move(sc));
         }
         return absl::OkStatus();
       }},
      {"kafka",
       [&](const YAML::Node& n, const std::string& p) { return ReadKafka(n, p, c.kafka); }},
      {"serve",
       [&](const YAML::Node& n, const std::string& p) { return ReadServe(n, p, c.serve); }},
      {"log",
       [&](const YAML::Node& n, const std::string& p) {
         return MapReader(n, p).Read({
             {"format",
              [&](const YAML::Node& v, const std::string& vp) -> absl::Status {
                KAUDIT_ASSIGN_OR_RETURN(std::string s, Scalar(v, vp));
                auto f = ParseLogFormat(s);
                if (!f) return MapReader::Error(vp, absl::StrCat("expected text or json, got ", s));
                c.log.format = *f;
                return absl::OkStatus();
              }},
             {"level",
              [&](const YAML::Node& v, const std::string& vp) -> absl::Status {
                KAUDIT_ASSIGN_OR_RETURN(std::string s, Scalar(v, vp));
                auto l = ParseLogLevel(s);
                if (!l) {
                  return MapReader::Error(
                      vp, absl::StrCat("expected debug, info, warning or error, got ", s));
                }
                c.log.level = *l;
                return absl::OkStatus();
              }},
         });
       }},
      {"detectors",
       [&](const YAML::Node& n, const std::string& p) -> absl::Status {
         if (n.IsNull()) return absl::OkStatus();
         if (!n.IsMap()) return MapReader::Error(p, "expected a mapping of detector ids");
         for (const auto& kv : n) {
           std::string id = kv.first.as<std::string>();
           std::string dpath = absl::StrCat(p, ".", id);
           DetectorParams params(dpath);
           if (!kv.second.IsNull())
             KAUDIT_RETURN_IF_ERROR(FlattenParams(kv.second, "", dpath, params));
           c.detectors.emplace(id, std::move(params));
         }
         return absl::OkStatus();
       }},
  }));
  return c;
}

// One file of detectors_dir: what detectors.<id> holds in the main config, at the top level.
absl::StatusOr<DetectorParams> ReadDetectorFile(const std::string& file) {
  KAUDIT_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(file));
  DetectorParams params = DetectorParams::ForFile(file);
  try {
    YAML::Node root = YAML::Load(text);
    if (root.IsNull()) return params;
    if (!root.IsMap()) {
      return absl::InvalidArgumentError(
          absl::StrCat(file, ": expected a mapping of the detector's tunables"));
    }
    absl::Status s = FlattenParams(root, "", "", params);
    if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat(file, ": ", s.message()));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(file, ":", e.mark.line + 1, ":",
                                                   e.mark.column + 1, ": invalid YAML: ", e.msg));
  }
  return params;
}

bool IsDetectorFileName(const std::string& name) {
  return !name.empty() && name[0] != '.' && (EndsWith(name, ".yaml") || EndsWith(name, ".yml"));
}

// Reads the <id>.yaml / <id>.yml files of c.detectors_dir (resolved against the directory of
// config_path) into c.detectors, in sorted order. Other files are ignored.
absl::Status ReadDetectorsDir(const std::string& config_path, Config& c) {
  namespace fs = std::filesystem;
  fs::path dir(c.detectors_dir);
  if (dir.is_relative()) dir = fs::path(config_path).parent_path() / dir;
  c.detectors_dir = dir.string();
  std::error_code ec;
  std::vector<fs::path> files;
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    if (IsDetectorFileName(it->path().filename().string())) files.push_back(it->path());
  }
  if (ec) {
    return absl::InvalidArgumentError(absl::StrCat(config_path, ": detectors_dir: cannot read ",
                                                   c.detectors_dir, ": ", ec.message()));
  }
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return a.filename().string() < b.filename().string();
  });
  for (const fs::path& f : files) {
    const std::string file = f.string();
    if (!fs::is_regular_file(f, ec)) {
      return absl::InvalidArgumentError(absl::StrCat(file, ": not a regular file"));
    }
    const std::string id = f.stem().string();
    if (auto prev = c.detectors.find(id); prev != c.detectors.end()) {
      const std::string& other_file = prev->second.file();
      return absl::InvalidArgumentError(absl::StrCat(
          file, ": detector ", id, " is also configured in ",
          other_file.empty() ? absl::StrCat(config_path, " (detectors.", id, ")") : other_file,
          "; configure it in one place"));
    }
    KAUDIT_ASSIGN_OR_RETURN(DetectorParams params, ReadDetectorFile(file));
    c.detectors.emplace(id, std::move(params));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Config> LoadConfigString(std::string_view yaml, std::string_view name) {
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    auto c = FromYaml(root);
    if (!c.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(ToAbsl(name), ": ", c.status().message()));
    }
    return c;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(name), ":", e.mark.line + 1, ":",
                                                   e.mark.column + 1, ": invalid YAML: ", e.msg));
  }
}

absl::StatusOr<Config> LoadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open config file"));
  std::stringstream ss;
  ss << in.rdbuf();
  KAUDIT_ASSIGN_OR_RETURN(Config c, LoadConfigString(ss.str(), path));
  if (!c.detectors_dir.empty()) KAUDIT_RETURN_IF_ERROR(ReadDetectorsDir(path, c));
  return c;
}

}  // namespace kaudit
