#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace kaudit {

// The tunables of one detector as written in the config (scalars and lists of scalars; nested
// maps are flattened to dotted keys such as "allow.users"). Typed getters validate and record
// which keys were read, so that CheckAllUsed() can reject unknown keys naming their full path
// (e.g. "detectors.secret_enumeration.thresold: unknown key", or for tunables read from a file
// of detectors_dir "configs/detectors/secret_enumeration.yaml: thresold: unknown key").
class DetectorParams {
 public:
  using Value = std::variant<std::string, std::vector<std::string>>;

  explicit DetectorParams(std::string path = "") : path_(std::move(path)) {}

  // Tunables read from a file of their own (config key detectors_dir): keys are named
  // relative to the file, e.g. "configs/detectors/secret_enumeration.yaml: thresold".
  [[nodiscard]] static DetectorParams ForFile(std::string file) {
    DetectorParams p;
    p.file_ = std::move(file);
    return p;
  }

  void Set(std::string key, std::string scalar) { values_[std::move(key)] = std::move(scalar); }
  void SetList(std::string key, std::vector<std::string> list) {
    values_[std::move(key)] = std::move(list);
  }
  bool Has(std::string_view key) const { return values_.count(std::string(key)) > 0; }

  [[nodiscard]] absl::StatusOr<bool> Bool(std::string_view key, bool def);
  [[nodiscard]] absl::StatusOr<int64_t> Int(std::string_view key, int64_t def, int64_t min,
                                            int64_t max);
  [[nodiscard]] absl::StatusOr<absl::Duration> Duration(std::string_view key, absl::Duration def,
                                                        absl::Duration min, absl::Duration max);
  [[nodiscard]] absl::StatusOr<std::string> String(std::string_view key, std::string def);
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> List(std::string_view key,
                                                              std::vector<std::string> def);

  // Error for the first key no getter asked for.
  [[nodiscard]] absl::Status CheckAllUsed() const;

  const std::string& path() const { return path_; }
  // The file these tunables came from ("" = the main config's detectors: map).
  const std::string& file() const { return file_; }
  std::string KeyPath(std::string_view key) const;

 private:
  const Value* Find(std::string_view key);

  std::string path_;
  std::string file_;
  std::map<std::string, Value, std::less<>> values_;
  std::set<std::string, std::less<>> used_;
};

}  // namespace kaudit
