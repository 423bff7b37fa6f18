// The syslog sink end to end: the real kaudit binary sends a replay's alerts to loopback UDP and
// TCP receivers opened here; each message is parsed as RFC 5424 (TCP frames with RFC 6587
// octet counting) and its MSG checked with jq. Reads are bounded by poll timeouts.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/support/process.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

using ::testing::HasSubstr;
using testing::ReadFile;
using testing::RunKaudit;
using testing::RunProcess;
using testing::SourcePath;
using testing::WriteFile;

// A loopback socket (UDP, or a listening TCP socket) on `port` (0 = ephemeral).
int Bind(int type, uint16_t* port) {
  int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(*port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    close(fd);
    return -1;
  }
  socklen_t len = sizeof(sa);
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  *port = ntohs(sa.sin_port);
  if (type == SOCK_STREAM && listen(fd, 16) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool Readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, timeout_ms) == 1;
}

// Every datagram waiting on `fd` (the sender has exited, so all of them are queued).
std::vector<std::string> ReadDatagrams(int fd) {
  std::vector<std::string> out;
  char buf[70000];
  while (Readable(fd, out.empty() ? 5000 : 200)) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0) break;
    out.emplace_back(buf, static_cast<size_t>(n));
  }
  return out;
}

// Accepts every connection made to `lfd` and reads each to EOF; returns the concatenated bytes
// of each connection.
std::vector<std::string> ReadStreams(int lfd) {
  std::vector<std::string> out;
  char buf[65536];
  while (Readable(lfd, out.empty() ? 5000 : 200)) {
    int c = accept(lfd, nullptr, nullptr);
    if (c < 0) break;
    std::string data;
    while (Readable(c, 5000)) {
      ssize_t n = recv(c, buf, sizeof(buf), 0);
      if (n <= 0) break;
      data.append(buf, static_cast<size_t>(n));
    }
    close(c);
    out.push_back(std::move(data));
  }
  return out;
}

// Splits an RFC 6587 octet-counted stream ("LEN SP MSG"...); false when malformed.
bool Unframe(std::string_view s, std::vector<std::string>* msgs) {
  while (!s.empty()) {
    size_t sp = s.find(' ');
    size_t len;
    if (sp == std::string_view::npos || !absl::SimpleAtoi(std::string(s.substr(0, sp)), &len) ||
        sp + 1 + len > s.size()) {
      return false;
    }
    msgs->emplace_back(s.substr(sp + 1, len));
    s.remove_prefix(sp + 1 + len);
  }
  return true;
}

struct SyslogMessage {
  int pri = -1;
  std::string version, timestamp, hostname, app_name, procid, msgid, sd_id;
  std::map<std::string, std::string> params;  // unescaped
  std::string msg;
};

// Parses "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD-ID k="v"...] MSG".
bool Parse(const std::string& m, SyslogMessage* out) {
  size_t close = m.find('>');
  if (m.empty() || m[0] != '<' || close == std::string::npos ||
      !absl::SimpleAtoi(m.substr(1, close - 1), &out->pri)) {
    return false;
  }
  size_t pos = close + 1;
  std::string* fields[] = {&out->version,  &out->timestamp, &out->hostname,
                           &out->app_name, &out->procid,    &out->msgid};
  for (std::string* f : fields) {
    size_t sp = m.find(' ', pos);
    if (sp == std::string::npos) return false;
    *f = m.substr(pos, sp - pos);
    pos = sp + 1;
  }
  if (pos >= m.size() || m[pos] != '[') return false;
  size_t sp = m.find(' ', pos);
  out->sd_id = m.substr(pos + 1, sp - pos - 1);
  pos = sp + 1;
  while (pos < m.size() && m[pos] != ']') {
    size_t eq = m.find("=\"", pos);
    if (eq == std::string::npos) return false;
    std::string key = m.substr(pos, eq - pos), value;
    pos = eq + 2;
    while (pos < m.size() && m[pos] != '"') {
      if (m[pos] == '\\' && pos + 1 < m.size()) ++pos;
      value.push_back(m[pos++]);
    }
    if (pos >= m.size()) return false;
    ++pos;  // closing quote
    if (pos < m.size() && m[pos] == ' ') ++pos;
    out->params[key] = value;
  }
  if (pos >= m.size()) return false;
  ++pos;  // ']'
  if (pos < m.size() && m[pos] == ' ') out->msg = m.substr(pos + 1);
  return true;
}

