#pragma once
// The checkpoint of `kaudit replay --checkpoint FILE` (issue #8): where a replay of a fixed
// list of inputs stands, so that a replay killed at any point continues where it was instead of
// starting over, and its primary alert output ends with neither lost nor duplicated alerts.
//
//   kaudit-replay-checkpoint 1
//   input <dev> <ino> <fp_len> <fp_crc> <size> <path>     one per input, in replay order
//   file <index>                                          the input being read
//   offset <bytes>                                        next unread record (decompressed)
//   output_bytes <bytes>                                  size of `output` at that point
//   output <path>                                         primary alert output ("" = stdout)
//   counter <name> <value>                                the summary's counters so far
//   state <detector id> <bytes>\n<bytes of state>\n       persistent detector state
//   end
//
// Written atomically (temporary file, fsync, rename) by WriteReplayCheckpoint.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/pipeline/summary.h"
#include "src/tail/checkpoint.h"

namespace kaudit {

// One input file as it was when the replay started: its identity (device, inode and a CRC-32
// of its first kFingerprintBytes, as tail uses) and its size.
struct ReplayInput {
  std::string path;
  FileIdentity id;
  uint64_t size = 0;
};

struct ReplayCheckpoint {
  std::vector<ReplayInput> inputs;
  uint64_t file = 0;    // index into inputs of the file being read
  uint64_t offset = 0;  // byte offset of its next unread record (decompressed for gzip)
  std::string output;   // the primary alert output file ("" = stdout: not cut back)
  uint64_t output_bytes = 0;
  // Counters of the summary up to this point, all runs together (see SummaryCounters).
  std::vector<std::pair<std::string, uint64_t>> counters;
  // Persistent detector state at this point: (detector id, engine.state_dir file contents).
  std::vector<std::pair<std::string, std::string>> state;
};

// The identity and size of `path` now. Errors name the path.
[[nodiscard]] absl::StatusOr<ReplayInput> IdentifyInput(const std::string& path);

// An error naming the first input of `now` that is not the checkpoint's (another file list,
// another file at a path, a file that shrank), or OK when `now` is the checkpointed list.
[[nodiscard]] absl::Status CheckSameInputs(const ReplayCheckpoint& cp,
                                           const std::vector<ReplayInput>& now,
                                           const std::string& checkpoint_path);

[[nodiscard]] absl::Status WriteReplayCheckpoint(const std::string& path,
                                                 const ReplayCheckpoint& cp);
// The checkpoint at `path`; nullopt when there is none. A damaged file is an error naming it.
[[nodiscard]] absl::StatusOr<std::optional<ReplayCheckpoint>> ReadReplayCheckpoint(
    const std::string& path);

// The summary's cumulative counters as (name, value) pairs, and back: AddSummaryCounters adds
// a previous run's counters (from a checkpoint) into `s`. Gauges (state entries, sinks' queue
// depths) are not counters and stay those of this run; last_event_time is kept as a counter
// of nanoseconds and merged as a maximum.
std::vector<std::pair<std::string, uint64_t>> SummaryCounters(const RunSummary& s);
void AddSummaryCounters(const std::vector<std::pair<std::string, uint64_t>>& counters,
                        RunSummary& s);

}  // namespace kaudit
