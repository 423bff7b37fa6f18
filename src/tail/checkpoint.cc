#include "src/tail/checkpoint.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "src/common/file_util.h"
#include "src/common/strings.h"

namespace kaudit {
namespace {

absl::Status Errno(std::string_view what, const std::string& path) {
  return absl::InternalError(
      absl::StrCat("checkpoint ", path, ": ", ToAbsl(what), ": ", std::strerror(errno)));
}

}  // namespace

uint32_t Crc32(std::string_view data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size()));
  return static_cast<uint32_t>(crc);
}

bool FileIdentity::PrefixMatches(std::string_view prefix) const {
  if (prefix.size() < fp_len) return false;
  return Crc32(prefix.substr(0, fp_len)) == fp_crc;
}

absl::Status WriteCheckpoint(const std::string& path, const Checkpoint& cp) {
  std::string text = absl::StrCat(
      "kaudit-tail-checkpoint 1\n", "path ", cp.path, "\n", "dev ", cp.file.dev, "\n", "ino ",
      cp.file.ino, "\n", "fp_len ", cp.file.fp_len, "\n", "fp_crc ", cp.file.fp_crc, "\n",
      "offset ", cp.offset, "\n", "skipping ", cp.skipping ? 1 : 0, "\n", "output ", cp.output,
      "\n", "output_bytes ", cp.output_bytes, "\n", "lines ", cp.lines, "\n", "events ", cp.events,
      "\n", "opened ", cp.opened_unix, "\n");
  for (const FileIdentity& id : cp.seen) {
    absl::StrAppend(&text, "seen ", id.fp_len, " ", id.fp_crc, "\n");
  }
  absl::Status s = WriteFileAtomically(path, text, 0644);
  if (!s.ok()) return absl::InternalError(absl::StrCat("checkpoint ", path, ": ", s.message()));
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Checkpoint>> ReadCheckpoint(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return std::optional<Checkpoint>();
    return Errno("open", path);
  }
  Checkpoint cp;
  std::string line;
  bool header = false;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line_no == 1) {
      header = line == "kaudit-tail-checkpoint 1";
      if (!header) break;
      continue;
    }
    const size_t sp = line.find(' ');
    const std::string key = line.substr(0, sp);
    const std::string value = sp == std::string::npos ? "" : line.substr(sp + 1);
    auto num = [&](uint64_t* out) {
      if (!absl::SimpleAtoi(value, out)) {
        return absl::DataLossError(
            absl::StrCat("checkpoint ", path, ":", line_no, ": ", key, ": not a number"));
      }
      return absl::OkStatus();
    };
    absl::Status s;
    uint64_t v = 0;
    if (key == "path") {
      cp.path = value;
    } else if (key == "output") {
      cp.output = value;
    } else if (key == "dev") {
      s = num(&cp.file.dev);
    } else if (key == "ino") {
      s = num(&cp.file.ino);
    } else if (key == "fp_len") {
      s = num(&cp.file.fp_len);
    } else if (key == "fp_crc") {
      s = num(&v);
      cp.file.fp_crc = static_cast<uint32_t>(v);
    } else if (key == "offset") {
      s = num(&cp.offset);
    } else if (key == "skipping") {
      s = num(&v);
      cp.skipping = v != 0;
    } else if (key == "output_bytes") {
      s = num(&cp.output_bytes);
    } else if (key == "lines") {
      s = num(&cp.lines);
    } else if (key == "events") {
      s = num(&cp.events);
    } else if (key == "opened") {
      if (!absl::SimpleAtoi(value, &cp.opened_unix)) s = num(&v);
    } else if (key == "seen") {
      FileIdentity id;
      const size_t sp2 = value.find(' ');
      uint64_t crc = 0;
      if (sp2 == std::string::npos || !absl::SimpleAtoi(value.substr(0, sp2), &id.fp_len) ||
          !absl::SimpleAtoi(value.substr(sp2 + 1), &crc)) {
        return absl::DataLossError(
            absl::StrCat("checkpoint ", path, ":", line_no, ": seen: expected LEN CRC"));
      }
      id.fp_crc = static_cast<uint32_t>(crc);
      cp.seen.push_back(id);
    }
    if (!s.ok()) return s;
  }
  if (!header) {
    return absl::DataLossError(
        absl::StrCat("checkpoint ", path, ": not a kaudit tail checkpoint (version 1)"));
  }
  return std::optional<Checkpoint>(std::move(cp));
}

}  // namespace kaudit
