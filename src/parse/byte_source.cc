#include "src/parse/byte_source.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace kaudit {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

class FdSource : public ByteSource {
 public:
  FdSource(std::string name, int fd, bool owned, uint64_t size, std::string prefix)
      : name_(std::move(name)), fd_(fd), owned_(owned), size_(size), prefix_(std::move(prefix)) {}
  ~FdSource() override {
    if (owned_) close(fd_);
  }
  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    if (prefix_pos_ < prefix_.size()) {
      size_t k = std::min(n, prefix_.size() - prefix_pos_);
      std::memcpy(buf, prefix_.data() + prefix_pos_, k);
      prefix_pos_ += k;
      consumed_ += k;
      return k;
    }
    while (true) {
      ssize_t r = ::read(fd_, buf, n);
      if (r >= 0) {
        consumed_ += static_cast<uint64_t>(r);
        return static_cast<size_t>(r);
      }
      if (errno == EINTR) continue;
      return absl::DataLossError(absl::StrCat(name_, ": read failed: ", ErrnoText(errno)));
    }
  }
  uint64_t consumed_bytes() const override { return consumed_; }
  uint64_t total_bytes() const override { return size_; }
  const std::string& name() const override { return name_; }
  bool compressed() const override { return false; }

 private:
  std::string name_;
  int fd_;
  bool owned_;
  uint64_t size_;
  std::string prefix_;  // bytes already read while sniffing the format
  size_t prefix_pos_ = 0;
  uint64_t consumed_ = 0;
};

// gzip through zlib's inflate, reading the compressed bytes ourselves so progress is known and
// concatenated members (as produced by log rotation tools) are all read.
class GzipSource : public ByteSource {
 public:
  GzipSource(std::string name, int fd, bool owned, uint64_t size, std::string prefix)
      : name_(std::move(name)), fd_(fd), owned_(owned), size_(size), in_(kInBuf, '\0') {
    std::memcpy(in_.data(), prefix.data(), prefix.size());
    zs_.next_in = reinterpret_cast<Bytef*>(in_.data());
    zs_.avail_in = static_cast<uInt>(prefix.size());
    consumed_ = prefix.size();
    init_ok_ = inflateInit2(&zs_, 15 + 32) == Z_OK;  // auto-detect gzip/zlib header
  }
  ~GzipSource() override {
    inflateEnd(&zs_);
    if (owned_) close(fd_);
  }
  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    if (!init_ok_) return absl::InternalError(absl::StrCat(name_, ": zlib init failed"));
    if (done_) return 0;
    zs_.next_out = reinterpret_cast<Bytef*>(buf);
    zs_.avail_out = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    while (zs_.avail_out > 0) {
      if (zs_.avail_in == 0) {
        ssize_t r;
        do {
          r = ::read(fd_, in_.data(), in_.size());
        } while (r < 0 && errno == EINTR);
        if (r < 0)
          return absl::DataLossError(absl::StrCat(name_, ": read failed: ", ErrnoText(errno)));
        if (r == 0) {
          if (!stream_end_) {
            return absl::DataLossError(absl::StrCat(name_, ": gzip stream truncated after ",
                                                    consumed_, " compressed bytes"));
          }
          done_ = true;
          break;
        }
        consumed_ += static_cast<uint64_t>(r);
        zs_.next_in = reinterpret_cast<Bytef*>(in_.data());
        zs_.avail_in = static_cast<uInt>(r);
      }
      if (stream_end_) {
        // Another gzip member follows (concatenated gzip).
        inflateReset(&zs_);
        stream_end_ = false;
      }
      int rc = inflate(&zs_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        stream_end_ = true;
        continue;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return absl::DataLossError(absl::StrCat(name_, ": gzip data corrupt near compressed byte ",
                                                consumed_ - zs_.avail_in, ": ",
                                                zs_.msg ? zs_.msg : "inflate error"));
      }
      if (rc == Z_BUF_ERROR && zs_.avail_in != 0) break;
    }
    return static_cast<size_t>(std::min<size_t>(n, 1u << 30) - zs_.avail_out);
  }
  uint64_t consumed_bytes() const override { return consumed_; }
  uint64_t total_bytes() const override { return size_; }
  const std::string& name() const override { return name_; }
  bool compressed() const override { return true; }

 private:
  static constexpr size_t kInBuf = 1 << 18;
  std::string name_;
  int fd_;
  bool owned_;
  uint64_t size_;
  std::string in_;
  z_stream zs_{};
  bool init_ok_ = false;
  bool stream_end_ = false;
  bool done_ = false;
  uint64_t consumed_ = 0;
};

class MemorySource : public ByteSource {
 public:
  MemorySource(std::string name, std::string data)
      : name_(std::move(name)), owned_(std::move(data)), data_(owned_) {}
  MemorySource(std::string name, std::string_view data) : name_(std::move(name)), data_(data) {}
  absl::StatusOr<size_t> Read(char* buf, size_t n) override {
    size_t k = std::min(n, data_.size() - pos_);
    std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }
  uint64_t consumed_bytes() const override { return pos_; }
  uint64_t total_bytes() const override { return data_.size(); }
  const std::string& name() const override { return name_; }
  bool compressed() const override { return false; }

 private:
  std::string name_;
  std::string owned_;
  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ByteSource>> OpenByteSource(const std::string& path) {
  int fd;
  bool owned;
  std::string name;
  uint64_t size = 0;
  if (path == "-") {
    fd = 0;
    owned = false;
    name = "<stdin>";
  } else {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", ErrnoText(errno)));
    }
    owned = true;
    name = path;
    struct stat st;
    if (fstat(fd, &st) == 0) {
      if (S_ISDIR(st.st_mode)) {
        close(fd);
        return absl::InvalidArgumentError(absl::StrCat(path, ": is a directory"));
      }
      if (S_ISREG(st.st_mode)) size = static_cast<uint64_t>(st.st_size);
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  }
  // Sniff the gzip magic (1f 8b) from the first bytes.
  std::string prefix(2, '\0');
  size_t got = 0;
  while (got < 2) {
    ssize_t r = ::read(fd, prefix.data() + got, 2 - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int err = errno;
      if (owned) close(fd);
      return absl::DataLossError(absl::StrCat(name, ": read failed: ", ErrnoText(err)));
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  prefix.resize(got);
  if (got == 2 && static_cast<unsigned char>(prefix[0]) == 0x1f &&
      static_cast<unsigned char>(prefix[1]) == 0x8b) {
    return std::unique_ptr<ByteSource>(new GzipSource(name, fd, owned, size, prefix));
  }
  return std::unique_ptr<ByteSource>(new FdSource(name, fd, owned, size, prefix));
}

std::unique_ptr<ByteSource> MemoryByteSource(std::string name, std::string data) {
  return std::make_unique<MemorySource>(std::move(name), std::move(data));
}

std::unique_ptr<ByteSource> BorrowedByteSource(std::string name, std::string_view data) {
  return std::make_unique<MemorySource>(std::move(name), data);
}

}  // namespace kaudit
