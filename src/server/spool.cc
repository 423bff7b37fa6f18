#include "src/server/spool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "src/common/file_util.h"
#include "src/common/logger.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/parse/minify.h"

namespace kaudit {
namespace fs = std::filesystem;

namespace {

constexpr char kCheckpointName[] = ".checkpoint";

absl::Status Errno(std::string_view what, const std::string& path) {
  return absl::UnavailableError(
      absl::StrCat("spool: ", ToAbsl(what), " ", path, ": ", std::strerror(errno)));
}

bool IsSpoolName(const std::string& name) {
  return name.size() > 10 && name.compare(0, 6, "spool-") == 0 &&
         name.compare(name.size() - 4, 4, ".log") == 0;
}

// The spool files of `dir` with their sizes, oldest (smallest name) first.
std::vector<std::pair<std::string, uint64_t>> ListSpoolFiles(const std::string& dir) {
  std::vector<std::pair<std::string, uint64_t>> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!IsSpoolName(name)) continue;
    std::error_code size_ec;
    const uint64_t size = entry.file_size(size_ec);
    if (!size_ec) out.emplace_back(name, size);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Writes all of `data`; false on an error (errno set).
bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

absl::StatusOr<FsyncPolicy> ParseFsyncPolicy(std::string_view s) {
  if (s == "always") return FsyncPolicy::kAlways;
  if (s == "interval") return FsyncPolicy::kInterval;
  if (s == "never") return FsyncPolicy::kNever;
  return absl::InvalidArgumentError(
      absl::StrCat("expected always, interval or never, got '", ToAbsl(s), "'"));
}

struct Spool::File {
  std::string name;
  std::string path;
  int fd = -1;
  uint64_t size = 0;
  ~File() {
    if (fd >= 0) close(fd);
  }
};

Spool::Spool(SpoolOptions options, Context ctx) : opts_(std::move(options)), ctx_(ctx) {}
Spool::~Spool() {
  std::lock_guard<std::mutex> l(mu_);
  if (file_ && opts_.fsync != FsyncPolicy::kNever) fsync(file_->fd);
}

absl::StatusOr<std::unique_ptr<Spool>> Spool::Open(SpoolOptions options, Context ctx) {
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("--spool-dir ", options.dir, ": cannot create: ", ec.message()));
  }
  if (access(options.dir.c_str(), W_OK) != 0) return Errno("cannot write to", options.dir);
  if (options.max_file_bytes == 0) options.max_file_bytes = 1;
  std::unique_ptr<Spool> spool(new Spool(std::move(options), ctx));
  // A damaged checkpoint is reported where the spool is read back; until a new one is
  // written, nothing counts as settled and retention deletes nothing.
  auto checkpoint = spool->ReadCheckpoint();
  std::lock_guard<std::mutex> l(spool->mu_);
  if (checkpoint.ok()) spool->settled_file_ = checkpoint->file;
  for (const auto& [name, size] : ListSpoolFiles(spool->opts_.dir)) spool->total_bytes_ += size;
  return spool;
}

void Spool::Prune() {
  if (opts_.max_total_bytes == 0 || total_bytes_ <= opts_.max_total_bytes) return;
  for (const auto& [name, size] : ListSpoolFiles(opts_.dir)) {
    if (total_bytes_ <= opts_.max_total_bytes) break;
    // Oldest first; stop at the first file that may hold unsettled lines.
    if (settled_file_.empty() || name >= settled_file_ || (file_ && name == file_->name)) break;
    const std::string path = (fs::path(opts_.dir) / name).string();
    if (unlink(path.c_str()) != 0) {
      ctx_.logger->Warning("spool",
                           absl::StrCat("spool: cannot delete ", path, ": ", std::strerror(errno)));
      break;
    }
    total_bytes_ -= std::min(total_bytes_, size);
    ++files_deleted_;
    bytes_deleted_ += size;
    ctx_.logger->Info("spool",
                      absl::StrCat("spool: deleted ", path, " (", size,
                                   " bytes, settled) to stay under --spool-max-bytes"),
                      {LogField("path", path).JsonOnly()});
  }
}

uint64_t Spool::total_bytes() const {
  std::lock_guard<std::mutex> l(mu_);
  return total_bytes_;
}
uint64_t Spool::files_deleted() const {
  std::lock_guard<std::mutex> l(mu_);
  return files_deleted_;
}
uint64_t Spool::bytes_deleted() const {
  std::lock_guard<std::mutex> l(mu_);
  return bytes_deleted_;
}

absl::Status Spool::Rotate() {
  if (file_ && opts_.fsync != FsyncPolicy::kNever && fsync(file_->fd) != 0) {
    return Errno("fsync", file_->path);
  }
  int64_t ms = absl::ToUnixMillis(ctx_.clock->Now());
  if (ms <= last_name_ms_) ms = last_name_ms_ + 1;
  // Never reuse or append to an existing file: a crash may have left a torn last line.
  for (;; ++ms) {
    absl::Time t = absl::FromUnixMillis(ms);
    std::string name = absl::StrCat(
        "spool-", absl::FormatTime("%Y-%m-%dT%H-%M-%E3S", t, absl::UTCTimeZone()), ".log");
    // %E3S gives SS.mmm; lumberjack's form is SS.mmm too.
    auto f = std::make_shared<File>();
    f->name = name;
    f->path = (fs::path(opts_.dir) / name).string();
    f->fd = open(f->path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0640);
    if (f->fd < 0) {
      if (errno == EEXIST) continue;
      return Errno("cannot create", f->path);
    }
    last_name_ms_ = ms;
    file_ = std::move(f);
    Prune();
    return absl::OkStatus();
  }
}

