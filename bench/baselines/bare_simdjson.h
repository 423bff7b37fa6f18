#pragma once

#include <cstdint>
#include <string_view>

namespace kaudit::bench {

// The practical parse ceiling: a bare simdjson On-Demand pass over JSON lines (iterate_many
// over 256 KB chunks cut at a newline, as kaudit streams) that extracts the core fields verb,
// user.username, objectRef.resource/namespace/name, responseStatus.code and the authorization
// decision, and does nothing else. Returns the number of documents; `checksum` accumulates
// field lengths so the work cannot be optimised away.
// (Benchmarks are the one place outside src/parse allowed to include simdjson: this is the
// baseline kaudit is measured against, not product code.)
uint64_t BareSimdjsonPass(std::string_view data, uint64_t* checksum);
// The same pass streaming a file descriptor: read() into one reused 256 KB padded buffer, cut at
// the last newline, the partial line carried to the next read (the baseline: memory
// stays at the buffer, whatever the file size). One thread: simdjson's stage-1 helper thread is
// off.
uint64_t BareSimdjsonPassFd(int fd, uint64_t* checksum);
// The same pass after padded_string::load of the whole file (memory grows with the file).
uint64_t BareSimdjsonPassLoad(const char* path, uint64_t* checksum);
// The same pass framing each line itself and calling parser.iterate() per line.
uint64_t BareSimdjsonPassPerLine(std::string_view data, uint64_t* checksum);

}  // namespace kaudit::bench
