#include "src/engine/state_io.h"

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

}  // namespace kaudit