bool Jq(const std::string& json, const std::string& filter) {
  auto r = RunProcess({"/usr/bin/jq", "-e", filter}, json);
  if (r.exit_code != 0) std::cerr << "jq exit " << r.exit_code << ": " << r.err << r.out << "\n";
  return r.exit_code == 0;
}

std::string Events() {
  std::string out;
  for (const char* f : {"tests/data/falco/k8s_audit__exec_pod.json",
                        "tests/data/falco/k8s_audit__anonymous_creates_namespace_foo.json"}) {
    for (absl::string_view l : absl::StrSplit(ReadFile(SourcePath(f)), '\n', absl::SkipEmpty()))
      absl::StrAppend(&out, l, "\n");
  }
  return out;
}

int SyslogSev(const std::string& name) {
  static const std::map<std::string, int> kMap = {
      {"critical", 2}, {"high", 3}, {"medium", 4}, {"low", 5}, {"info", 6}};
  auto it = kMap.find(name);
  return it == kMap.end() ? -1 : it->second;
}

// Checks one message as kaudit sends it with `facility`.
void CheckMessage(const std::string& raw, int facility, const std::string& app_name,
                  std::map<std::string, int>* by_detector) {
  SyslogMessage m;
  ASSERT_TRUE(Parse(raw, &m)) << raw;
  EXPECT_EQ(m.version, "1");
  EXPECT_THAT(
      m.timestamp,
      ::testing::MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z"));
  EXPECT_EQ(m.hostname, "test-host");
  EXPECT_EQ(m.app_name, app_name);
  EXPECT_THAT(m.procid, ::testing::MatchesRegex("[0-9]+"));
  EXPECT_EQ(m.sd_id, "kaudit@32473");
  EXPECT_EQ(m.msgid, m.params["detector"]);
  EXPECT_EQ(m.pri, facility * 8 + SyslogSev(m.params["severity"])) << raw;
  EXPECT_FALSE(m.params["auditID"].empty()) << raw;
  EXPECT_TRUE(
      Jq(m.msg, absl::StrCat(R"(.detector==")", m.msgid, R"(" and .severity==")",
                             m.params["severity"], R"(" and .audit_ids[0]==")", m.params["auditID"],
                             R"(" and .time==")", m.timestamp, R"(")")))
      << m.msg;
  ++(*by_detector)[m.msgid];
}

TEST(SyslogSinkTest, UdpAndTcpReceiversGetEveryAlertAsRfc5424) {
  uint16_t udp_port = 0, tcp_port = 0;
  int udp = Bind(SOCK_DGRAM, &udp_port);
  int tcp = Bind(SOCK_STREAM, &tcp_port);
  ASSERT_GE(udp, 0);
  ASSERT_GE(tcp, 0);
  std::string tmp = testing::TempDir();
  WriteFile(tmp + "/events.log", Events());
  WriteFile(tmp + "/kaudit.yaml", absl::StrCat(R"(
output: {file: ")",
                                               tmp, R"(/alerts.jsonl"}
sinks:
  - {name: udp, type: syslog, address: "127.0.0.1:)",
                                               udp_port, R"(", hostname: test-host}
  - {name: tcp, type: syslog, protocol: tcp, address: "127.0.0.1:)",
                                               tcp_port, R"(", facility: auth, app_name: kaudit-tcp,
     hostname: test-host, batch_max: 2}
)"));
  auto r = RunKaudit({"replay", "-c", tmp + "/kaudit.yaml", "--min-severity", "medium",
                      "--summary-file", tmp + "/s.json", "--no-progress", tmp + "/events.log"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> alerts;
  for (absl::string_view l :
       absl::StrSplit(ReadFile(tmp + "/alerts.jsonl"), '\n', absl::SkipEmpty()))
    alerts.emplace_back(l);
  ASSERT_GE(alerts.size(), 2u);

  auto datagrams = ReadDatagrams(udp);
  ASSERT_EQ(datagrams.size(), alerts.size());
  std::map<std::string, int> udp_detectors;
  for (const auto& d : datagrams) CheckMessage(d, 16, "kaudit", &udp_detectors);
  EXPECT_EQ(udp_detectors["pod_exec_attach"], 1);
  EXPECT_EQ(udp_detectors["anonymous_request_allowed"], 1);

  auto streams = ReadStreams(tcp);
  ASSERT_EQ(streams.size(), 1u);  // one connection for every batch
  std::vector<std::string> msgs;
  ASSERT_TRUE(Unframe(streams[0], &msgs)) << streams[0];
  ASSERT_EQ(msgs.size(), alerts.size());
  std::map<std::string, int> tcp_detectors;
  for (const auto& m : msgs) CheckMessage(m, 4, "kaudit-tcp", &tcp_detectors);
  EXPECT_EQ(tcp_detectors, udp_detectors);
  // The MSG is the alert exactly as the json output writes it.
  for (const auto& a : alerts) {
    int found = 0;
    for (const auto& m : msgs) found += m.size() > a.size() && m.ends_with(" " + a);
    EXPECT_EQ(found, 1) << a;
  }

  std::string summary = ReadFile(tmp + "/s.json");
  EXPECT_THAT(summary, HasSubstr(absl::StrCat(R"("udp":{"accepted":)", alerts.size(),
                                              R"(,"filtered":0,"sent":)", alerts.size())));
  EXPECT_THAT(summary, HasSubstr(absl::StrCat(R"("tcp":{"accepted":)", alerts.size(),
                                              R"(,"filtered":0,"sent":)", alerts.size())));
  close(udp);
  close(tcp);
}

TEST(SyslogSinkTest, ALateTcpReceiverGetsEverythingAfterRetries) {
  uint16_t port = 0;
  {
    int probe = Bind(SOCK_STREAM, &port);  // a free port, left closed while kaudit starts
    ASSERT_GE(probe, 0);
    close(probe);
  }
  std::string tmp = testing::TempDir();
  WriteFile(tmp + "/events.log", Events());
  WriteFile(tmp + "/kaudit.yaml", absl::StrCat(R"(
output: {file: ")",
                                               tmp, R"(/alerts.jsonl"}
sinks:
  - {name: late, type: syslog, protocol: tcp, address: "127.0.0.1:)",
                                               port, R"(", hostname: test-host, batch_max: 1,
     retry_initial: 50ms, retry_max: 200ms, timeout: 1s, flush_timeout: 30s}
)"));
  testing::ProcessResult r;
  std::thread run([&] {
    r = RunKaudit({"replay", "-c", tmp + "/kaudit.yaml", "--min-severity", "medium",
                   "--summary-file", tmp + "/s.json", "--no-progress", tmp + "/events.log"});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // kaudit retries meanwhile
  int lfd = Bind(SOCK_STREAM, &port);
  run.join();
  ASSERT_GE(lfd, 0);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  size_t alerts = 0;
  for (absl::string_view l :
       absl::StrSplit(ReadFile(tmp + "/alerts.jsonl"), '\n', absl::SkipEmpty())) {
    (void)l;
    ++alerts;
  }
  std::vector<std::string> msgs;
  for (const auto& s : ReadStreams(lfd)) ASSERT_TRUE(Unframe(s, &msgs)) << s;
  EXPECT_EQ(msgs.size(), alerts);
  std::map<std::string, int> detectors;
  for (const auto& m : msgs) CheckMessage(m, 16, "kaudit", &detectors);
  EXPECT_EQ(detectors["pod_exec_attach"], 1);
  EXPECT_THAT(r.err, HasSubstr("sink late: delivery failed, will retry"));
  std::string summary = ReadFile(tmp + "/s.json");
  EXPECT_THAT(summary, HasSubstr(absl::StrCat(R"("late":{"accepted":)", alerts,
                                              R"(,"filtered":0,"sent":)", alerts)));
  EXPECT_THAT(summary, HasSubstr(R"("dropped_queue_full":0,"dropped_shutdown":0)"));
  close(lfd);
}

TEST(SyslogSinkTest, BadSyslogConfigNamesTheKey) {
  std::string tmp = testing::TempDir();
  WriteFile(tmp + "/a.yaml", "sinks:\n  - {type: syslog}\n");
  auto a = RunKaudit({"check-config", tmp + "/a.yaml"});
  EXPECT_EQ(a.exit_code, 1);
  EXPECT_THAT(a.err, HasSubstr("sinks[0].address: required for a syslog sink"));
  WriteFile(tmp + "/b.yaml", "sinks:\n  - {type: syslog, address: 'h:514', protocol: tls}\n");
  auto b = RunKaudit({"check-config", tmp + "/b.yaml"});
  EXPECT_THAT(b.err, HasSubstr("sinks[0].protocol: expected one of udp, tcp; got tls"));
  WriteFile(tmp + "/c.yaml", "sinks:\n  - {type: syslog, address: 'h:514', facility: lokal0}\n");
  auto c = RunKaudit({"check-config", tmp + "/c.yaml"});
  EXPECT_THAT(c.err, HasSubstr("sinks[0].facility: expected a syslog facility"));
}

}  // namespace
}  // namespace kaudit
