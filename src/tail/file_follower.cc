#include "src/tail/file_follower.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "src/common/logger.h"
#include "src/common/strings.h"

namespace kaudit {
namespace {

constexpr size_t kMaxSeen = 64;

bool IsGz(std::string_view name) { return EndsWith(name, ".gz"); }

ssize_t PreadAll(int fd, char* buf, size_t n, uint64_t off) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = pread(fd, buf + done, n - done, static_cast<off_t>(off + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return done > 0 ? static_cast<ssize_t>(done) : -1;
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  return static_cast<ssize_t>(done);
}

std::string PreadPrefix(int fd, size_t n) {
  std::string s(n, '\0');
  ssize_t r = PreadAll(fd, s.data(), n, 0);
  s.resize(r > 0 ? static_cast<size_t>(r) : 0);
  return s;
}

int64_t MtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000ll + st.st_mtim.tv_nsec;
}

FileIdentity IdentityOf(const struct stat& st, std::string_view prefix) {
  FileIdentity id;
  id.dev = static_cast<uint64_t>(st.st_dev);
  id.ino = static_cast<uint64_t>(st.st_ino);
  id.fp_len = prefix.size();
  id.fp_crc = Crc32(prefix);
  return id;
}

}  // namespace

std::string ReadPrefix(const std::string& path, bool gz, size_t n) {
  std::string s(n, '\0');
  if (gz) {
    gzFile g = gzopen(path.c_str(), "rb");
    if (g == nullptr) return "";
    int r = gzread(g, s.data(), static_cast<unsigned>(n));
    gzclose(g);
    s.resize(r > 0 ? static_cast<size_t>(r) : 0);
    return s;
  }
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  s = PreadPrefix(fd, n);
  close(fd);
  return s;
}

void FileFollower::Reader::Close() {
  if (fd >= 0) close(fd);
  if (gz != nullptr) gzclose(gz);
  fd = -1;
  gz = nullptr;
}

FileFollower::FileFollower(FollowerOptions opts) : opts_(std::move(opts)) {
  const size_t slash = opts_.path.rfind('/');
  dir_ = slash == std::string::npos ? "." : opts_.path.substr(0, slash);
  // A file at the root ("/x"). (dir_ = "/" trips a false GCC 12 -Wrestrict warning.)
  if (dir_.empty()) dir_.push_back('/');
  base_ = slash == std::string::npos ? opts_.path : opts_.path.substr(slash + 1);
  stem_ = base_.substr(0, base_.find('.'));
  if (opts_.chunk_bytes == 0) opts_.chunk_bytes = 1 << 20;
}

FileFollower::~FileFollower() {
  live_.Close();
  for (Reader& r : backups_) r.Close();
}

int64_t FileFollower::NowUnix() const { return absl::ToUnixSeconds(opts_.ctx.clock->Now()); }

absl::StatusOr<std::unique_ptr<FileFollower>> FileFollower::Open(
    FollowerOptions opts, const std::optional<TailPosition>& resume) {
  if (opts.ctx.clock == nullptr || opts.ctx.logger == nullptr) {
    return absl::InvalidArgumentError("tail: no clock or logger");
  }
  std::unique_ptr<FileFollower> f(new FileFollower(std::move(opts)));
  if (resume.has_value()) {
    if (absl::Status s = f->Resume(*resume); !s.ok()) return s;
    return f;
  }
  if (f->OpenLive(0, false) && !f->opts_.from_beginning) {
    // Start after the last complete line.
    struct stat st;
    if (fstat(f->live_.fd, &st) == 0 && st.st_size > 0) {
      const uint64_t size = static_cast<uint64_t>(st.st_size);
      const uint64_t back = std::min<uint64_t>(size, f->opts_.max_line_bytes + 1);
      std::string tail(back, '\0');
      ssize_t r = PreadAll(f->live_.fd, tail.data(), back, size - back);
      tail.resize(r > 0 ? static_cast<size_t>(r) : 0);
      const size_t nl = tail.rfind('\n');
      // No newline in the last max_line_bytes: the end is inside an oversize line.
      const uint64_t start = nl == std::string::npos ? size : size - back + nl + 1;
      f->live_.offset = f->live_.read_pos = start;
      f->live_.skipping = nl == std::string::npos && size > f->opts_.max_line_bytes;
    }
  }
  return f;
}

absl::Status FileFollower::Resume(const TailPosition& pos) {
  seen_ = pos.seen;
  struct stat st;
  if (stat(opts_.path.c_str(), &st) == 0) {
    const FileIdentity cur = IdentityOf(st, "");
    if (cur.SameInode(pos.file) &&
        pos.file.PrefixMatches(ReadPrefix(opts_.path, false, kFingerprintBytes))) {
      // Still the active file (if it shrank meanwhile, CheckLive sees the truncation).
      if (OpenLive(pos.offset, pos.skipping)) {
        live_.opened_unix = pos.opened_unix;
        // Checkpointed while it was still empty, its content is unknown: a copy-truncate while
        // we were away would not show. Its copy is then a rotated file newer than its opening
        // that was never read: read such files first.
        if (pos.file.fp_len == 0) AddNewerSiblings(pos.opened_unix);
        return absl::OkStatus();
      }
    }
  }
  // Rotated while we were away: finish the old file under its new name, then what came after.
  const uint64_t live_ino = stat(opts_.path.c_str(), &st) == 0 ? st.st_ino : 0;
  std::string found = pos.file.fp_len > 0 ? FindSibling(pos.file, live_ino) : "";
  if (!found.empty()) {
    Reader r;
    if (OpenBackup(found, pos.offset, pos.skipping, &r)) {
      r.opened_unix = pos.opened_unix;
      opts_.ctx.logger->Info(
          "tail", absl::StrCat("tail: resuming in rotated file ", found, " at byte ", pos.offset),
          {LogField("path", found).JsonOnly(), LogField("offset", pos.offset).JsonOnly()});
      backups_.push_back(std::move(r));
    } else {
      found.clear();
    }
  }
  if (found.empty() && (pos.offset > 0 || pos.file.fp_len > 0)) {
    ++stats_.checkpoint_not_found;
    opts_.ctx.logger->Warning(
        "tail",
        absl::StrCat("tail: the checkpointed file (inode ", pos.file.ino, ", next line at byte ",
                     pos.offset, ") is gone; reading ", opts_.path,
                     " and newer rotated files from the beginning"),
        {LogField("path", opts_.path).JsonOnly(), LogField("inode", pos.file.ino).JsonOnly(),
         LogField("offset", pos.offset).JsonOnly()});
  }
  OpenLive(0, false);
  AddNewerSiblings(pos.opened_unix);
  return absl::OkStatus();
}

bool FileFollower::OpenLive(uint64_t offset, bool skipping) {
  live_.Close();
  live_ = Reader{};
  live_.name = opts_.path;
  int fd = open(opts_.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return false;
  }
  live_.fd = fd;
  live_.id = IdentityOf(st, PreadPrefix(fd, kFingerprintBytes));
  live_.mtime_ns = MtimeNs(st);
  live_.offset = live_.read_pos = offset;
  live_.skipping = skipping;
  live_.opened_unix = NowUnix();
  return true;
}

bool FileFollower::OpenBackup(const std::string& name, uint64_t offset, bool skipping, Reader* r) {
  r->name = name;
  r->offset = r->read_pos = offset;
  r->skipping = skipping;
  struct stat st;
  if (IsGz(name)) {
    const std::string prefix = ReadPrefix(name, true, kFingerprintBytes);
    r->gz = gzopen(name.c_str(), "rb");
    if (r->gz == nullptr || stat(name.c_str(), &st) != 0) {
      r->Close();
      return false;
    }
    r->id = IdentityOf(st, prefix);
    if (offset > 0 && gzseek(r->gz, static_cast<z_off_t>(offset), SEEK_SET) < 0) {
      opts_.ctx.logger->Warning(
          "tail", absl::StrCat("tail: ", name, ": cannot skip to byte ", offset),
          {LogField("path", name).JsonOnly(), LogField("offset", offset).JsonOnly()});
      r->Close();
      return false;
    }
    return true;
  }
  r->fd = open(name.c_str(), O_RDONLY | O_CLOEXEC);
  if (r->fd < 0 || fstat(r->fd, &st) != 0) {
    r->Close();
    return false;
  }
  r->id = IdentityOf(st, PreadPrefix(r->fd, kFingerprintBytes));
  return true;
}

std::vector<std::string> FileFollower::Siblings() const {
  std::vector<std::string> out;
  DIR* d = opendir(dir_.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    const std::string_view n = e->d_name;
    if (n == base_ || !StartsWith(n, stem_) || EndsWith(n, ".tmp")) continue;
    out.push_back(absl::StrCat(dir_, "/", ToAbsl(n)));
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

std::string FileFollower::FindSibling(const FileIdentity& id, uint64_t exclude_ino) {
  std::string gz_match;
  for (const std::string& name : Siblings()) {
    struct stat st;
    if (stat(name.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    const bool gz = IsGz(name);
    if (!gz && static_cast<uint64_t>(st.st_ino) == exclude_ino) continue;
    if (!id.PrefixMatches(ReadPrefix(name, gz, kFingerprintBytes))) continue;
    if (!gz) return name;  // the uncompressed file is complete; a .gz may still be written
    gz_match = name;
  }
  return gz_match;
}

bool FileFollower::IsKnown(std::string_view prefix, uint64_t ino, bool plain) const {
  auto matches = [&](const FileIdentity& id) { return id.fp_len > 0 && id.PrefixMatches(prefix); };
  // A .gz still being written decompresses to fewer bytes than the fingerprint: compare it
  // with the start of the open files directly.
  auto starts = [&](const Reader& r) {
    return r.fd >= 0 && !prefix.empty() && prefix.size() < r.id.fp_len &&
           PreadPrefix(r.fd, prefix.size()) == prefix;
  };
  if (starts(live_)) return true;
  for (const Reader& r : backups_) {
    if (starts(r)) return true;
  }
  if (plain && live_.fd >= 0 && live_.id.ino == ino) return true;
  if (matches(live_.id)) return true;
  for (const Reader& r : backups_) {
    if ((plain && r.fd >= 0 && r.id.ino == ino) || matches(r.id)) return true;
  }
  for (const FileIdentity& id : seen_) {
    if (matches(id)) return true;
  }
  return false;
}

void FileFollower::AddNewerSiblings(int64_t since_unix) {
  const int64_t threshold = since_unix - absl::ToInt64Seconds(opts_.mtime_slack);
  struct Candidate {
    int64_t mtime_ns;
    std::string name;
  };
  std::vector<Candidate> found;
  for (const std::string& name : Siblings()) {
    struct stat st;
    if (stat(name.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) continue;
    if (st.st_mtim.tv_sec < threshold) continue;
    const bool gz = IsGz(name);
    const std::string prefix = ReadPrefix(name, gz, kFingerprintBytes);
    if (prefix.empty() || IsKnown(prefix, st.st_ino, !gz)) continue;
    // A plain file and its .gz (being) compressed: the plain one is read, the .gz skipped.
    bool dup = false;
    for (const Candidate& c : found) {
      if (Crc32(ReadPrefix(c.name, IsGz(c.name), prefix.size())) == Crc32(prefix)) dup = true;
    }
    if (dup) continue;
    found.push_back({st.st_mtim.tv_sec * 1000000000ll + st.st_mtim.tv_nsec, name});
  }
  // Plain files first among equals (sorted names put x.log before x.log.gz).
  std::stable_sort(found.begin(), found.end(),
                   [](const Candidate& a, const Candidate& b) { return a.mtime_ns < b.mtime_ns; });
  for (const Candidate& c : found) {
    Reader r;
    if (!OpenBackup(c.name, 0, false, &r)) continue;
    r.opened_unix = NowUnix();
    opts_.ctx.logger->Info("tail",
                           absl::StrCat("tail: reading rotated file ", c.name, " (not read yet)"),
                           {LogField("path", c.name).JsonOnly()});
    backups_.push_back(std::move(r));
  }
}

void FileFollower::MarkSeen(const FileIdentity& id) {
  if (id.fp_len == 0) return;
  for (const FileIdentity& s : seen_) {
    if (s.fp_len == id.fp_len && s.fp_crc == id.fp_crc) return;
  }
  seen_.push_back(id);
  if (seen_.size() > kMaxSeen) seen_.erase(seen_.begin());
}

bool FileFollower::Produce(Reader& r, std::string* out) {
  if (r.fd < 0 && r.gz == nullptr) return false;
  while (true) {
    if (!r.skipping) {
      const size_t nl = r.pending.rfind('\n');
      if (nl != std::string::npos) {
        out->append(r.pending, 0, nl + 1);
        stats_.lines += static_cast<uint64_t>(std::count(
            r.pending.begin(), r.pending.begin() + static_cast<ptrdiff_t>(nl + 1), '\n'));
        r.offset += nl + 1;
        r.pending.erase(0, nl + 1);
        return true;
      }
      if (r.pending.size() > opts_.max_line_bytes) {
        ++stats_.oversize_lines;
        opts_.ctx.logger->Warning(
            "tail",
            absl::StrCat("tail: ", r.name, ": line at byte ", r.offset, " is longer than ",
                         opts_.max_line_bytes, " bytes (--max-event-bytes); skipped"),
            {LogField("path", r.name).JsonOnly(), LogField("offset", r.offset).JsonOnly(),
             LogField("reason", "oversize").JsonOnly()});
        r.offset += r.pending.size();
        r.pending.clear();
        r.skipping = true;
      }
    }
    chunk_.resize(opts_.chunk_bytes);
    ssize_t n;
    if (r.gz != nullptr) {
      n = gzread(r.gz, chunk_.data(), static_cast<unsigned>(chunk_.size()));
      if (n < 0) {
        int err = 0;
        opts_.ctx.logger->Warning(
            "tail", absl::StrCat("tail: ", r.name, ": gzip read failed"),
            {LogField("error", gzerror(r.gz, &err)), LogField("path", r.name).JsonOnly()});
      }
    } else {
      n = PreadAll(r.fd, chunk_.data(), chunk_.size(), r.read_pos);
    }
    if (n <= 0) return false;
    const size_t got = static_cast<size_t>(n);
    stats_.bytes_read += got;
    r.read_pos += got;
    std::string_view data(chunk_.data(), got);
    if (r.skipping) {
      const size_t nl = data.find('\n');
      if (nl == std::string_view::npos) {
        r.offset += got;
        continue;
      }
      r.offset += nl + 1;
      r.skipping = false;
      data.remove_prefix(nl + 1);
    }
    // Only the new bytes can hold the first newline.
    const size_t before = r.pending.size();
    r.pending.append(data);
    if (r.pending.find('\n', before) == std::string::npos &&
        r.pending.size() <= opts_.max_line_bytes) {
      continue;
    }
  }
}

bool FileFollower::FlushTail(Reader& r, std::string* out) {
  if (r.skipping || r.pending.empty()) return false;
  // A rotated file ending without a newline: its last line is complete by now.
  out->append(r.pending);
  out->push_back('\n');
  ++stats_.lines;
  r.offset += r.pending.size();
  r.pending.clear();
  return true;
}

FileFollower::Change FileFollower::CheckLive() {
  // Truncation first: a file truncated and then renamed must be finished from its copy.
  struct stat fst;
  if (fstat(live_.fd, &fst) != 0) return Change::kNone;
  const std::string prefix = PreadPrefix(live_.fd, kFingerprintBytes);
  if (static_cast<uint64_t>(fst.st_size) < live_.read_pos || !live_.id.PrefixMatches(prefix)) {
    // Truncated in place (copytruncate): what we had not read yet is only in the copy.
    ++stats_.rotations_truncate;
    std::string copy = live_.id.fp_len > 0 ? FindSibling(live_.id, live_.id.ino) : "";
    Reader r;
    if (!copy.empty() && OpenBackup(copy, live_.offset, live_.skipping, &r)) {
      r.opened_unix = live_.opened_unix;
      backups_.push_back(std::move(r));
    } else {
      ++stats_.truncate_unrecovered;
      opts_.ctx.logger->Warning(
          "tail",
          absl::StrCat("tail: ", opts_.path,
                       " was truncated and no copy of it was found; lines written after byte ",
                       live_.offset, " and before the truncation are lost"),
          {LogField("path", opts_.path).JsonOnly(), LogField("offset", live_.offset).JsonOnly()});
      MarkSeen(live_.id);
    }
    live_.offset = live_.read_pos = 0;
    live_.pending.clear();
    live_.skipping = false;
    live_.id = IdentityOf(fst, prefix);
    live_.mtime_ns = MtimeNs(fst);
    live_.opened_unix = NowUnix();
    return Change::kTruncated;
  }
  // Nothing of this file seen yet (empty when opened, no line read): a truncation cannot show
  // in its size or first bytes.
  const bool knew_nothing = live_.id.fp_len == 0 && live_.offset == 0 && !live_.skipping;
  const bool changed = MtimeNs(fst) != live_.mtime_ns;
  live_.mtime_ns = MtimeNs(fst);
  // Complete the fingerprint from the open file before looking for a rename: a file opened
  // while empty and renamed before any line of it was read must still be recognised by its
  // content, or its rotated copy (e.g. the .gz) is taken for a new file and read again.
  if (prefix.size() > live_.id.fp_len) live_.id = IdentityOf(fst, prefix);
  struct stat pst;
  const bool path_ok = stat(opts_.path.c_str(), &pst) == 0;
  if (path_ok && (static_cast<uint64_t>(pst.st_ino) != live_.id.ino ||
                  static_cast<uint64_t>(pst.st_dev) != live_.id.dev)) {
    // Renamed away and replaced: read the old file (still open) to its end, then any rotated
    // file that came and went meanwhile, then the new one.
    ++stats_.rotations_rename;
    const int64_t since = live_.opened_unix;
    Reader old = std::move(live_);
    live_ = Reader{};
    backups_.push_back(std::move(old));
    OpenLive(0, false);
    AddNewerSiblings(since);
    return Change::kRotated;
  }
  if (knew_nothing && (changed || !prefix.empty())) {
    // Written to since we opened it while empty, before we read a line: it may have been
    // filled and copy-truncated meanwhile, its lines then only in the copy, a rotated file
    // newer than its opening that was never read. Such files are read first.
    const size_t queued = backups_.size();
    AddNewerSiblings(live_.opened_unix);
    if (backups_.size() > queued) {
      ++stats_.rotations_truncate;
      return Change::kTruncated;
    }
  }
  return Change::kNone;
}

bool FileFollower::Next(std::string* out) {
  for (int guard = 0; guard < 64; ++guard) {
    if (!backups_.empty()) {
      Reader& b = backups_.front();
      if (Produce(b, out)) return true;
      const bool tail = FlushTail(b, out);
      // Fully read; remember its content's fingerprint (from the file's first bytes).
      FileIdentity id = b.id;
      if (id.fp_len < kFingerprintBytes) {
        // From the open file: a renamed active file is still named PATH here, which is now
        // another file.
        const std::string prefix = b.fd >= 0 ? PreadPrefix(b.fd, kFingerprintBytes)
                                             : ReadPrefix(b.name, IsGz(b.name), kFingerprintBytes);
        if (b.id.PrefixMatches(prefix)) {
          id.fp_len = prefix.size();
          id.fp_crc = Crc32(prefix);
        }
      }
      MarkSeen(id);
      b.Close();
      backups_.pop_front();
      if (tail) return true;
      continue;
    }
    if (live_.fd < 0 && !OpenLive(0, false)) return false;
    // Look before reading: a file truncated and rewritten past our offset must not be read
    // from that offset.
    if (CheckLive() != Change::kNone) continue;
    if (Produce(live_, out)) {
      // A file opened while (nearly) empty: complete its fingerprint now, so that a checkpoint
      // taken before the next idle moment can find it again after a copy-truncate.
      if (live_.id.fp_len < kFingerprintBytes) {
        const std::string prefix = PreadPrefix(live_.fd, kFingerprintBytes);
        if (prefix.size() > live_.id.fp_len && live_.id.PrefixMatches(prefix)) {
          live_.id.fp_len = prefix.size();
          live_.id.fp_crc = Crc32(prefix);
        }
      }
      return true;
    }
    if (CheckLive() == Change::kNone) return false;
  }
  return false;
}

TailPosition FileFollower::position() const {
  const Reader& r = backups_.empty() ? live_ : backups_.front();
  TailPosition p;
  p.file = r.id;
  p.offset = r.offset;
  p.skipping = r.skipping;
  p.opened_unix = r.opened_unix;
  p.seen = seen_;
  return p;
}

std::string FileFollower::current_name() const {
  return backups_.empty() ? live_.name : backups_.front().name;
}

FollowerStats FileFollower::stats() const {
  FollowerStats s = stats_;
  const Reader& cur = backups_.empty() ? live_ : backups_.front();
  s.partial_line_bytes = cur.skipping ? 0 : cur.pending.size();
  s.files_pending = backups_.size();
  uint64_t lag = 0;
  auto add = [&](const Reader& r) {
    struct stat st;
    if (r.fd >= 0 && fstat(r.fd, &st) == 0 && static_cast<uint64_t>(st.st_size) > r.offset) {
      lag += static_cast<uint64_t>(st.st_size) - r.offset;
    }
  };
  for (const Reader& r : backups_) add(r);
  add(live_);
  s.lag_bytes = lag;
  return s;
}

}  // namespace kaudit
