#pragma once

#include <zlib.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/common/context.h"
#include "src/tail/checkpoint.h"

namespace kaudit {

struct FollowerOptions {
  std::string path;             // the active log, e.g. /var/log/kubernetes/audit/audit.log
  bool from_beginning = false;  // without a resume position: read PATH from 0 (else its end)
  uint64_t max_line_bytes = 16ull << 20;  // a longer line is skipped to its newline, counted
  uint64_t chunk_bytes = 1ull << 20;      // bytes read at a time; a run of lines is about this
  // Rotated siblings modified this long before the current file was opened still count as
  // newer than it (file system timestamps are coarse).
  absl::Duration mtime_slack = absl::Seconds(2);
  // Required: the clock (when a file was opened, for rotation discovery) and the logger.
  Context ctx;
};

// Where the next unread line is, and what is needed to find it again after a restart.
struct TailPosition {
  FileIdentity file;
  uint64_t offset = 0;
  bool skipping = false;
  int64_t opened_unix = 0;  // when the current file was first opened (seconds)
  // Fingerprints of files read completely lately (bounded), so that a rotated or gzipped copy
  // of them is not read again.
  std::vector<FileIdentity> seen;
};

struct FollowerStats {
  uint64_t bytes_read = 0;
  uint64_t lines = 0;
  uint64_t rotations_rename = 0;
  uint64_t rotations_truncate = 0;
  uint64_t oversize_lines = 0;
  uint64_t checkpoint_not_found = 0;  // resume position's file was gone: read PATH from 0
  uint64_t truncate_unrecovered = 0;  // truncations without a copy to finish the old content
  uint64_t lag_bytes = 0;             // unread bytes of the current file (and queued backups)
  uint64_t partial_line_bytes = 0;    // bytes of an unfinished last line held back
  uint64_t files_pending = 0;         // rotated files queued before the active one
};

// Follows one audit log across rename rotation (lumberjack, logrotate `create`) and
// copy-truncate, returning runs of complete lines. Never returns a line twice or a part of
// one; an unfinished last line is held until its newline arrives. Not thread-safe; no
// blocking: the caller waits for inotify or a timer between calls that return false.
class FileFollower {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<FileFollower>> Open(
      FollowerOptions opts, const std::optional<TailPosition>& resume);
  ~FileFollower();
  FileFollower(const FileFollower&) = delete;
  FileFollower& operator=(const FileFollower&) = delete;

  // Appends the next run of complete lines (each ending in '\n') to `out` and returns true;
  // false when nothing new is there for now. Notices rotations and truncations.
  bool Next(std::string* out);
  // Where the line after the last run returned starts.
  TailPosition position() const;
  FollowerStats stats() const;
  // The file being read (a backup while one is drained).
  std::string current_name() const;

 private:
  struct Reader {
    std::string name;
    int fd = -1;
    gzFile gz = nullptr;
    FileIdentity id;
    uint64_t offset = 0;    // next unread line
    uint64_t read_pos = 0;  // bytes consumed from the file
    std::string pending;    // [offset, read_pos): an unfinished line
    bool skipping = false;  // inside an oversize line
    int64_t opened_unix = 0;
    int64_t mtime_ns = 0;  // the active file's mtime when last looked at
    void Close();
  };
  enum class Change { kNone, kRotated, kTruncated };

  explicit FileFollower(FollowerOptions opts);
  absl::Status Resume(const TailPosition& pos);
  bool OpenLive(uint64_t offset, bool skipping);
  bool OpenBackup(const std::string& name, uint64_t offset, bool skipping, Reader* r);
  bool Produce(Reader& r, std::string* out);
  bool FlushTail(Reader& r, std::string* out);
  Change CheckLive();
  // Queues rotated siblings modified since `since_unix` that were not read yet.
  void AddNewerSiblings(int64_t since_unix);
  // The sibling (plain preferred over .gz) whose first bytes match `id`, "" if none.
  std::string FindSibling(const FileIdentity& id, uint64_t exclude_ino);
  std::vector<std::string> Siblings() const;
  bool IsKnown(std::string_view prefix, uint64_t ino, bool plain) const;
  void MarkSeen(const FileIdentity& id);
  int64_t NowUnix() const;

  FollowerOptions opts_;
  std::string dir_, base_, stem_;
  Reader live_;
  std::deque<Reader> backups_;  // rotated files to read to their end before live_
  std::vector<FileIdentity> seen_;
  std::string chunk_;
  FollowerStats stats_;
};

// Reads up to `n` leading bytes of a file (decompressed when `gz`).
std::string ReadPrefix(const std::string& path, bool gz, size_t n);

}  // namespace kaudit
