#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "detectors/common/cidr.h"
#include "src/engine/detector.h"
#include "src/engine/params.h"

namespace kaudit {

// A set of RE2 patterns, each matching a whole string (RE2::Set, anchored at both ends).
// The only place kaudit uses RE2. Matches() memoises recent answers and is therefore not
// thread-safe: a PatternSet belongs to one detector, which runs on one engine thread.
class PatternSet {
 public:
  // `key_path` names the config key in errors ("detectors.pod_exec.allow.users[2]: ...").
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<PatternSet>> Create(
      const std::vector<std::string>& patterns, std::string_view key_path);
  ~PatternSet();
  bool Matches(std::string_view s) const { return Matches(HashedString{s, HashText(s)}); }
  // With the string's hash computed already (AuditEvent::HashedUsername, HashedUserAgent).
  bool Matches(HashedString s) const;
  size_t size() const { return size_; }

 private:
  PatternSet();
  struct Impl;
  std::unique_ptr<Impl> impl_;
  size_t size_ = 0;
};

// The patterns of the list tunable `key` (default `def`), compiled; nullptr when the list is
// empty (matches nothing). Errors name the key path.
[[nodiscard]] absl::StatusOr<std::unique_ptr<PatternSet>> PatternsParam(
    DetectorParams& p, std::string_view key, std::vector<std::string> def);

// An allow-list over events: an event matches if its acting user, any of its groups, or its
// namespace matches one of the configured patterns, if every one of its source IPs is inside
// `source_cidrs` (all of them: the first ones come from X-Forwarded-For, which the client
// writes), or if it writes a pod spec whose every container image matches `images`. An alert
// matches (MatchesAlert) if the container image it names matches `images`.
class AllowList final : public EventFilter {
 public:
  struct Patterns {
    std::vector<std::string> users, groups, namespaces;
    std::vector<std::string> source_cidrs;  // "10.0.0.0/8", "2001:db8::/32", bare addresses
    // Matched against an image as written ("quay.io/cilium/cilium:v1.15.1@sha256:...") and
    // against its repository, without tag and digest ("quay.io/cilium/cilium").
    std::vector<std::string> images;
  };
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<AllowList>> Create(const Patterns& patterns,
                                                                         std::string_view key_path);
  bool Matches(const AuditEvent& e) const override;
  bool MatchesAlert(const Alert& alert) const override;
  bool empty() const {
    return !users_ && !groups_ && !namespaces_ && source_cidrs_.empty() && !images_;
  }

 private:
  bool ImageAllowed(std::string_view image) const;

  std::unique_ptr<PatternSet> users_, groups_, namespaces_, images_;
  CidrList source_cidrs_;
};

// An image reference without its digest ("@sha256:...") and tag (":v1"; a colon before the last
// slash is a registry's port): "registry:5000/team/app:1.0" -> "registry:5000/team/app".
std::string_view ImageRepository(std::string_view image);

}  // namespace kaudit
