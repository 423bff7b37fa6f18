#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace kaudit {

// A stream of raw bytes: a plain file, a gzip file (detected by its magic bytes, whatever its
// name) or standard input (plain or gzip).
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `n` bytes into `buf`; returns 0 at end of input.
  [[nodiscard]] virtual absl::StatusOr<size_t> Read(char* buf, size_t n) = 0;
  // Bytes consumed from the underlying file so far (compressed bytes for gzip), for progress.
  virtual uint64_t consumed_bytes() const = 0;
  // Size of the underlying file in bytes, or 0 when unknown (stdin, pipes).
  virtual uint64_t total_bytes() const = 0;
  virtual const std::string& name() const = 0;
  virtual bool compressed() const = 0;
};

// Opens `path` ("-" for standard input). Errors name the path.
[[nodiscard]] absl::StatusOr<std::unique_ptr<ByteSource>> OpenByteSource(const std::string& path);

// A source over bytes in memory (tests, webhook bodies).
std::unique_ptr<ByteSource> MemoryByteSource(std::string name, std::string data);
// The same over bytes the caller keeps alive (benchmarks: no copy).
std::unique_ptr<ByteSource> BorrowedByteSource(std::string name, std::string_view data);

}  // namespace kaudit
