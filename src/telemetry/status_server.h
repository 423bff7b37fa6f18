#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace kaudit {

// The operator endpoints on their own port: /metrics (Prometheus text), /healthz (the
// process is alive) and /readyz (it is ready to take work). Runs on its own thread.
class StatusServer {
 public:
  // `address` is host:port (port 0 picks a free one). `render` produces /metrics.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<StatusServer>> Start(
      const std::string& address, std::function<std::string()> render);
  ~StatusServer();
  void SetReady(bool ready);
  int port() const;

 private:
  struct Impl;
  explicit StatusServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kaudit
