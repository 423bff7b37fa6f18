#include "src/server/slow_client_guard.h"

#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>

namespace kaudit {
namespace {

constexpr double kMinBodyBytesPerSecond = 1 << 20;
constexpr absl::Duration kWatchInterval = absl::Milliseconds(200);

}  // namespace

SlowClientGuard::SlowClientGuard(absl::Duration read_timeout, absl::Duration keep_alive,
                                 const Clock* clock)
    : read_timeout_(read_timeout), keep_alive_(keep_alive), clock_(clock) {}

SlowClientGuard::~SlowClientGuard() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
}

void SlowClientGuard::Attach(SSL_CTX* ctx) {
  SSL_CTX_set_app_data(ctx, this);
  SSL_CTX_set_info_callback(ctx, &SlowClientGuard::InfoCallback);
  watchdog_ = std::thread([this] { Watch(); });
}

void SlowClientGuard::InfoCallback(const SSL* ssl, int where, int /*ret*/) {
  if ((where & SSL_CB_HANDSHAKE_START) == 0) return;
  auto* self = static_cast<SlowClientGuard*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  if (self != nullptr) self->HandshakeStarted(SSL_get_fd(ssl));
}

void SlowClientGuard::HandshakeStarted(int fd) {
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) return;
  std::lock_guard<std::mutex> l(mu_);
  // A renegotiation on an established connection does not restart its clock.
  auto [it, fresh] = thread_fd_.insert_or_assign(std::this_thread::get_id(), fd);
  Conn& c = conns_[fd];
  if (!fresh && c.inode == st.st_ino) return;
  c.inode = st.st_ino;
  c.deadline = clock_->Now() + read_timeout_;
}

void SlowClientGuard::SetDeadline(absl::Time deadline) {
  std::lock_guard<std::mutex> l(mu_);
  auto t = thread_fd_.find(std::this_thread::get_id());
  if (t == thread_fd_.end()) return;  // plain HTTP: no handshake, no guard
  auto c = conns_.find(t->second);
  if (c != conns_.end()) c->second.deadline = deadline;
}

void SlowClientGuard::HeadersRead(uint64_t content_length) {
  SetDeadline(clock_->Now() + read_timeout_ +
              absl::Seconds(static_cast<double>(content_length) / kMinBodyBytesPerSecond));
}

void SlowClientGuard::BodyRead() { SetDeadline(absl::InfiniteFuture()); }

void SlowClientGuard::ResponseSent() { SetDeadline(clock_->Now() + keep_alive_ + read_timeout_); }

void SlowClientGuard::Watch() {
  std::unique_lock<std::mutex> l(mu_);
  while (!cv_.wait_for(l, absl::ToChronoMilliseconds(kWatchInterval), [this] { return stop_; })) {
    const absl::Time now = clock_->Now();
    for (auto it = conns_.begin(); it != conns_.end();) {
      auto cur = it++;
      if (cur->second.deadline > now) continue;
      struct stat st;
      // The same socket still open past its deadline: a slow client. Otherwise the connection
      // ended and the descriptor is closed or belongs to a newer connection: forget it.
      if (fstat(cur->first, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == cur->second.inode) {
        shutdown(cur->first, SHUT_RDWR);
        closed_.fetch_add(1, std::memory_order_relaxed);
      }
      conns_.erase(cur);
    }
  }
}

}  // namespace kaudit
