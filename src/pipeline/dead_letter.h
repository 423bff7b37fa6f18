#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "src/common/context.h"
#include "src/parse/event_reader.h"

namespace kaudit {

// Appends each rejected input document to a JSON-lines file: where it was, why it was
// rejected, and its text (bounded), so nothing bad is lost silently and it can be fixed and
// replayed.
class DeadLetterWriter {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<DeadLetterWriter>> Open(
      const std::string& path, Context ctx);
  ~DeadLetterWriter();
  // Returns false (and stops writing) after a write error, which is logged once.
  bool Write(InvalidReason reason, const Location& where, std::string_view detail,
             std::string_view raw);
  uint64_t written() const { return written_; }

 private:
  DeadLetterWriter(FILE* f, std::string path, Context ctx)
      : f_(f), path_(std::move(path)), ctx_(ctx) {}
  FILE* f_;
  std::string path_;
  const Context ctx_;
  std::string line_;
  uint64_t written_ = 0;
  bool failed_ = false;
};

}  // namespace kaudit
