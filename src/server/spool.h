#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/common/context.h"

namespace kaudit {

enum class FsyncPolicy { kAlways, kInterval, kNever };
[[nodiscard]] absl::StatusOr<FsyncPolicy> ParseFsyncPolicy(std::string_view s);

struct SpoolOptions {
  std::string dir;
  FsyncPolicy fsync = FsyncPolicy::kInterval;
  uint64_t max_file_bytes = 128ull << 20;  // rotate to a new file above this
  // Retention: above this many bytes of spool files, the oldest files whose every line is
  // settled (before the checkpoint's file) are deleted, at rotation and at each checkpoint.
  // Unsettled lines are never deleted. 0 keeps every file.
  uint64_t max_total_bytes = 8ull << 30;
};

// A place in the spool: a file of the spool directory (its name) and a byte offset in it.
struct SpoolPosition {
  std::string file;
  uint64_t offset = 0;
  bool operator==(const SpoolPosition&) const = default;
};

// The webhook's forensic archive: accepted request bodies appended as JSON lines to rotating
// files named like lumberjack's backups (spool-2026-01-02T03-04-05.678.log), so that
// `kaudit replay DIR` reads them in order. A checkpoint file (.checkpoint, skipped by replay)
// records how far the alerts of spooled batches were settled by the sinks; after a restart the
// lines after it are submitted again. Thread-safe.
class Spool {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Spool>> Open(SpoolOptions options,
                                                                   Context ctx);
  ~Spool();

  // Appends `body` as one line (minified when it holds newlines) and returns the position just
  // after it. On a write error (disk full) the file is cut back to where it was.
  [[nodiscard]] absl::StatusOr<SpoolPosition> Append(std::string_view body);
  // fsync of what was appended so far.
  [[nodiscard]] absl::Status Sync();
  FsyncPolicy fsync_policy() const { return opts_.fsync; }

  // Calls `line` for every complete line after the checkpoint (all lines without one), oldest
  // first, and returns the position after the last one. Call before the first Append().
  [[nodiscard]] absl::StatusOr<SpoolPosition> ReadAfterCheckpoint(
      const std::function<void(std::string line)>& line) const;
  // Atomically records that everything up to `pos` is settled.
  [[nodiscard]] absl::Status WriteCheckpoint(const SpoolPosition& pos);
  [[nodiscard]] absl::StatusOr<SpoolPosition> ReadCheckpoint() const;

  uint64_t bytes_written() const;
  // Bytes in the spool's files now (existing files counted at Open), and what retention
  // deleted.
  uint64_t total_bytes() const;
  uint64_t files_deleted() const;
  uint64_t bytes_deleted() const;

 private:
  struct File;
  Spool(SpoolOptions options, Context ctx);
  [[nodiscard]] absl::Status Rotate();  // requires mu_
  void Prune();                         // requires mu_

  const SpoolOptions opts_;
  const Context ctx_;
  mutable std::mutex mu_;
  std::shared_ptr<File> file_;  // the file being appended to (opened on first Append)
  int64_t last_name_ms_ = 0;    // names strictly increase
  uint64_t bytes_written_ = 0;
  uint64_t total_bytes_ = 0;
  uint64_t files_deleted_ = 0, bytes_deleted_ = 0;
  std::string settled_file_;  // the checkpoint's file: every file named before it is settled
  std::string scratch_;
};

}  // namespace kaudit
