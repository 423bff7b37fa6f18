#include "src/sinks/syslog_transport.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "src/common/strings.h"
#include "src/common/time_util.h"

namespace kaudit {
namespace {

// Appends `s` as an RFC 5424 header field: printable US-ASCII (33..126) only, at most `max`
// characters, "-" (NILVALUE) when empty.
void AppendHeaderField(std::string_view s, size_t max, std::string& out) {
  if (s.empty()) {
    out.push_back('-');
    return;
  }
  size_t n = 0;
  for (char c : s) {
    if (n == max) break;
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 33 && u <= 126 ? c : '_');
    ++n;
  }
}

int PollOne(int fd, short events, absl::Time deadline) {
  for (;;) {
    const int64_t ms = std::max<int64_t>(0, absl::ToInt64Milliseconds(deadline - absl::Now()));
    pollfd p{fd, events, 0};
    const int r = poll(&p, 1, static_cast<int>(std::min<int64_t>(ms, 1 << 30)));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return r;  // 0: timed out
    return p.revents;
  }
}

}  // namespace

int SyslogSeverity(Severity s) {
  switch (s) {
    case Severity::kCritical:
      return 2;
    case Severity::kHigh:
      return 3;
    case Severity::kMedium:
      return 4;
    case Severity::kLow:
      return 5;
    case Severity::kInfo:
      return 6;
  }
  return 4;
}

void AppendSdParamValue(std::string_view value, std::string& out) {
  for (char c : value) {
    if (c == '"' || c == '\\' || c == ']') out.push_back('\\');
    out.push_back(c);
  }
}

void AppendSyslogMessage(const Alert& a, const SyslogHeader& h, std::string_view msg,
                         std::string& out) {
  absl::StrAppend(&out, "<", h.facility * 8 + SyslogSeverity(a.severity), ">1 ");
  if (a.event_time == absl::InfinitePast() || a.event_time == absl::InfiniteFuture()) {
    out.push_back('-');
  } else {
    out += FormatRfc3339Micros(a.event_time);
  }
  out.push_back(' ');
  AppendHeaderField(h.hostname, 255, out);
  out.push_back(' ');
  AppendHeaderField(h.app_name, 48, out);
  out.push_back(' ');
  absl::StrAppend(&out, h.procid, " ");
  AppendHeaderField(a.detector_id, 32, out);
  out += " [kaudit@32473 detector=\"";
  AppendSdParamValue(a.detector_id, out);
  out += "\" severity=\"";
  AppendSdParamValue(SeverityName(a.severity), out);
  out.push_back('"');
  if (!a.audit_ids.empty()) {
    out += " auditID=\"";
    AppendSdParamValue(a.audit_ids.front(), out);
    out.push_back('"');
  }
  out.push_back(']');
  if (!msg.empty()) {
    out.push_back(' ');
    out.append(msg);
  }
}

void AppendOctetCounted(std::string_view msg, std::string& out) {
  absl::StrAppend(&out, msg.size(), " ");
  out.append(msg);
}

std::string_view TruncateUtf8(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  // Back up over continuation bytes (10xxxxxx) to the start of the cut sequence.
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

bool SplitHostPort(std::string_view address, std::string* host, uint16_t* port) {
  std::string_view h, p;
  if (!address.empty() && address.front() == '[') {
    const size_t close = address.find(']');
    if (close == std::string_view::npos || close + 1 >= address.size() ||
        address[close + 1] != ':') {
      return false;
    }
    h = address.substr(1, close - 1);
    p = address.substr(close + 2);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == std::string_view::npos) return false;
    h = address.substr(0, colon);
    p = address.substr(colon + 1);
    if (h.find(':') != std::string_view::npos) return false;  // bare IPv6 needs brackets
  }
  uint32_t v;
  if (h.empty() || p.empty() || !absl::SimpleAtoi(ToAbsl(p), &v) || v == 0 || v > 65535)
    return false;
  *host = std::string(h);
  *port = static_cast<uint16_t>(v);
  return true;
}

SyslogTransport::SyslogTransport(SyslogTransportOptions o, Context ctx)
    : opts_(std::move(o)), ctx_(ctx) {
  header_.facility = opts_.facility;
  header_.hostname = opts_.hostname.empty() ? LocalHostname() : opts_.hostname;
  header_.app_name = opts_.app_name;
  header_.procid = static_cast<int64_t>(getpid());
  if (!SplitHostPort(opts_.address, &host_, &port_)) port_ = 0;  // checked by NewSyslogTransport
}

SyslogTransport::~SyslogTransport() { Close(); }

void SyslogTransport::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

void SyslogTransport::FormatOne(const Alert& a) {
  msg_.clear();
  AppendAlert(a, opts_.format, opts_.format_options, msg_);
  line_.clear();
  AppendSyslogMessage(a, header_, msg_, line_);
}

absl::Status SyslogTransport::Resolve(int socktype) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = socktype;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string port = absl::StrCat(port_);
  const int rc = getaddrinfo(host_.c_str(), port.c_str(), &hints, &res);
  if (rc != 0 || res == nullptr) {
    return absl::UnavailableError(
        absl::StrCat(opts_.address, ": cannot resolve: ", gai_strerror(rc)));
  }
  addr_.assign(reinterpret_cast<const char*>(res->ai_addr), res->ai_addrlen);
  freeaddrinfo(res);
  return absl::OkStatus();
}

absl::Status SyslogTransport::Deliver(std::span<const Alert> batch) {
  return opts_.protocol == SyslogProtocol::kUdp ? DeliverUdp(batch) : DeliverTcp(batch);
}

