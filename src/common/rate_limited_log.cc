#include "src/common/rate_limited_log.h"

#include <cstdio>
#include <string>

namespace kaudit {

bool LogLimiter::ShouldLog(uint64_t* n) {
  uint64_t c = count_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (n != nullptr) *n = c;
  if (c <= burst_) return true;
  return (c & (c - 1)) == 0;  // powers of two
}

void LogLine(std::string_view level, std::string_view message) {
  std::string line;
  line.reserve(message.size() + level.size() + 12);
  line.append("kaudit: ").append(level).append(": ").append(message).push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace kaudit
