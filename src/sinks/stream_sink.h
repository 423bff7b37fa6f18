#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "src/sinks/alert_format.h"
#include "src/sinks/sink.h"

namespace kaudit {

// Writes one alert per line (native JSON or readable text) to stdout or to a file.
class StreamSink final : public AlertSink {
 public:
  // path "" or "-" = stdout.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<StreamSink>> Open(const std::string& path,
                                                                        AlertFormat format,
                                                                        bool color,
                                                                        std::string cluster);
  ~StreamSink() override;
  absl::Status Send(std::span<const Alert> alerts) override;
  absl::Status Flush() override;
  uint64_t written() const { return written_; }

 private:
  StreamSink(FILE* f, bool owned, std::string name, AlertFormat format, bool color,
             std::string cluster)
      : f_(f),
        owned_(owned),
        name_(std::move(name)),
        format_(format),
        color_(color),
        cluster_(std::move(cluster)) {}
  FILE* f_;
  bool owned_;
  std::string name_;
  AlertFormat format_;
  bool color_;
  std::string cluster_;
  std::string buf_;
  uint64_t written_ = 0;
};

}  // namespace kaudit
