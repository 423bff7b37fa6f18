#include "src/pipeline/dead_letter.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "src/common/json_writer.h"
#include "src/common/logger.h"

namespace kaudit {

absl::StatusOr<std::unique_ptr<DeadLetterWriter>> DeadLetterWriter::Open(const std::string& path,
                                                                         Context ctx) {
  FILE* f = std::fopen(path.c_str(), "ae");
  if (f == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("input.dead_letter_file: ", path, ": cannot open: ", std::strerror(errno)));
  }
  return std::unique_ptr<DeadLetterWriter>(new DeadLetterWriter(f, path, ctx));
}

DeadLetterWriter::~DeadLetterWriter() {
  if (std::fclose(f_) != 0 && !failed_) {
    const char* error = std::strerror(errno);
    ctx_.logger->Error("dead_letter",
                       absl::StrCat("dead-letter file ", path_, ": close failed: ", error),
                       {LogField("path", path_).JsonOnly(), LogField("error", error).JsonOnly()});
  }
}

bool DeadLetterWriter::Write(InvalidReason reason, const Location& where, std::string_view detail,
                             std::string_view raw) {
  if (failed_) return false;
  line_.clear();
  JsonWriter w(line_);
  w.BeginObject();
  w.Field("source", where.source);
  w.Field("line", static_cast<int64_t>(where.line));
  w.Field("offset", static_cast<int64_t>(where.offset));
  if (where.item >= 0) w.Field("item", where.item);
  w.Field("reason", InvalidReasonName(reason));
  w.Field("detail", detail);
  w.Field("raw", raw);
  w.EndObject();
  line_.push_back('\n');
  // Flushed per line: rejected events are rare, and a full disk must be seen on the write
  // that failed, not at close after the count claimed the lines were kept.
  if (std::fwrite(line_.data(), 1, line_.size(), f_) != line_.size() || std::fflush(f_) != 0) {
    failed_ = true;
    const char* error = std::strerror(errno);
    ctx_.logger->Error("dead_letter",
                       absl::StrCat("dead-letter file ", path_, ": write failed (", error,
                                    "); no further rejected events are kept"),
                       {LogField("path", path_).JsonOnly(), LogField("error", error).JsonOnly()});
    return false;
  }
  ++written_;
  return true;
}

}  // namespace kaudit
