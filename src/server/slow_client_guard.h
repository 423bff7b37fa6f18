#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "src/common/clock.h"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace kaudit {

// Bounds how long a TLS client may take to deliver a request (slowloris, slow POST). cpp-httplib
// only bounds each read (--read-timeout), so a client trickling one byte per read would hold a
// worker thread forever; a handful of them would starve kube-apiserver. The guard learns each
// connection's socket from OpenSSL's handshake callback (on the worker thread serving it) and
// gives every phase a deadline:
//   handshake + request headers    read_timeout from the handshake's start
//   body                           read_timeout + Content-Length at 1 MiB/s, from the headers
//   handler (engine, spool, sinks) none here: --ack-timeout bounds it
//   keep-alive wait + next headers keep_alive + read_timeout from the previous response
// A watchdog thread shuts down the socket of a connection past its deadline (the blocked read
// fails, httplib closes the connection) and counts it. A stale entry (the connection closed, its
// descriptor perhaps reused) is recognised by the socket's inode and dropped, never shut.
class SlowClientGuard {
 public:
  SlowClientGuard(absl::Duration read_timeout, absl::Duration keep_alive, const Clock* clock);
  ~SlowClientGuard();
  SlowClientGuard(const SlowClientGuard&) = delete;
  SlowClientGuard& operator=(const SlowClientGuard&) = delete;

  // Installs the handshake callback on the server's context and starts the watchdog.
  void Attach(SSL_CTX* ctx);

  // Called on the worker thread serving the connection (no-ops for plain HTTP).
  void HeadersRead(uint64_t content_length);
  void BodyRead();
  void ResponseSent();

  // Connections shut down for missing a deadline.
  uint64_t closed() const { return closed_.load(std::memory_order_relaxed); }

 private:
  struct Conn {
    ino_t inode = 0;
    absl::Time deadline;
  };
  static void InfoCallback(const SSL* ssl, int where, int ret);
  void HandshakeStarted(int fd);
  void SetDeadline(absl::Time deadline);
  void Watch();

  const absl::Duration read_timeout_, keep_alive_;
  const Clock* clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  absl::flat_hash_map<int, Conn> conns_;                 // by socket descriptor
  absl::flat_hash_map<std::thread::id, int> thread_fd_;  // the connection each worker serves
  std::atomic<uint64_t> closed_{0};
  std::thread watchdog_;
};

}  // namespace kaudit
