#include "src/sinks/stream_sink.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace kaudit {

absl::StatusOr<std::unique_ptr<StreamSink>> StreamSink::Open(const std::string& path,
                                                             AlertFormat format, bool color,
                                                             std::string cluster) {
  if (path.empty() || path == "-") {
    return std::unique_ptr<StreamSink>(
        new StreamSink(stdout, false, "<stdout>", format, color, std::move(cluster)));
  }
  FILE* f = std::fopen(path.c_str(), "ae");
  if (f == nullptr) {
    return absl::NotFoundError(
        absl::StrCat(path, ": cannot open alert output file: ", std::strerror(errno)));
  }
  return std::unique_ptr<StreamSink>(
      new StreamSink(f, true, path, format, false, std::move(cluster)));
}

StreamSink::~StreamSink() {
  if (owned_)
    std::fclose(f_);
  else
    std::fflush(f_);
}

absl::Status StreamSink::Send(std::span<const Alert> alerts) {
  buf_.clear();
  for (const Alert& a : alerts) {
    if (format_ == AlertFormat::kJson)
      AppendAlertJson(a, cluster_, buf_);
    else
      AppendAlertText(a, color_, buf_);
    buf_.push_back('\n');
  }
  if (std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size()) {
    return absl::DataLossError(absl::StrCat(name_, ": write failed: ", std::strerror(errno)));
  }
  written_ += alerts.size();
  return absl::OkStatus();
}

absl::Status StreamSink::Flush() {
  if (std::fflush(f_) != 0) {
    return absl::DataLossError(absl::StrCat(name_, ": flush failed: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace kaudit
