#pragma once
// IPv4/IPv6 CIDR lists for source-address detectors (threat intelligence, trusted networks).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace kaudit {

class CidrList {
 public:
  // "10.0.0.0/8", "2001:db8::/32" or a bare address (a /32 or /128). `key_path` names the
  // config key in errors.
  [[nodiscard]] static absl::StatusOr<CidrList> Parse(const std::vector<std::string>& cidrs,
                                                      std::string_view key_path);
  // One entry per line; blank lines and '#' comments ignored. Read at startup only.
  [[nodiscard]] static absl::StatusOr<CidrList> ReadFile(const std::string& path,
                                                         std::string_view key_path);
  void Append(const CidrList& other);
  // True if `ip` (textual, as in sourceIPs) is inside one of the networks. No allocation.
  bool Contains(std::string_view ip) const;
  bool empty() const { return nets_.empty(); }
  size_t size() const { return nets_.size(); }

 private:
  struct Net {
    bool v6 = false;
    std::array<uint8_t, 16> addr{};
    int prefix = 0;
  };
  std::vector<Net> nets_;
};

}  // namespace kaudit
