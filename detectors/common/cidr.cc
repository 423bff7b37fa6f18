#include "detectors/common/cidr.h"

#include <arpa/inet.h>

#include <cstring>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "src/common/strings.h"

namespace kaudit {
namespace {

// Parses a textual address into `out` (4 or 16 bytes); false if it is none.
bool ParseAddr(std::string_view s, bool& v6, std::array<uint8_t, 16>& out) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (s.empty() || s.size() >= sizeof(buf)) return false;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  if (inet_pton(AF_INET, buf, out.data()) == 1) {
    v6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, buf, out.data()) == 1) {
    v6 = true;
    return true;
  }
  return false;
}

bool PrefixEqual(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b, int bits) {
  int full = bits / 8;
  if (std::memcmp(a.data(), b.data(), full) != 0) return false;
  int rest = bits % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

}  // namespace

absl::StatusOr<CidrList> CidrList::Parse(const std::vector<std::string>& cidrs,
                                         std::string_view key_path) {
  CidrList list;
  for (size_t i = 0; i < cidrs.size(); ++i) {
    std::string_view s = cidrs[i];
    size_t slash = s.find('/');
    Net n;
    if (!ParseAddr(s.substr(0, slash), n.v6, n.addr)) {
      return absl::InvalidArgumentError(absl::StrCat(ToAbsl(key_path), "[", i, "]: '", cidrs[i],
                                                     "' is not an IP address or CIDR"));
    }
    const int max = n.v6 ? 128 : 32;
    n.prefix = max;
    if (slash != std::string_view::npos &&
        (!absl::SimpleAtoi(ToAbsl(s.substr(slash + 1)), &n.prefix) || n.prefix < 0 ||
         n.prefix > max)) {
      return absl::InvalidArgumentError(absl::StrCat(ToAbsl(key_path), "[", i, "]: '", cidrs[i],
                                                     "' has an invalid prefix length"));
    }
    list.nets_.push_back(n);
  }
  return list;
}

absl::StatusOr<CidrList> CidrList::ReadFile(const std::string& path, std::string_view key_path) {
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(key_path), ": cannot read '", path, "'"));
  }
  std::vector<std::string> entries;
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view l = absl::StripAsciiWhitespace(line.substr(0, line.find('#')));
    if (!l.empty()) entries.emplace_back(l);
  }
  return Parse(entries, absl::StrCat(ToAbsl(key_path), " (", path, ")"));
}

void CidrList::Append(const CidrList& other) {
  nets_.insert(nets_.end(), other.nets_.begin(), other.nets_.end());
}

bool CidrList::Contains(std::string_view ip) const {
  if (nets_.empty()) return false;
  bool v6 = false;
  std::array<uint8_t, 16> addr{};
  if (!ParseAddr(ip, v6, addr)) return false;
  for (const Net& n : nets_) {
    if (n.v6 == v6 && PrefixEqual(n.addr, addr, n.prefix)) return true;
  }
  return false;
}

}  // namespace kaudit
