#include "detectors/common/client.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kaudit {
namespace {

TEST(ClientTest, NetworkOfAddresses) {
  std::string out = "stale";
  NetworkOf("10.1.2.3", out);
  EXPECT_EQ(out, "10.1.2.0/24");
  NetworkOf("2001:db8:1:2:3:4:5:6", out);
  EXPECT_EQ(out, "2001:db8:1:2::/64");
  NetworkOf("not-an-ip", out);
  EXPECT_EQ(out, "");
  NetworkOf(std::string(100, '1'), out);
  EXPECT_EQ(out, "");
}

// The IPv4 fast path accepts exactly what inet_pton does: four decimal octets of at most 255
// without leading zeros; anything else goes to (and is judged by) inet_pton.
TEST(ClientTest, NetworkOfIpv4EdgeCases) {
  std::string out;
  for (const auto& [ip, want] :
       std::vector<std::pair<std::string, std::string>>{{"0.0.0.0", "0.0.0.0/24"},
                                                        {"255.255.255.255", "255.255.255.0/24"},
                                                        {"192.168.100.7", "192.168.100.0/24"},
                                                        {"010.1.2.3", ""},
                                                        {"1.02.3.4", ""},
                                                        {"256.1.2.3", ""},
                                                        {"1.2.3.1000", ""},
                                                        {"1.2.3", ""},
                                                        {"1.2.3.4.5", ""},
                                                        {"1.2.3.4 ", ""},
                                                        {"1..2.3", ""},
                                                        {"::ffff:10.1.2.3", "::/64"}}) {
    NetworkOf(ip, out);
    EXPECT_EQ(out, want) << ip;
  }
}

TEST(ClientTest, NetworkOfAnEventWithoutSourceIps) {
  // AuditEvent::SourceIp() of an event without sourceIPs is a default string_view: a null
  // data pointer (found by the detectors fuzz target under UBSan: memcpy from null).
  std::string out = "stale";
  NetworkOf(std::string_view(), out);
  EXPECT_EQ(out, "");
}

TEST(ClientTest, AgentFamily) {
  std::string out;
  AgentFamily("Kubectl/v1.29.0 (linux/amd64) kubernetes/abc", out);
  EXPECT_EQ(out, "kubectl");
  AgentFamily("curl/8.1", out);
  EXPECT_EQ(out, "curl");
  AgentFamily("", out);
  EXPECT_EQ(out, "<none>");
  AgentFamily("Go-HTTP-Client 1.1", out);
  EXPECT_EQ(out, "go-http-client");
  AgentFamily("Python requests/2.31", out);  // a space before the first slash
  EXPECT_EQ(out, "python");
  AgentFamily("/v1", out);
  EXPECT_EQ(out, "<none>");
}

TEST(ClientTest, UserAgentProduct) {
  EXPECT_EQ(UserAgentProduct("kubectl/v1.29.0 (linux/amd64) kubernetes/abc"), "kubectl");
  EXPECT_EQ(UserAgentProduct("Mozilla 5.0"), "Mozilla");
  EXPECT_EQ(UserAgentProduct("curl"), "curl");
  EXPECT_EQ(UserAgentProduct("/v1"), "");
  EXPECT_EQ(UserAgentProduct(""), "");
}

}  // namespace
}  // namespace kaudit
