#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "src/engine/alert.h"

namespace kaudit {

// Binary encoding of an owned alert (length-prefixed fields), for the disk buffer.
void EncodeAlert(const Alert& a, std::string& out);
// Decodes one alert from the front of `in` and advances it; false if `in` is malformed.
[[nodiscard]] bool DecodeAlert(std::string_view& in, Alert& out);

struct DiskBufferOptions {
  std::string dir;                       // created if missing; one buffer per directory
  uint64_t max_bytes = 1ull << 30;       // on-disk bound; the oldest segment goes beyond it
  uint64_t segment_bytes = 16ull << 20;  // a new segment file starts past this size
};

struct DiskBufferStats {
  uint64_t written = 0;    // alerts appended
  uint64_t read = 0;       // alerts read back
  uint64_t dropped = 0;    // alerts in segments deleted because of max_bytes
  uint64_t corrupt = 0;    // records that failed their checksum or were cut short (kill -9)
  uint64_t pending = 0;    // alerts on disk not yet read back
  uint64_t bytes = 0;      // bytes on disk
  uint64_t recovered = 0;  // alerts found on disk when the buffer was opened
};

// An append-only FIFO of alerts in segment files (seg-<seq>.kab; records: u32 length, u32
// CRC-32, payload), for sinks whose destination is down longer than their memory buffer
// lasts. Survives restarts: alerts found at Open are delivered first. A segment is deleted
// once read to its end, so a crash can deliver a segment's alerts again (at-least-once).
// Thread-safe.
class DiskBuffer {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<DiskBuffer>> Open(DiskBufferOptions options);
  ~DiskBuffer();

  // Appends alerts; an I/O error (disk full) is returned and the alerts are not buffered.
  [[nodiscard]] absl::Status Append(std::span<const Alert> alerts);
  // Puts alerts in front of everything buffered (a sink's memory queue at exit: older than
  // what already waits on disk).
  [[nodiscard]] absl::Status Prepend(std::span<const Alert> alerts);
  // Moves up to `max` of the oldest alerts into `out`; returns how many.
  [[nodiscard]] absl::StatusOr<size_t> Read(size_t max, std::vector<Alert>& out);
  uint64_t pending() const;
  DiskBufferStats stats() const;

 private:
  struct Segment {
    uint64_t seq = 0;
    std::string path;
    uint64_t bytes = 0;
    uint64_t alerts = 0;       // records in the file
    uint64_t read_alerts = 0;  // of which already read back
    uint64_t read_offset = 0;
  };
  explicit DiskBuffer(DiskBufferOptions options) : opts_(std::move(options)) {}
  absl::Status Load();
  absl::Status StartSegment();
  // Encodes `a` as one record (header + payload) into record_.
  void EncodeRecord(const Alert& a);
  void DropOldest();
  void CloseWriter();

  DiskBufferOptions opts_;
  mutable std::mutex mu_;
  std::deque<Segment> segments_;  // oldest first; the last one is written to
  int write_fd_ = -1;
  std::string record_;
  DiskBufferStats stats_;
};

}  // namespace kaudit
