#include "detectors/common/client.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace kaudit {

void NetworkOf(std::string_view ip, std::string& out) {
  out.clear();
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

void AgentFamily(std::string_view ua, std::string& out) {
  size_t end = ua.find_first_of("/ ");
  out.assign(ua.substr(0, end));
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (out.empty()) out = "<none>";
}

}  // namespace kaudit
