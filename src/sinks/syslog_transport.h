#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/common/context.h"
#include "src/common/rate_limited_log.h"
#include "src/engine/alert.h"
#include "src/sinks/alert_format.h"
#include "src/sinks/queued_sink.h"

namespace kaudit {

// Syslog (RFC 5424) over UDP (RFC 5426, one datagram per alert) or TCP (RFC 6587 octet
// counting: "LEN SP MSG"). Each alert becomes
//   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [kaudit@32473 detector=".." severity=".."
//   auditID=".."] MSG
// PRI = facility * 8 + the alert's severity as a syslog severity (SyslogSeverity), TIMESTAMP the
// alert's event time (RFC 3339, UTC, microseconds), PROCID kaudit's pid, MSGID the detector id,
// MSG the alert in `format`. MSG is UTF-8 without the optional BOM (MSG-ANY in RFC 5424 terms):
// receivers and JSON parsers then take it as is. 32473 is the enterprise number RFC 5612
// reserves for documentation; the SD-ID is kaudit's private one.
enum class SyslogProtocol { kUdp, kTcp };

// The largest UDP payload over IPv4.
inline constexpr size_t kMaxUdpPayload = 65507;

struct SyslogTransportOptions {
  std::string address;  // host:port or [v6addr]:port
  SyslogProtocol protocol = SyslogProtocol::kUdp;
  int facility = 16;  // local0
  std::string app_name = "kaudit";
  std::string hostname;  // "" = this machine's
  AlertFormat format = AlertFormat::kJson;
  FormatOptions format_options;
  // UDP: longer messages are cut to this many bytes (at a UTF-8 boundary), counted and logged.
  // 8 KiB is what rsyslog and syslog-ng accept by default; RFC 5426 only guarantees 480 (2048
  // recommended). TCP frames have no limit.
  size_t max_message_bytes = 8192;
  absl::Duration timeout = absl::Seconds(10);  // TCP connect, and each send
  std::string sink_name = "syslog";            // for log lines
};

// critical->2 (crit), high->3 (err), medium->4 (warning), low->5 (notice), info->6 (info).
int SyslogSeverity(Severity s);

// The header fields of one message that do not come from the alert.
struct SyslogHeader {
  int facility = 16;
  std::string hostname;  // sanitized to printable ASCII by AppendSyslogMessage
  std::string app_name;
  int64_t procid = 0;
};

// Appends one RFC 5424 message (no framing) for `a` with `msg` as its MSG part.
void AppendSyslogMessage(const Alert& a, const SyslogHeader& h, std::string_view msg,
                         std::string& out);
// Appends an SD-PARAM value with '"', '\' and ']' escaped (RFC 5424 section 6.3.3).
void AppendSdParamValue(std::string_view value, std::string& out);
// Appends "LEN SP MSG" (RFC 6587 octet counting).
void AppendOctetCounted(std::string_view msg, std::string& out);
// The longest prefix of `s` of at most `max` bytes that does not split a UTF-8 sequence.
std::string_view TruncateUtf8(std::string_view s, size_t max);

// Splits "host:port" / "[v6]:port"; false when malformed (port must be 1..65535).
bool SplitHostPort(std::string_view address, std::string* host, uint16_t* port);

class SyslogTransport final : public Transport {
 public:
  SyslogTransport(SyslogTransportOptions o, Context ctx);
  ~SyslogTransport() override;
  [[nodiscard]] absl::Status Deliver(std::span<const Alert> batch) override;
  // UDP messages cut to max_message_bytes so far.
  uint64_t truncated() const { return truncated_.load(std::memory_order_relaxed); }

 private:
  [[nodiscard]] absl::Status DeliverUdp(std::span<const Alert> batch);
  [[nodiscard]] absl::Status DeliverTcp(std::span<const Alert> batch);
  [[nodiscard]] absl::Status Resolve(int socktype);
  [[nodiscard]] absl::Status ConnectTcp();
  [[nodiscard]] absl::Status SendAll(std::string_view data);
  bool PeerClosed() const;
  void Close();
  void FormatOne(const Alert& a);

  SyslogTransportOptions opts_;
  const Context ctx_;
  std::string host_;
  uint16_t port_ = 0;
  SyslogHeader header_;
  int fd_ = -1;
  // The resolved destination (sockaddr_storage bytes).
  std::string addr_;
  std::string msg_, line_, buf_;
  std::atomic<uint64_t> truncated_{0};
  LogLimiter truncation_log_;
};

// Validates the options (address syntax, bounds) and builds the transport; it connects on first
// delivery, so a receiver that is down at startup is retried like any failed delivery.
[[nodiscard]] absl::StatusOr<std::unique_ptr<Transport>> NewSyslogTransport(
    SyslogTransportOptions options, Context ctx);

}  // namespace kaudit
