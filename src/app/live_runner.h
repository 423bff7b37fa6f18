#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "src/app/app_common.h"
#include "src/common/context.h"
#include "src/config/config.h"
#include "src/pipeline/live.h"

namespace kaudit {

// Runs a live mode (serve, tail, consume): builds the sinks and the pipeline, starts the
// source, serves /metrics /healthz /readyz (with --metrics-addr), and on SIGTERM or SIGINT
// drains: stop the source, process what was queued, flush the sinks, acknowledge, report,
// exit 0. Also ends when the source is exhausted. The factory gets the loaded config and the
// context (clock, logger) the source must use.
using SourceFactory =
    std::function<absl::StatusOr<std::unique_ptr<LiveSource>>(const Config&, Context)>;
// The engine queue's bounds, from the loaded config (called before the source factory).
using QueueOptions = std::function<absl::StatusOr<LiveOptions>(const Config&)>;
int RunLive(const std::string& mode, const CommonFlags& flags, const QueueOptions& queue,
            const SourceFactory& make_source);

}  // namespace kaudit
