#include "src/engine/params.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "src/common/strings.h"
#include "src/common/time_util.h"

namespace kaudit {

std::string DetectorParams::KeyPath(std::string_view key) const {
  if (!file_.empty()) return absl::StrCat(file_, ": ", ToAbsl(key));
  return path_.empty() ? std::string(key) : absl::StrCat(path_, ".", ToAbsl(key));
}

const DetectorParams::Value* DetectorParams::Find(std::string_view key) {
  auto it = values_.find(key);
  if (it == values_.end()) return nullptr;
  used_.insert(std::string(key));
  return &it->second;
}

namespace {
absl::Status TypeError(const std::string& path, std::string_view expected) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": expected ", ToAbsl(expected)));
}
}  // namespace

absl::StatusOr<bool> DetectorParams::Bool(std::string_view key, bool def) {
  const Value* v = Find(key);
  if (v == nullptr) return def;
  const std::string* s = std::get_if<std::string>(v);
  if (s != nullptr && (*s == "true" || *s == "false")) return *s == "true";
  return TypeError(KeyPath(key), "true or false");
}

absl::StatusOr<int64_t> DetectorParams::Int(std::string_view key, int64_t def, int64_t min,
                                            int64_t max) {
  const Value* v = Find(key);
  if (v == nullptr) return def;
  const std::string* s = std::get_if<std::string>(v);
  int64_t out;
  if (s == nullptr || !absl::SimpleAtoi(*s, &out) || out < min || out > max) {
    return TypeError(KeyPath(key), absl::StrCat("an integer in [", min, ", ", max, "]"));
  }
  return out;
}

absl::StatusOr<absl::Duration> DetectorParams::Duration(std::string_view key, absl::Duration def,
                                                        absl::Duration min, absl::Duration max) {
  const Value* v = Find(key);
  if (v == nullptr) return def;
  const std::string* s = std::get_if<std::string>(v);
  if (s == nullptr) return TypeError(KeyPath(key), "a duration such as 90s, 10m, 2h");
  auto d = ParseDurationString(*s);
  if (!d.ok() || *d < min || *d > max) {
    return TypeError(KeyPath(key), absl::StrCat("a duration between ", absl::FormatDuration(min),
                                                " and ", absl::FormatDuration(max)));
  }
  return *d;
}

absl::StatusOr<std::string> DetectorParams::String(std::string_view key, std::string def) {
  const Value* v = Find(key);
  if (v == nullptr) return def;
  const std::string* s = std::get_if<std::string>(v);
  if (s == nullptr) return TypeError(KeyPath(key), "a string");
  return *s;
}

absl::StatusOr<std::vector<std::string>> DetectorParams::List(std::string_view key,
                                                              std::vector<std::string> def) {
  const Value* v = Find(key);
  if (v == nullptr) return def;
  if (const auto* l = std::get_if<std::vector<std::string>>(v)) return *l;
  return TypeError(KeyPath(key), "a list");
}

absl::Status DetectorParams::CheckAllUsed() const {
  for (const auto& [k, v] : values_) {
    if (used_.count(k) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(KeyPath(k), ": unknown key"));
    }
  }
  return absl::OkStatus();
}

}  // namespace kaudit
