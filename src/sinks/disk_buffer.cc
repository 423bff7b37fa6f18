#include "src/sinks/disk_buffer.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/common/status_macros.h"

namespace kaudit {
namespace {

void PutU32(std::string& out, uint32_t v) {
  char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
               static_cast<char>(v >> 24)};
  out.append(b, 4);
}
void PutU64(std::string& out, uint64_t v) {
  PutU32(out, static_cast<uint32_t>(v));
  PutU32(out, static_cast<uint32_t>(v >> 32));
}
void PutStr(std::string& out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}
void PutList(std::string& out, const std::vector<std::string>& v) {
  PutU32(out, static_cast<uint32_t>(v.size()));
  for (const auto& s : v) PutStr(out, s);
}

bool GetU32(std::string_view& in, uint32_t& v) {
  if (in.size() < 4) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  v = static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
      static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
  in.remove_prefix(4);
  return true;
}
bool GetU64(std::string_view& in, uint64_t& v) {
  uint32_t lo, hi;
  if (!GetU32(in, lo) || !GetU32(in, hi)) return false;
  v = static_cast<uint64_t>(hi) << 32 | lo;
  return true;
}
bool GetStr(std::string_view& in, std::string& s) {
  uint32_t n;
  if (!GetU32(in, n) || in.size() < n) return false;
  s.assign(in.data(), n);
  in.remove_prefix(n);
  return true;
}
bool GetList(std::string_view& in, std::vector<std::string>& v) {
  uint32_t n;
  if (!GetU32(in, n) || n > in.size() / 4) return false;
  v.resize(n);
  for (auto& s : v) {
    if (!GetStr(in, s)) return false;
  }
  return true;
}
void PutTime(std::string& out, absl::Time t) {
  PutU64(out, t == absl::InfinitePast() ? UINT64_MAX : static_cast<uint64_t>(absl::ToUnixNanos(t)));
}
bool GetTime(std::string_view& in, absl::Time& t) {
  uint64_t v;
  if (!GetU64(in, v)) return false;
  t = v == UINT64_MAX ? absl::InfinitePast() : absl::FromUnixNanos(static_cast<int64_t>(v));
  return true;
}

constexpr uint32_t kCodecVersion = 1;
constexpr size_t kHeader = 8;  // u32 length + u32 crc
constexpr uint32_t kMaxRecord = 64u << 20;

uint32_t Crc(std::string_view s) {
  return static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

absl::Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t w = write(fd, data.data(), data.size());
    if (w < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(absl::StrCat(path, ": write failed: ", strerror(errno)));
    }
    data.remove_prefix(static_cast<size_t>(w));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadWhole(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(absl::StrCat(path, ": ", strerror(errno)));
  std::string data;
  char buf[1 << 16];
  while (true) {
    ssize_t r = read(fd, buf, sizeof(buf));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    data.append(buf, static_cast<size_t>(r));
  }
  close(fd);
  return data;
}

constexpr size_t kReadChunk = 1 << 20;
// Segment numbers start high so that Prepend can number segments before the first.
constexpr uint64_t kFirstSeq = 1ull << 40;

// Up to `n` bytes of `path` from `offset`.
absl::StatusOr<std::string> ReadAt(const std::string& path, uint64_t offset, size_t n) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(absl::StrCat(path, ": ", strerror(errno)));
  std::string data(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = pread(fd, data.data() + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  close(fd);
  data.resize(got);
  return data;
}

}  // namespace

void EncodeAlert(const Alert& a, std::string& out) {
  PutU32(out, kCodecVersion);
  PutStr(out, a.detector_id);
  PutStr(out, a.title);
  out.push_back(static_cast<char>(a.severity));
  PutList(out, a.mitre);
  PutTime(out, a.event_time);
  PutStr(out, a.user);
  PutStr(out, a.impersonated_user);
  PutList(out, a.groups);
  PutList(out, a.source_ips);
  PutStr(out, a.user_agent);
  PutStr(out, a.verb);
  PutStr(out, a.resource);
  PutStr(out, a.subresource);
  PutStr(out, a.namespace_);
  PutStr(out, a.name);
  PutStr(out, a.api_group);
  PutStr(out, a.request_uri);
  PutU32(out, static_cast<uint32_t>(a.response_code));
  PutStr(out, a.message);
  PutList(out, a.audit_ids);
  PutU64(out, a.audit_id_count);
  PutU64(out, a.count);
  PutTime(out, a.window_start);
  PutTime(out, a.window_end);
  PutU32(out, static_cast<uint32_t>(a.fields.size()));
  for (const auto& [k, v] : a.fields) {
    PutStr(out, k);
    PutStr(out, v);
  }
}

bool DecodeAlert(std::string_view& in, Alert& a) {
  uint32_t version, code, nfields;
  if (!GetU32(in, version) || version != kCodecVersion) return false;
  if (!GetStr(in, a.detector_id) || !GetStr(in, a.title) || in.empty()) return false;
  uint8_t sev = static_cast<uint8_t>(in[0]);
  if (sev >= kNumSeverities) return false;
  a.severity = static_cast<Severity>(sev);
  in.remove_prefix(1);
  if (!GetList(in, a.mitre) || !GetTime(in, a.event_time) || !GetStr(in, a.user) ||
      !GetStr(in, a.impersonated_user) || !GetList(in, a.groups) || !GetList(in, a.source_ips) ||
      !GetStr(in, a.user_agent) || !GetStr(in, a.verb) || !GetStr(in, a.resource) ||
      !GetStr(in, a.subresource) || !GetStr(in, a.namespace_) || !GetStr(in, a.name) ||
      !GetStr(in, a.api_group) || !GetStr(in, a.request_uri) || !GetU32(in, code) ||
      !GetStr(in, a.message) || !GetList(in, a.audit_ids) || !GetU64(in, a.audit_id_count) ||
      !GetU64(in, a.count) || !GetTime(in, a.window_start) || !GetTime(in, a.window_end) ||
      !GetU32(in, nfields) || nfields > in.size() / 8) {
    return false;
  }
  a.response_code = static_cast<int32_t>(code);
  a.fields.resize(nfields);
  for (auto& [k, v] : a.fields) {
    if (!GetStr(in, k) || !GetStr(in, v)) return false;
  }
  return true;
}

absl::StatusOr<std::unique_ptr<DiskBuffer>> DiskBuffer::Open(DiskBufferOptions options) {
  if (options.dir.empty()) return absl::InvalidArgumentError("disk buffer: no directory");
  if (mkdir(options.dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::PermissionDeniedError(
        absl::StrCat(options.dir, ": cannot create buffer directory: ", strerror(errno)));
  }
  options.segment_bytes = std::max<uint64_t>(options.segment_bytes, 4096);
  options.max_bytes = std::max(options.max_bytes, options.segment_bytes);
  std::unique_ptr<DiskBuffer> b(new DiskBuffer(std::move(options)));
  KAUDIT_RETURN_IF_ERROR(b->Load());
  return b;
}

DiskBuffer::~DiskBuffer() { CloseWriter(); }

void DiskBuffer::CloseWriter() {
  if (write_fd_ >= 0) close(write_fd_);
  write_fd_ = -1;
}

absl::Status DiskBuffer::Load() {
  DIR* d = opendir(opts_.dir.c_str());
  if (d == nullptr) {
    return absl::NotFoundError(absl::StrCat(opts_.dir, ": ", strerror(errno)));
  }
  std::vector<uint64_t> seqs;
  while (dirent* e = readdir(d)) {
    unsigned long long seq = 0;
    char tail[8] = {0};
    if (std::sscanf(e->d_name, "seg-%llu.%4s", &seq, tail) == 2 && std::strcmp(tail, "kab") == 0) {
      seqs.push_back(seq);
    }
  }
  closedir(d);
  std::sort(seqs.begin(), seqs.end());
  for (uint64_t seq : seqs) {
    Segment s;
    s.seq = seq;
    s.path = absl::StrFormat("%s/seg-%020d.kab", opts_.dir, seq);
    KAUDIT_ASSIGN_OR_RETURN(std::string data, ReadWhole(s.path));
    // Count whole records; a record cut short by a crash ends the segment.
    std::string_view rest = data;
    while (rest.size() >= kHeader) {
      std::string_view h = rest;
      uint32_t len, crc;
      (void)GetU32(h, len);
      (void)GetU32(h, crc);
      if (len > kMaxRecord || h.size() < len) break;
      ++s.alerts;
      rest.remove_prefix(kHeader + len);
    }
    s.bytes = data.size() - rest.size();
    if (!rest.empty()) ++stats_.corrupt;
    if (s.alerts == 0) {
      unlink(s.path.c_str());
      continue;
    }
    stats_.pending += s.alerts;
    stats_.bytes += s.bytes;
    segments_.push_back(std::move(s));
  }
  stats_.recovered = stats_.pending;
  return absl::OkStatus();  // new appends go to a fresh segment
}

absl::Status DiskBuffer::StartSegment() {
  CloseWriter();
  Segment s;
  s.seq = segments_.empty() ? kFirstSeq : segments_.back().seq + 1;
  s.path = absl::StrFormat("%s/seg-%020d.kab", opts_.dir, s.seq);
  write_fd_ = open(s.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (write_fd_ < 0) {
    return absl::UnavailableError(absl::StrCat(s.path, ": cannot create: ", strerror(errno)));
  }
  segments_.push_back(std::move(s));
  return absl::OkStatus();
}

void DiskBuffer::DropOldest() {
  Segment& s = segments_.front();
  const uint64_t unread = s.alerts - s.read_alerts;
  stats_.dropped += unread;
  stats_.pending -= unread;
  stats_.bytes -= s.bytes;
  unlink(s.path.c_str());
  if (segments_.size() == 1) CloseWriter();
  segments_.pop_front();
}

void DiskBuffer::EncodeRecord(const Alert& a) {
  record_.assign(kHeader, '\0');
  EncodeAlert(a, record_);
  const std::string_view payload = std::string_view(record_).substr(kHeader);
  std::string header;
  PutU32(header, static_cast<uint32_t>(payload.size()));
  PutU32(header, Crc(payload));
  std::memcpy(record_.data(), header.data(), kHeader);
}

absl::Status DiskBuffer::Prepend(std::span<const Alert> alerts) {
  std::lock_guard<std::mutex> l(mu_);
  if (alerts.empty()) return absl::OkStatus();
  Segment s;
  s.seq = segments_.empty() ? kFirstSeq : segments_.front().seq - 1;
  s.path = absl::StrFormat("%s/seg-%020d.kab", opts_.dir, s.seq);
  std::string data;
  for (const Alert& a : alerts) {
    EncodeRecord(a);
    data += record_;
  }
  const std::string tmp = s.path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return absl::UnavailableError(absl::StrCat(tmp, ": cannot create: ", strerror(errno)));
  absl::Status st = WriteAll(fd, data, tmp);
  close(fd);
  if (st.ok() && rename(tmp.c_str(), s.path.c_str()) != 0) {
    st = absl::UnavailableError(absl::StrCat(s.path, ": cannot rename: ", strerror(errno)));
  }
  if (!st.ok()) {
    unlink(tmp.c_str());
    return st;
  }
  s.bytes = data.size();
  s.alerts = alerts.size();
  stats_.bytes += s.bytes;
  stats_.pending += s.alerts;
  stats_.written += s.alerts;
  segments_.push_front(std::move(s));
  return absl::OkStatus();
}

absl::Status DiskBuffer::Append(std::span<const Alert> alerts) {
  std::lock_guard<std::mutex> l(mu_);
  for (const Alert& a : alerts) {
    EncodeRecord(a);
    if (write_fd_ < 0 || segments_.back().bytes + record_.size() > opts_.segment_bytes) {
      KAUDIT_RETURN_IF_ERROR(StartSegment());
    }
    // Beyond the bound the oldest segment goes (recent alerts matter most), never the one
    // being written.
    while (stats_.bytes + record_.size() > opts_.max_bytes && segments_.size() > 1) DropOldest();
    Segment& s = segments_.back();
    if (absl::Status st = WriteAll(write_fd_, record_, s.path); !st.ok()) {
      // Keep the file whole: cut off what a partial write left.
      if (ftruncate(write_fd_, static_cast<off_t>(s.bytes)) != 0) CloseWriter();
      return st;
    }
    s.bytes += record_.size();
    ++s.alerts;
    stats_.bytes += record_.size();
    ++stats_.pending;
    ++stats_.written;
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> DiskBuffer::Read(size_t max, std::vector<Alert>& out) {
  std::lock_guard<std::mutex> l(mu_);
  size_t got = 0;
  while (got < max && !segments_.empty()) {
    Segment& s = segments_.front();
    while (got < max && s.read_alerts < s.alerts) {
      // The next record: header, then payload (read in one go when it fits in a chunk).
      KAUDIT_ASSIGN_OR_RETURN(std::string chunk, ReadAt(s.path, s.read_offset, kReadChunk));
      std::string_view rest = chunk;
      size_t parsed = 0;
      while (got < max && s.read_alerts < s.alerts) {
        std::string_view h = rest;
        uint32_t len = 0, crc = 0;
        if (!GetU32(h, len) || !GetU32(h, crc)) break;  // header straddles the chunk end
        if (len > kMaxRecord) {
          h = std::string_view();  // corrupt length
        } else if (h.size() < len) {
          if (parsed > 0) break;  // read on from this record
          KAUDIT_ASSIGN_OR_RETURN(chunk, ReadAt(s.path, s.read_offset, kHeader + len));
          rest = chunk;
          h = rest.substr(kHeader);
        }
        Alert a;
        std::string_view payload = h.size() >= len ? h.substr(0, len) : std::string_view();
        std::string_view p = payload;
        if (payload.size() != len || Crc(payload) != crc || !DecodeAlert(p, a)) {
          // The rest of this segment cannot be trusted: count it and move on.
          const uint64_t lost = s.alerts - s.read_alerts;
          stats_.corrupt += lost;
          stats_.pending -= lost;
          s.read_alerts = s.alerts;
          break;
        }
        out.push_back(std::move(a));
        ++got;
        ++s.read_alerts;
        ++stats_.read;
        --stats_.pending;
        s.read_offset += kHeader + len;
        rest.remove_prefix(kHeader + len);
        ++parsed;
      }
      if (parsed == 0 && s.read_alerts < s.alerts && got < max) {
        // Nothing readable where a record should be (file cut short): count the rest.
        const uint64_t lost = s.alerts - s.read_alerts;
        stats_.corrupt += lost;
        stats_.pending -= lost;
        s.read_alerts = s.alerts;
      }
    }
    if (s.read_alerts < s.alerts) break;  // `max` reached inside this segment
    // Fully read: delete it (the segment being written is closed first).
    if (segments_.size() == 1) CloseWriter();
    stats_.bytes -= s.bytes;
    unlink(s.path.c_str());
    segments_.pop_front();
  }
  return got;
}

uint64_t DiskBuffer::pending() const {
  std::lock_guard<std::mutex> l(mu_);
  return stats_.pending;
}

DiskBufferStats DiskBuffer::stats() const {
  std::lock_guard<std::mutex> l(mu_);
  return stats_;
}

}  // namespace kaudit
