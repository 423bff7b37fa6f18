#include "detectors/common/matcher.h"

#include <re2/re2.h>
#include <re2/set.h>

#include "absl/algorithm/container.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "detectors/common/workloads.h"
#include "src/common/strings.h"

namespace kaudit {

struct PatternSet::Impl {
  Impl() : set(RE2::Options(), RE2::ANCHOR_BOTH) {}
  RE2::Set set;
  // The strings matched (user agents, user names, groups, namespaces) repeat from event to
  // event: a direct-mapped memo of recent answers skips most RE2::Set runs (80-160 ns each).
  // A slot's string keeps its capacity, so a miss allocates only for a longer key than the
  // slot held before.
  static constexpr size_t kMemoSlots = 512;
  static constexpr size_t kMaxMemoKey = 512;  // longer strings are matched every time
  struct Slot {
    std::string key;
    bool used = false;
    bool match = false;
  };
  std::unique_ptr<Slot[]> memo = std::make_unique<Slot[]>(kMemoSlots);
};

PatternSet::PatternSet() : impl_(std::make_unique<Impl>()) {}
PatternSet::~PatternSet() = default;

absl::StatusOr<std::unique_ptr<PatternSet>> PatternSet::Create(
    const std::vector<std::string>& patterns, std::string_view key_path) {
  std::unique_ptr<PatternSet> ps(new PatternSet());
  for (size_t i = 0; i < patterns.size(); ++i) {
    std::string error;
    if (ps->impl_->set.Add(patterns[i], &error) < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          ToAbsl(key_path), "[", i, "]: invalid RE2 pattern '", patterns[i], "': ", error));
    }
  }
  if (!ps->impl_->set.Compile()) {
    return absl::InvalidArgumentError(
        absl::StrCat(ToAbsl(key_path), ": patterns too large to compile"));
  }
  ps->size_ = patterns.size();
  return ps;
}

bool PatternSet::Matches(HashedString hs) const {
  const std::string_view s = hs.text;
  if (size_ == 0) return false;
  if (s.size() > Impl::kMaxMemoKey)
    return impl_->set.Match(re2::StringPiece(s.data(), s.size()), nullptr);
  Impl::Slot& slot = impl_->memo[hs.hash & (Impl::kMemoSlots - 1)];
  if (slot.used && slot.key == s) return slot.match;
  slot.match = impl_->set.Match(re2::StringPiece(s.data(), s.size()), nullptr);
  slot.key.assign(s.data(), s.size());
  slot.used = true;
  return slot.match;
}

absl::StatusOr<std::unique_ptr<PatternSet>> PatternsParam(DetectorParams& p, std::string_view key,
                                                          std::vector<std::string> def) {
  absl::StatusOr<std::vector<std::string>> list = p.List(key, std::move(def));
  if (!list.ok()) return list.status();
  if (list->empty()) return std::unique_ptr<PatternSet>();
  return PatternSet::Create(*list, p.KeyPath(key));
}

absl::StatusOr<std::unique_ptr<AllowList>> AllowList::Create(const Patterns& p,
                                                             std::string_view key_path) {
  auto list = std::make_unique<AllowList>();
  auto make = [&](const std::vector<std::string>& pats, std::string_view sub,
                  std::unique_ptr<PatternSet>& out) -> absl::Status {
    if (pats.empty()) return absl::OkStatus();
    auto ps = PatternSet::Create(pats, absl::StrCat(ToAbsl(key_path), ".", ToAbsl(sub)));
    if (!ps.ok()) return ps.status();
    out = std::move(*ps);
    return absl::OkStatus();
  };
  if (auto s = make(p.users, "users", list->users_); !s.ok()) return s;
  if (auto s = make(p.groups, "groups", list->groups_); !s.ok()) return s;
  if (auto s = make(p.namespaces, "namespaces", list->namespaces_); !s.ok()) return s;
  if (auto s = make(p.images, "images", list->images_); !s.ok()) return s;
  if (!p.source_cidrs.empty()) {
    auto cidrs = CidrList::Parse(p.source_cidrs, absl::StrCat(ToAbsl(key_path), ".source_cidrs"));
    if (!cidrs.ok()) return cidrs.status();
    list->source_cidrs_ = std::move(*cidrs);
  }
  return list;
}

std::string_view ImageRepository(std::string_view image) {
  if (size_t at = image.find('@'); at != std::string_view::npos) image = image.substr(0, at);
  const size_t colon = image.rfind(':');
  const size_t slash = image.rfind('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    image = image.substr(0, colon);
  }
  return image;
}

bool AllowList::ImageAllowed(std::string_view image) const {
  if (image.empty()) return false;
  if (images_->Matches(image)) return true;
  const std::string_view repo = ImageRepository(image);
  return repo.size() != image.size() && images_->Matches(repo);
}

bool AllowList::MatchesAlert(const Alert& alert) const {
  if (!images_) return false;
  for (const auto& [key, value] : alert.fields) {
    if (key == "image") return ImageAllowed(value);
  }
  return false;
}

bool AllowList::Matches(const AuditEvent& e) const {
  if (users_ && e.impersonated_user.empty()) {
    if (users_->Matches(e.HashedUsername())) return true;
  } else if (users_ && users_->Matches(e.HashedUsername()) &&
             users_->Matches(e.impersonated_user)) {
    // When impersonating, both identities must be allowed for the event to be skipped.
    return true;
  }
  if (groups_) {
    for (std::string_view g : e.groups) {
      if (groups_->Matches(g)) return true;
    }
  }
  if (namespaces_ && !e.object.namespace_.empty() && namespaces_->Matches(e.object.namespace_)) {
    return true;
  }
  if (!source_cidrs_.empty() && !e.source_ips.empty() &&
      absl::c_all_of(e.source_ips,
                     [&](std::string_view ip) { return source_cidrs_.Contains(ip); })) {
    return true;
  }
  if (images_ && IsPodSpecWrite(e)) {
    // The pod as written when the response carries it (a patch's body holds only what changed),
    // else the spec the request wrote.
    const PodSpecView* spec = e.ResponsePodSpec();
    bool not_visible = false;
    if (spec == nullptr) spec = WrittenPodSpec(e, &not_visible);
    if (spec != nullptr && !spec->containers.empty() &&
        absl::c_all_of(spec->containers,
                       [&](const ContainerView& c) { return ImageAllowed(c.image); })) {
      return true;
    }
  }
  return false;
}

}  // namespace kaudit