absl::Status SyslogTransport::DeliverUdp(std::span<const Alert> batch) {
  if (fd_ < 0) {
    if (absl::Status s = Resolve(SOCK_DGRAM); !s.ok()) return s;
    const auto* sa = reinterpret_cast<const sockaddr*>(addr_.data());
    fd_ = socket(sa->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      return absl::UnavailableError(
          absl::StrCat(opts_.address, ": udp socket: ", std::strerror(errno)));
    }
    timeval tv{};
    tv.tv_sec = absl::ToInt64Seconds(opts_.timeout);
    tv.tv_usec = absl::ToInt64Microseconds(opts_.timeout) % 1000000;
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  }
  const auto* sa = reinterpret_cast<const sockaddr*>(addr_.data());
  for (const Alert& a : batch) {
    FormatOne(a);
    std::string_view datagram = line_;
    if (datagram.size() > opts_.max_message_bytes) {
      datagram = TruncateUtf8(datagram, opts_.max_message_bytes);
      const uint64_t n = truncated_.fetch_add(1, std::memory_order_relaxed) + 1;
      ctx_.logger->LogLimited(
          truncation_log_, LogLevel::kWarning, "sink",
          absl::StrCat("sink ", opts_.sink_name, ": syslog message truncated (max_message_bytes)"),
          {LogField("bytes", line_.size()), LogField("truncated_to", datagram.size()),
           LogField("truncated_total", n), LogField("sink", opts_.sink_name).JsonOnly()});
    }
    ssize_t w;
    do {
      w = sendto(fd_, datagram.data(), datagram.size(), MSG_NOSIGNAL, sa,
                 static_cast<socklen_t>(addr_.size()));
    } while (w < 0 && errno == EINTR);
    if (w < 0) {
      const int err = errno;
      Close();  // re-resolve on the retry
      return absl::UnavailableError(
          absl::StrCat(opts_.address, ": udp send: ", std::strerror(err)));
    }
  }
  return absl::OkStatus();
}

absl::Status SyslogTransport::ConnectTcp() {
  if (absl::Status s = Resolve(SOCK_STREAM); !s.ok()) return s;
  const auto* sa = reinterpret_cast<const sockaddr*>(addr_.data());
  fd_ = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) {
    return absl::UnavailableError(
        absl::StrCat(opts_.address, ": tcp socket: ", std::strerror(errno)));
  }
  int rc = connect(fd_, sa, static_cast<socklen_t>(addr_.size()));
  if (rc != 0 && errno != EINPROGRESS) {
    const int err = errno;
    Close();
    return absl::UnavailableError(
        absl::StrCat(opts_.address, ": tcp connect: ", std::strerror(err)));
  }
  if (rc != 0) {
    const int ev = PollOne(fd_, POLLOUT, absl::Now() + opts_.timeout);
    if (ev <= 0) {
      Close();
      return absl::UnavailableError(absl::StrCat(opts_.address, ": tcp connect: timed out after ",
                                                 absl::FormatDuration(opts_.timeout)));
    }
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      Close();
      return absl::UnavailableError(
          absl::StrCat(opts_.address, ": tcp connect: ", std::strerror(err)));
    }
  }
  return absl::OkStatus();
}

bool SyslogTransport::PeerClosed() const {
  // Syslog receivers never write: readable means EOF or an error (a reset connection).
  char c;
  const ssize_t r = recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  if (r == 0) return true;
  if (r < 0) return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
  return false;
}

absl::Status SyslogTransport::SendAll(std::string_view data) {
  const absl::Time deadline = absl::Now() + opts_.timeout;
  while (!data.empty()) {
    const ssize_t w = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (w > 0) {
      data.remove_prefix(static_cast<size_t>(w));
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      const int ev = PollOne(fd_, POLLOUT, deadline);
      if (ev > 0) continue;
      return absl::UnavailableError(absl::StrCat(opts_.address, ": tcp send: timed out after ",
                                                 absl::FormatDuration(opts_.timeout)));
    }
    return absl::UnavailableError(
        absl::StrCat(opts_.address, ": tcp send: ", std::strerror(w < 0 ? errno : EPIPE)));
  }
  return absl::OkStatus();
}

absl::Status SyslogTransport::DeliverTcp(std::span<const Alert> batch) {
  if (fd_ >= 0 && PeerClosed()) Close();
  if (fd_ < 0) {
    if (absl::Status s = ConnectTcp(); !s.ok()) return s;
  }
  buf_.clear();
  for (const Alert& a : batch) {
    FormatOne(a);
    AppendOctetCounted(line_, buf_);
  }
  if (absl::Status s = SendAll(buf_); !s.ok()) {
    Close();  // reconnect on the retry; the receiver may see part of the batch twice
    return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Transport>> NewSyslogTransport(SyslogTransportOptions options,
                                                              Context ctx) {
  std::string host;
  uint16_t port;
  if (!SplitHostPort(options.address, &host, &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected host:port (or [ipv6]:port), got '", options.address, "'"));
  }
  if (options.facility < 0 || options.facility > 23) {
    return absl::InvalidArgumentError(
        absl::StrCat("facility must be 0..23, got ", options.facility));
  }
  if (options.max_message_bytes < 480 || options.max_message_bytes > kMaxUdpPayload) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_message_bytes must be 480..", kMaxUdpPayload, ", got ", options.max_message_bytes));
  }
  return std::unique_ptr<Transport>(new SyslogTransport(std::move(options), ctx));
}

}  // namespace kaudit
