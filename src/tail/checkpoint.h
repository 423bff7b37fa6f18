#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kaudit {

// How many leading bytes of a file identify it (with dev+inode for the live file, alone for a
// renamed, copied or gzipped backup). Audit lines carry a unique auditID near their start, so
// the first line is enough.
inline constexpr uint64_t kFingerprintBytes = 1024;

// Which file: device + inode, plus a CRC-32 of its first `fp_len` bytes (fewer than
// kFingerprintBytes only while the file was that short). The fingerprint tells a renamed or
// gzipped backup from a new file that reuses the inode.
struct FileIdentity {
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint64_t fp_len = 0;
  uint32_t fp_crc = 0;

  bool SameInode(const FileIdentity& o) const { return dev == o.dev && ino == o.ino; }
  // True when `prefix` (the first bytes of a candidate file) starts like this file.
  bool PrefixMatches(std::string_view prefix) const;
};

uint32_t Crc32(std::string_view data);

// Where tailing stands: the next unread line of a file, what the primary alert output held
// after the alerts of every line before it, and cumulative counters (across restarts).
struct Checkpoint {
  std::string path;  // the followed PATH
  FileIdentity file;
  uint64_t offset = 0;             // byte offset of the next unread line (decompressed for .gz)
  bool skipping = false;           // inside an oversize line: skip to its newline
  int64_t opened_unix = 0;         // when that file was first opened (finds newer rotations)
  std::vector<FileIdentity> seen;  // fingerprints of files read completely lately
  std::string output;              // primary alert output file ("" = none)
  uint64_t output_bytes = 0;
  uint64_t lines = 0;   // lines processed up to `offset`, all runs together
  uint64_t events = 0;  // valid events among them
};

// Writes `cp` to `path` atomically: a temporary file in the same directory, fsync, rename,
// fsync of the directory. A crash leaves either the old or the new checkpoint.
[[nodiscard]] absl::Status WriteCheckpoint(const std::string& path, const Checkpoint& cp);
// The checkpoint at `path`; nullopt when there is none.
[[nodiscard]] absl::StatusOr<std::optional<Checkpoint>> ReadCheckpoint(const std::string& path);

}  // namespace kaudit
