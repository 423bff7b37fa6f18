#include "src/telemetry/status_server.h"

#include <httplib.h>

#include <atomic>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "src/common/socket_options.h"

namespace kaudit {

struct StatusServer::Impl {
  httplib::Server server;
  std::thread thread;
  std::atomic<bool> ready{false};
  std::function<std::string()> render;
  int port = 0;
};

StatusServer::StatusServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

StatusServer::~StatusServer() {
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void StatusServer::SetReady(bool ready) { impl_->ready = ready; }
int StatusServer::port() const { return impl_->port; }

absl::StatusOr<std::unique_ptr<StatusServer>> StatusServer::Start(
    const std::string& address, std::function<std::string()> render) {
  size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics address '", address, "': expected host:port (e.g. 0.0.0.0:9090)"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto impl = std::make_unique<Impl>();
  impl->render = std::move(render);
  Impl* p = impl.get();
  p->server.Get("/metrics", [p](const httplib::Request&, httplib::Response& res) {
    res.set_content(p->render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  p->server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  p->server.Get("/readyz", [p](const httplib::Request&, httplib::Response& res) {
    if (p->ready) {
      res.set_content("ready\n", "text/plain");
    } else {
      res.status = 503;
      res.set_content("not ready\n", "text/plain");
    }
  });
  p->server.set_socket_options(ExclusiveListenSocketOptions);
  if (port == 0) {
    p->port = p->server.bind_to_any_port(host);
    if (p->port < 0) {
      return absl::UnavailableError(absl::StrCat("metrics address ", address, ": cannot bind"));
    }
  } else {
    if (!p->server.bind_to_port(host, port)) {
      return absl::UnavailableError(
          absl::StrCat("metrics address ", address, ": cannot bind (in use, or no such address)"));
    }
    p->port = port;
  }
  p->thread = std::thread([p] { p->server.listen_after_bind(); });
  return std::unique_ptr<StatusServer>(new StatusServer(std::move(impl)));
}

}  // namespace kaudit
