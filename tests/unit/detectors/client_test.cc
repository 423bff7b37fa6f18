#include "detectors/common/client.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

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
}

}  // namespace
}  // namespace kaudit
