#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kaudit {

// Writes `data` to `path` atomically (path.tmp created with `mode`, rename) and, when
// `durable`, durably (fsync of the file before the rename and of the directory after it): a
// crash leaves the old or the new file. Without `durable` a process crash does, a power loss
// may not (the webhook spool with `fsync: never`). Detector state, the replay, tail and spool
// checkpoints use it.
[[nodiscard]] absl::Status WriteFileAtomically(const std::string& path, std::string_view data,
                                               mode_t mode = 0600, bool durable = true);
// Reads a file; NotFound when it does not exist.
[[nodiscard]] absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

}  // namespace kaudit