absl::StatusOr<SpoolPosition> Spool::Append(std::string_view body) {
  std::lock_guard<std::mutex> l(mu_);
  std::string_view line = body;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ')) {
    line.remove_suffix(1);
  }
  if (line.find('\n') != std::string_view::npos) {
    if (!MinifyJson(line, scratch_)) {
      return absl::InvalidArgumentError("spool: body with newlines is not minifiable JSON");
    }
    line = scratch_;
  }
  if (!file_ || file_->size + line.size() + 1 > opts_.max_file_bytes) {
    if (!file_ || file_->size > 0) {
      if (absl::Status s = Rotate(); !s.ok()) return s;
    }
  }
  // One write per line (body and newline together) keeps lines whole.
  std::string buf;
  buf.reserve(line.size() + 1);
  buf.append(line);
  buf.push_back('\n');
  if (!WriteAll(file_->fd, buf)) {
    absl::Status s = Errno("write", file_->path);
    if (ftruncate(file_->fd, static_cast<off_t>(file_->size)) != 0) {
      // The file now ends in a partial line: start a new one for what follows.
      file_.reset();
    }
    return s;
  }
  file_->size += buf.size();
  bytes_written_ += buf.size();
  total_bytes_ += buf.size();
  return SpoolPosition{file_->name, file_->size};
}

absl::Status Spool::Sync() {
  std::shared_ptr<File> f;
  {
    std::lock_guard<std::mutex> l(mu_);
    f = file_;
  }
  if (f && fsync(f->fd) != 0) return Errno("fsync", f->path);
  return absl::OkStatus();
}

uint64_t Spool::bytes_written() const {
  std::lock_guard<std::mutex> l(mu_);
  return bytes_written_;
}

absl::StatusOr<SpoolPosition> Spool::ReadCheckpoint() const {
  std::string path = (fs::path(opts_.dir) / kCheckpointName).string();
  FILE* in = std::fopen(path.c_str(), "re");
  if (in == nullptr) {
    if (errno == ENOENT) return SpoolPosition{};
    return Errno("cannot read", path);
  }
  char buf[512];
  size_t n = std::fread(buf, 1, sizeof(buf) - 1, in);
  std::fclose(in);
  std::string_view text(buf, n);
  size_t space = text.find(' ');
  SpoolPosition pos;
  if (space == std::string_view::npos) {
    return absl::DataLossError(absl::StrCat("spool: ", path, ": expected 'FILE OFFSET'"));
  }
  pos.file = std::string(text.substr(0, space));
  std::string_view off = text.substr(space + 1);
  while (!off.empty() && off.back() == '\n') off.remove_suffix(1);
  if (!absl::SimpleAtoi(ToAbsl(off), &pos.offset)) {
    return absl::DataLossError(absl::StrCat("spool: ", path, ": bad offset"));
  }
  return pos;
}

absl::Status Spool::WriteCheckpoint(const SpoolPosition& pos) {
  std::string path = (fs::path(opts_.dir) / kCheckpointName).string();
  KAUDIT_RETURN_IF_ERROR(WriteFileAtomically(path, absl::StrCat(pos.file, " ", pos.offset, "\n"),
                                             0640, opts_.fsync != FsyncPolicy::kNever));
  std::lock_guard<std::mutex> l(mu_);
  if (pos.file > settled_file_) settled_file_ = pos.file;
  Prune();
  return absl::OkStatus();
}

absl::StatusOr<SpoolPosition> Spool::ReadAfterCheckpoint(
    const std::function<void(std::string line)>& line) const {
  absl::StatusOr<SpoolPosition> cp = ReadCheckpoint();
  if (!cp.ok()) return cp.status();
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(opts_.dir, ec)) {
    std::string name = entry.path().filename().string();
    if (IsSpoolName(name) && name >= cp->file) names.push_back(name);
  }
  if (ec) return absl::UnavailableError(absl::StrCat("spool: cannot list ", opts_.dir));
  std::sort(names.begin(), names.end());  // fixed-width UTC times sort by name
  SpoolPosition end = *cp;
  for (const std::string& name : names) {
    std::string path = (fs::path(opts_.dir) / name).string();
    FILE* in = std::fopen(path.c_str(), "re");
    if (in == nullptr) return Errno("cannot read", path);
    uint64_t offset = name == cp->file ? cp->offset : 0;
    if (offset > 0 && std::fseek(in, static_cast<long>(offset), SEEK_SET) != 0) {
      std::fclose(in);
      return Errno("seek", path);
    }
    std::string pending;
    char buf[1 << 16];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), in)) > 0) {
      std::string_view chunk(buf, n);
      while (!chunk.empty()) {
        size_t nl = chunk.find('\n');
        if (nl == std::string_view::npos) {
          pending.append(chunk);
          break;
        }
        pending.append(chunk.substr(0, nl));
        chunk.remove_prefix(nl + 1);
        offset += pending.size() + 1;
        if (!pending.empty()) line(std::move(pending));
        pending.clear();
      }
    }
    std::fclose(in);
    end = SpoolPosition{name, offset};  // a torn last line (crash mid-write) is left out
  }
  return end;
}

}  // namespace kaudit
