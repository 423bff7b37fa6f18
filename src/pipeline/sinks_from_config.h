#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "src/common/context.h"
#include "src/config/config.h"
#include "src/sinks/queued_sink.h"

namespace kaudit {

// Builds every alert destination: the `output` stream (stdout or output.file; `auto` format is
// text on a terminal, JSON otherwise) and each entry of `sinks`. Errors name the config key.
[[nodiscard]] absl::StatusOr<std::unique_ptr<SinkSet>> BuildSinks(const Config& config,
                                                                  bool stdout_is_tty, Context ctx);

}  // namespace kaudit
