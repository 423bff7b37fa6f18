#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/common/context.h"

namespace kaudit {

struct InputFile {
  std::string path;  // "-" for standard input
  absl::Time order_time = absl::InfinitePast();
};

// Expands the command line's inputs (files, directories, "-") into files in the order their
// events were written: rotated files first, oldest first, the active log last. The order key
// is the rotation timestamp in the name where there is one (lumberjack's
// audit-2026-01-02T03-04-05.678.log[.gz], as kube-apiserver writes), else the numeric suffix of
// logrotate's audit.log.N[.gz] (higher is older), else the file's modification time. Missing
// paths are an error naming the path. Directories contribute their regular, non-hidden files
// named like audit logs (the others are logged as skipped).
[[nodiscard]] absl::StatusOr<std::vector<InputFile>> ExpandInputs(
    const std::vector<std::string>& inputs, Context ctx);

// The rotation time encoded in a lumberjack backup name, if any.
std::optional<absl::Time> RotationTimeFromName(const std::string& filename);

}  // namespace kaudit
