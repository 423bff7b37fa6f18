#include "detectors/common/client.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace kaudit {

namespace {
// The length of `ip` up to and including its third dot when it is a dotted-quad IPv4 address
// in the form inet_pton accepts (four decimal octets of at most 255, no leading zeros), else 0.
size_t Ipv4ThirdDotEnd(std::string_view ip) {
  size_t i = 0, third_dot_end = 0;
  for (int octet = 0; octet < 4; ++octet) {
    const size_t start = i;
    unsigned value = 0;
    while (i < ip.size() && ip[i] >= '0' && ip[i] <= '9' && i - start < 3) {
      value = value * 10 + static_cast<unsigned>(ip[i] - '0');
      ++i;
    }
    const size_t digits = i - start;
    if (digits == 0 || value > 255 || (digits > 1 && ip[start] == '0')) return 0;
    if (octet < 3) {
      if (i >= ip.size() || ip[i] != '.') return 0;
      ++i;
      if (octet == 2) third_dot_end = i;
    }
  }
  return i == ip.size() ? third_dot_end : 0;
}
}  // namespace

void NetworkOf(std::string_view ip, std::string& out) {
  out.clear();
  // The common case without inet_pton's copy and formatting: "10.1.2.3" -> "10.1.2." + "0/24".
  if (const size_t n = Ipv4ThirdDotEnd(ip); n > 0) {
    out.append(ip.data(), n);
    out.append("0/24");
    return;
  }
  char s[INET6_ADDRSTRLEN + 1];
  // Empty (no sourceIPs: a null data pointer, which memcpy must not get) or longer than any
  // address text.
  if (ip.empty() || ip.size() >= sizeof(s)) return;
  std::memcpy(s, ip.data(), ip.size());
  s[ip.size()] = '\0';
  unsigned char buf[16];
  char text[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, s, buf) == 1) {
    absl::StrAppend(&out, buf[0], ".", buf[1], ".", buf[2], ".0/24");
    return;
  }
  if (inet_pton(AF_INET6, s, buf) == 1) {
    std::fill(buf + 8, buf + 16, 0);
    if (inet_ntop(AF_INET6, buf, text, sizeof(text)) == nullptr) return;
    absl::StrAppend(&out, text, "/64");
  }
}

std::string_view UserAgentProduct(std::string_view ua) {
  // Two vectorised memchr scans (find_first_of would call memchr once per character).
  if (ua.empty()) return ua;
  size_t end = ua.size();
  if (const void* p = std::memchr(ua.data(), '/', end)) {
    end = static_cast<size_t>(static_cast<const char*>(p) - ua.data());
  }
  if (const void* p = std::memchr(ua.data(), ' ', end)) {
    end = static_cast<size_t>(static_cast<const char*>(p) - ua.data());
  }
  return ua.substr(0, end);
}

void AgentFamily(std::string_view ua, std::string& out) {
  out.assign(UserAgentProduct(ua));
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (out.empty()) out = "<none>";
}

}  // namespace kaudit
