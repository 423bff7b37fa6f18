#pragma once
// Normalised client attributes for detectors that learn where and with what an identity
// connects (first_seen, sensitive_access_new_terms): the source network of an address and the
// product token of a user agent. Both write into a caller-owned string so that the per-event
// path allocates nothing once its capacity suffices.

#include <string>
#include <string_view>

namespace kaudit {

// The /24 (IPv4) or /64 (IPv6) network of `ip` into `out`: "10.1.2.0/24",
// "2001:db8:1:2::/64"; empty when `ip` is not an address.
void NetworkOf(std::string_view ip, std::string& out);

// The product token of a user agent as written: "kubectl" for
// "kubectl/v1.29.0 (linux/amd64) kubernetes/abc" (up to the first '/' or space).
std::string_view UserAgentProduct(std::string_view ua);

// The product token of a user agent, lowercased ("kubectl" for
// "kubectl/v1.29.0 (linux/amd64) kubernetes/abc"); "<none>" for an empty agent.
void AgentFamily(std::string_view ua, std::string& out);

}  // namespace kaudit
