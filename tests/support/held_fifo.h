#pragma once

// A FIFO that kaudit writes alerts to while the test holds it full: a deterministic slow or
// stuck destination (overload, undelivered alerts at a kill -9).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace kaudit::testing {

// A FIFO an alert sink writes to, whose reader (the test) holds it: its pipe is shrunk to 4 KiB
// and nothing is read until Drain(), so the sink's writes block. Drain() reads everything in
// the background until kaudit closes its end; Wait() returns what was read.
class HeldFifo {
 public:
  explicit HeldFifo(std::string path) : path_(std::move(path)) {
    if (mkfifo(path_.c_str(), 0600) != 0) return;
    fd_ = open(path_.c_str(), O_RDONLY | O_NONBLOCK);
    if (fd_ >= 0 && fcntl(fd_, F_SETPIPE_SZ, 4096) <= 0) fd_ = -1;
  }
  ~HeldFifo() {
    if (reader_.joinable()) reader_.join();
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }
  void Drain() {
    reader_ = std::thread([this] {
      fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
      char buf[65536];
      for (ssize_t n; (n = read(fd_, buf, sizeof buf)) > 0;) data_.append(buf, n);
    });
  }
  std::string Wait() {
    if (reader_.joinable()) reader_.join();
    return data_;
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::thread reader_;
  std::string data_;
};

}  // namespace kaudit::testing
