#include "src/sinks/syslog_transport.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "src/common/time_util.h"
#include "tests/support/test_util.h"

namespace kaudit {
namespace {

Alert TestAlert() {
  Alert a;
  a.detector_id = "pod_exec_attach";
  a.severity = Severity::kHigh;
  a.event_time = *ParseRfc3339("2018-10-26T13:38:34.902914Z");
  a.AddAuditId("abc-123");
  a.message = "m";
  return a;
}

SyslogHeader Header() {
  SyslogHeader h;
  h.facility = 16;
  h.hostname = "node-1";
  h.app_name = "kaudit";
  h.procid = 42;
  return h;
}

TEST(SyslogTransportTest, BuildsAnRfc5424Message) {
  std::string out;
  AppendSyslogMessage(TestAlert(), Header(), R"({"x":1})", out);
  EXPECT_EQ(
      out,
      "<131>1 2018-10-26T13:38:34.902914Z node-1 kaudit 42 pod_exec_attach "
      R"([kaudit@32473 detector="pod_exec_attach" severity="high" auditID="abc-123"] {"x":1})");
}

TEST(SyslogTransportTest, PriIsFacilityTimesEightPlusTheMappedSeverity) {
  EXPECT_EQ(SyslogSeverity(Severity::kCritical), 2);
  EXPECT_EQ(SyslogSeverity(Severity::kHigh), 3);
  EXPECT_EQ(SyslogSeverity(Severity::kMedium), 4);
  EXPECT_EQ(SyslogSeverity(Severity::kLow), 5);
  EXPECT_EQ(SyslogSeverity(Severity::kInfo), 6);
  Alert a = TestAlert();
  SyslogHeader h = Header();
  h.facility = 4;  // auth
  a.severity = Severity::kCritical;
  std::string out;
  AppendSyslogMessage(a, h, "m", out);
  EXPECT_EQ(out.substr(0, 7), "<34>1 2");
  h.facility = 23;  // local7
  a.severity = Severity::kInfo;
  out.clear();
  AppendSyslogMessage(a, h, "m", out);
  EXPECT_EQ(out.substr(0, 8), "<190>1 2");
}

TEST(SyslogTransportTest, EscapesStructuredDataValues) {
  std::string out;
  AppendSdParamValue(R"(a"b\c]d[e)", out);
  EXPECT_EQ(out, R"(a\"b\\c\]d[e)");
  Alert a = TestAlert();
  a.audit_ids = {R"(x"]\)"};
  out.clear();
  AppendSyslogMessage(a, Header(), "m", out);
  EXPECT_NE(out.find(R"(auditID="x\"\]\\"])"), std::string::npos) << out;
}

TEST(SyslogTransportTest, HeaderFieldsAreSanitizedAndNilWhenUnknown) {
  Alert a = TestAlert();
  a.event_time = absl::InfinitePast();
  a.audit_ids.clear();
  a.detector_id = std::string(40, 'd');
  SyslogHeader h = Header();
  h.hostname = "my host";
  h.app_name = "";
  std::string out;
  AppendSyslogMessage(a, h, "", out);
  EXPECT_EQ(out, absl::StrCat("<131>1 - my_host - 42 ", std::string(32, 'd'),
                              " [kaudit@32473 detector=\"", std::string(40, 'd'),
                              "\" severity=\"high\"]"));
}

TEST(SyslogTransportTest, OctetCountingFramesByBytes) {
  std::string out;
  AppendOctetCounted("<1>1 héllo", out);  // é is two bytes
  AppendOctetCounted("x", out);
  EXPECT_EQ(out, "11 <1>1 héllo1 x");
}

TEST(SyslogTransportTest, TruncatesAtUtf8Boundaries) {
  EXPECT_EQ(TruncateUtf8("abc", 5), "abc");
  EXPECT_EQ(TruncateUtf8("abcdef", 3), "abc");
  EXPECT_EQ(TruncateUtf8("ab\xc3\xa9", 3), "ab");  // é not split
  EXPECT_EQ(TruncateUtf8("a\xe2\x82\xac"
                         "b",
                         3),
            "a");  // € not split
  EXPECT_EQ(TruncateUtf8("a\xe2\x82\xac"
                         "b",
                         4),
            "a\xe2\x82\xac");
}

TEST(SyslogTransportTest, SplitsHostPort) {
  std::string h;
  uint16_t p;
  ASSERT_TRUE(SplitHostPort("127.0.0.1:514", &h, &p));
  EXPECT_EQ(h, "127.0.0.1");
  EXPECT_EQ(p, 514);
  ASSERT_TRUE(SplitHostPort("[::1]:6514", &h, &p));
  EXPECT_EQ(h, "::1");
  EXPECT_EQ(p, 6514);
  EXPECT_FALSE(SplitHostPort("host", &h, &p));
  EXPECT_FALSE(SplitHostPort("host:", &h, &p));
  EXPECT_FALSE(SplitHostPort(":514", &h, &p));
  EXPECT_FALSE(SplitHostPort("host:0", &h, &p));
  EXPECT_FALSE(SplitHostPort("host:70000", &h, &p));
  EXPECT_FALSE(SplitHostPort("::1:514", &h, &p));
  SyslogTransportOptions bad;
  bad.address = "nope";
  EXPECT_FALSE(NewSyslogTransport(bad, testing::TestContext()).ok());
}

// A loopback socket bound to an ephemeral port.
int Bind(int type, uint16_t* port) {
  int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) return -1;
  socklen_t len = sizeof(sa);
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  *port = ntohs(sa.sin_port);
  if (type == SOCK_STREAM) listen(fd, 4);
  return fd;
}

