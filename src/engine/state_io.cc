#include "src/engine/state_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "src/common/strings.h"

namespace kaudit {
namespace {

constexpr std::string_view kMagic = "kaudit-state";
constexpr int kFormat = 1;

std::vector<std::string> SplitLine(std::string_view line) {
  std::vector<std::string> out(1);
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == '\t') {
      out.emplace_back();
    } else if (c == '\\' && i + 1 < line.size()) {
      char n = line[++i];
      out.back().push_back(n == 't' ? '\t' : n == 'n' ? '\n' : n);
    } else {
      out.back().push_back(c);
    }
  }
  return out;
}

}  // namespace

StateWriter::StateWriter(std::string_view detector_id, int version) {
  header_ =
      absl::StrCat(ToAbsl(kMagic), "\t", kFormat, "\t", ToAbsl(detector_id), "\t", version, "\n");
}

void StateWriter::AppendField(std::string_view f, bool first) {
  if (!first) body_.push_back('\t');
  for (char c : f) {
    if (c == '\t') {
      body_ += "\\t";
    } else if (c == '\n') {
      body_ += "\\n";
    } else if (c == '\\') {
      body_ += "\\\\";
    } else {
      body_.push_back(c);
    }
  }
}

void StateWriter::Record(std::initializer_list<std::string_view> fields) {
  bool first = true;
  for (std::string_view f : fields) {
    AppendField(f, first);
    first = false;
  }
  body_.push_back('\n');
  ++records_;
}

void StateWriter::RecordFields(const std::vector<std::string>& fields) {
  bool first = true;
  for (const auto& f : fields) {
    AppendField(f, first);
    first = false;
  }
  body_.push_back('\n');
  ++records_;
}

std::string StateWriter::Finish() const {
  return absl::StrCat(header_, body_, "end\t", records_, "\n");
}

absl::StatusOr<StateReader> StateReader::Parse(std::string_view data, std::string_view detector_id,
                                               std::string_view origin) {
  StateReader r;
  r.origin_ = std::string(origin);
  std::vector<std::vector<std::string>> lines;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t nl = data.find('\n', pos);
    if (nl == std::string_view::npos) {
      return absl::DataLossError(absl::StrCat(ToAbsl(origin), ": truncated (no final newline)"));
    }
    lines.push_back(SplitLine(data.substr(pos, nl - pos)));
    pos = nl + 1;
  }
  if (lines.size() < 2 || lines[0].size() != 4 || lines[0][0] != kMagic) {
    return absl::DataLossError(absl::StrCat(ToAbsl(origin), ": not a kaudit state file"));
  }
  int format = 0;
  if (!absl::SimpleAtoi(lines[0][1], &format) || format != kFormat) {
    return absl::FailedPreconditionError(
        absl::StrCat(ToAbsl(origin), ": unsupported state format ", lines[0][1]));
  }
  if (lines[0][2] != detector_id) {
    return absl::FailedPreconditionError(absl::StrCat(
        ToAbsl(origin), ": state of detector ", lines[0][2], ", expected ", ToAbsl(detector_id)));
  }
  if (!absl::SimpleAtoi(lines[0][3], &r.version_)) {
    return absl::DataLossError(absl::StrCat(ToAbsl(origin), ": bad version"));
  }
  const auto& trailer = lines.back();
  uint64_t n = 0;
  if (trailer.size() != 2 || trailer[0] != "end" || !absl::SimpleAtoi(trailer[1], &n) ||
      n != lines.size() - 2) {
    return absl::DataLossError(absl::StrCat(ToAbsl(origin), ": truncated (bad trailer)"));
  }
  r.records_.assign(std::make_move_iterator(lines.begin() + 1),
                    std::make_move_iterator(lines.end() - 1));
  return r;
}

bool StateReader::Next(std::vector<std::string>* fields) {
  if (next_ >= records_.size()) return false;
  *fields = std::move(records_[next_++]);
  return true;
}

absl::Status StateReader::Error(std::string_view what) const {
  return absl::DataLossError(absl::StrCat(origin_, ": record ", next_, ": ", ToAbsl(what)));
}

std::string TimeToField(absl::Time t) { return absl::StrCat(absl::ToUnixNanos(t)); }

bool TimeFromField(std::string_view s, absl::Time* t) {
  int64_t ns = 0;
  if (!absl::SimpleAtoi(ToAbsl(s), &ns)) return false;
  *t = absl::FromUnixNanos(ns);
  return true;
}

absl::Status WriteFileAtomically(const std::string& path, std::string_view data) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat(tmp, ": ", std::strerror(errno)));
  }
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return absl::UnavailableError(absl::StrCat(tmp, ": write: ", std::strerror(err)));
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return absl::UnavailableError(absl::StrCat(tmp, ": fsync/close: ", std::strerror(errno)));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(
        absl::StrCat("rename ", tmp, " -> ", path, ": ", std::strerror(errno)));
  }
  // The rename is durable once the directory is.
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return absl::NotFoundError(path);
    return absl::UnavailableError(absl::StrCat(path, ": ", std::strerror(errno)));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace kaudit
