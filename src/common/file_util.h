#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kaudit {

// Writes `data` to `path` atomically and durably (path.tmp created with `mode`, fsync, rename,
// fsync of the directory): a crash leaves the old or the new file. Detector state, the replay
// checkpoint and the tail checkpoint use it.
[[nodiscard]] absl::Status WriteFileAtomically(const std::string& path, std::string_view data,
                                               mode_t mode = 0600);
// Reads a file; NotFound when it does not exist.
[[nodiscard]] absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

}  // namespace kaudit
