#include "tests/support/test_util.h"

#include <stdlib.h>
#include <zlib.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace kaudit::testing {

Context TestContext() {
  static const RealClock clock;
  static const Logger logger(LoggerOptions{LogFormat::kText, LogLevel::kDebug, 2, &clock});
  return Context{&clock, &logger};
}

std::string SourcePath(std::string_view relative) {
  return std::string(KAUDIT_SOURCE_DIR) + "/" + std::string(relative);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

std::string WithoutDetectionTimes(std::string_view alerts) {
  static constexpr std::string_view kKey = R"(,"detection_time":")";
  std::string out;
  out.reserve(alerts.size());
  size_t at = 0;
  for (size_t p = alerts.find(kKey); p != std::string_view::npos; p = alerts.find(kKey, at)) {
    const size_t end = alerts.find('"', p + kKey.size());
    if (end == std::string_view::npos) break;
    out.append(alerts.substr(at, p - at));
    at = end + 1;
  }
  out.append(alerts.substr(at));
  return out;
}

std::string GzipCompress(std::string_view data) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string TempDir() {
  const char* base = getenv("TMPDIR");
  std::string tmpl = std::string(base ? base : "/tmp") + "/kaudit_test_XXXXXX";
  char* dir = mkdtemp(tmpl.data());
  return dir ? std::string(dir) : std::string();
}

void CollectingHandler::OnEvent(AuditEvent& e) {
  OwnedEvent o;
  o.audit_id = e.audit_id;
  o.verb = e.verb_text;
  o.username = e.username;
  o.impersonated_user = e.impersonated_user;
  o.user_agent = e.user_agent;
  o.request_uri = e.request_uri;
  o.stage = e.stage;
  o.level = e.level;
  o.groups.assign(e.groups.begin(), e.groups.end());
  o.source_ips.assign(e.source_ips.begin(), e.source_ips.end());
  o.resource = e.object.resource;
  o.subresource = e.object.subresource;
  o.namespace_ = e.object.namespace_;
  o.name = e.object.name;
  o.api_group = e.object.api_group;
  o.code = e.response_code;
  o.decision = e.decision;
  o.authz_reason = e.authz_reason;
  o.request_object = e.request_object;
  o.response_object = e.response_object;
  o.user_extra = e.user_extra;
  o.stage_timestamp = e.stage_timestamp;
  o.request_received = e.request_received;
  o.raw_size = e.raw.size();
  events.push_back(std::move(o));
}

void CollectingHandler::OnInvalid(InvalidReason reason, const Location& where,
                                  std::string_view detail, std::string_view raw) {
  invalid.push_back({reason, std::string(where.source), where.line, where.item, std::string(detail),
                     std::string(raw)});
}

CollectingHandler ParseString(std::string_view data, ReaderOptions opts, std::string_view name) {
  CollectingHandler h;
  EventReader reader(opts);
  reader.ParseBuffer(data, name, h);
  return h;
}

}  // namespace kaudit::testing