// Reads what is available within `ms` milliseconds (one datagram, or stream bytes until EOF).
std::string ReadSome(int fd, int ms) {
  std::string out;
  char buf[70000];
  pollfd p{fd, POLLIN, 0};
  while (poll(&p, 1, ms) > 0) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

TEST(SyslogTransportTest, UdpSendsOneDatagramPerAlertAndTruncatesLongOnes) {
  uint16_t port = 0;
  int rx = Bind(SOCK_DGRAM, &port);
  ASSERT_GE(rx, 0);
  SyslogTransportOptions o;
  o.address = absl::StrCat("127.0.0.1:", port);
  o.hostname = "h";
  o.format = AlertFormat::kText;
  o.max_message_bytes = 600;
  auto t = NewSyslogTransport(o, testing::TestContext());
  ASSERT_TRUE(t.ok()) << t.status();
  Alert small = TestAlert();
  Alert big = TestAlert();
  big.message = std::string(2000, 'x');
  std::vector<Alert> batch = {small, big};
  ASSERT_TRUE((*t)->Deliver(batch).ok());
  char buf[70000];
  pollfd p{rx, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 5000), 1);
  ssize_t n1 = recv(rx, buf, sizeof(buf), 0);
  ASSERT_GT(n1, 0);
  std::string d1(buf, static_cast<size_t>(n1));
  EXPECT_EQ(d1.substr(0, 5), "<131>");
  EXPECT_NE(d1.find(" m [auditID abc-123]"), std::string::npos) << d1;
  ASSERT_EQ(poll(&p, 1, 5000), 1);
  ssize_t n2 = recv(rx, buf, sizeof(buf), 0);
  EXPECT_EQ(n2, 600);
  EXPECT_EQ(static_cast<SyslogTransport*>(t->get())->truncated(), 1u);
  close(rx);
}

TEST(SyslogTransportTest, TcpUsesOctetCountingAndReconnectsAfterTheReceiverWentAway) {
  uint16_t port = 0;
  int lfd = Bind(SOCK_STREAM, &port);
  ASSERT_GE(lfd, 0);
  SyslogTransportOptions o;
  o.address = absl::StrCat("127.0.0.1:", port);
  o.protocol = SyslogProtocol::kTcp;
  o.hostname = "h";
  o.timeout = absl::Seconds(2);
  auto t = NewSyslogTransport(o, testing::TestContext());
  ASSERT_TRUE(t.ok()) << t.status();
  std::vector<Alert> batch = {TestAlert(), TestAlert()};
  ASSERT_TRUE((*t)->Deliver(batch).ok());
  pollfd p{lfd, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 5000), 1);
  int c1 = accept(lfd, nullptr, nullptr);
  ASSERT_GE(c1, 0);
  std::string got = ReadSome(c1, 300);
  std::string one;
  AppendSyslogMessage(TestAlert(),
                      {.facility = 16,
                       .hostname = "h",
                       .app_name = "kaudit",
                       .procid = static_cast<int64_t>(getpid())},
                      "", one);
  // The MSG part is the JSON alert: check the frames' lengths and prefixes.
  size_t sp = got.find(' ');
  ASSERT_NE(sp, std::string::npos);
  size_t len = std::stoul(got.substr(0, sp));
  std::string first = got.substr(sp + 1, len);
  EXPECT_EQ(first.substr(0, one.size()), one);
  EXPECT_EQ(first.back(), '}');
  std::string rest = got.substr(sp + 1 + len);
  EXPECT_EQ(rest, absl::StrCat(len, " ", first));
  close(c1);  // the receiver restarts

  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::vector<Alert> again = {TestAlert()};
  ASSERT_TRUE((*t)->Deliver(again).ok());
  ASSERT_EQ(poll(&p, 1, 5000), 1);
  int c2 = accept(lfd, nullptr, nullptr);
  ASSERT_GE(c2, 0);
  EXPECT_EQ(ReadSome(c2, 300), absl::StrCat(len, " ", first));
  close(c2);
  close(lfd);

  // Nobody listening: an error, so that QueuedSink retries.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE((*t)->Deliver(again).ok());
}

}  // namespace
}  // namespace kaudit
