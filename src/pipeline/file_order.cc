#include "src/pipeline/file_order.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "src/common/logger.h"
#include "src/common/strings.h"
#include "src/common/time_util.h"

namespace kaudit {
namespace fs = std::filesystem;

std::optional<absl::Time> RotationTimeFromName(const std::string& name) {
  // ...-YYYY-MM-DDTHH-MM-SS.mmm.log[.gz]
  for (size_t i = 0; i + 23 <= name.size(); ++i) {
    if (name[i] != '-' || i + 24 > name.size()) continue;
    std::string_view s(name.data() + i + 1, 23);
    if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != '-' || s[16] != '-' ||
        s[19] != '.') {
      continue;
    }
    std::string rfc = absl::StrCat(ToAbsl(s.substr(0, 13)), ":", ToAbsl(s.substr(14, 2)), ":",
                                   ToAbsl(s.substr(17, 2)), ".", ToAbsl(s.substr(20, 3)), "Z");
    if (auto t = ParseRfc3339(rfc)) return t;
  }
  return std::nullopt;
}

namespace {

// Files a directory contributes: audit logs by their usual names (*.log, *.json, *.jsonl,
// *.ndjson, *.gz, and rotated audit.log.N). Other files (README, checksums, manifests) are
// listed as skipped. Files named explicitly are always read.
bool LooksLikeLog(const std::string& name) {
  for (std::string_view ext : {".log", ".json", ".jsonl", ".ndjson", ".gz"}) {
    if (EndsWith(name, ext)) return true;
  }
  return name.find(".log.") != std::string::npos;
}

// logrotate: audit.log.3 or audit.log.3.gz -> 3.
std::optional<int> LogrotateIndex(const std::string& name) {
  std::string n = name;
  if (n.size() > 3 && n.compare(n.size() - 3, 3, ".gz") == 0) n.resize(n.size() - 3);
  size_t dot = n.rfind('.');
  if (dot == std::string::npos || dot + 1 >= n.size()) return std::nullopt;
  int idx;
  if (!absl::SimpleAtoi(n.substr(dot + 1), &idx)) return std::nullopt;
  return idx;
}

struct Keyed {
  InputFile file;
  int rank;  // 0 = stdin, 1 = files
  absl::Time key;
  int logrotate;  // higher = older, within equal keys
};

absl::StatusOr<Keyed> KeyFor(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat(path, ": ", std::strerror(errno)));
  }
  Keyed k{{path, absl::InfinitePast()}, 1, absl::FromTimeT(st.st_mtime), 0};
  std::string name = fs::path(path).filename().string();
  if (auto t = RotationTimeFromName(name)) {
    k.key = *t;
  } else if (auto idx = LogrotateIndex(name)) {
    k.logrotate = *idx;
  }
  k.file.order_time = k.key;
  return k;
}

}  // namespace

absl::StatusOr<std::vector<InputFile>> ExpandInputs(const std::vector<std::string>& inputs,
                                                    Context ctx) {
  std::vector<Keyed> all;
  for (const auto& in : inputs) {
    if (in == "-") {
      all.push_back({{"-", absl::InfinitePast()}, 0, absl::InfinitePast(), 0});
      continue;
    }
    std::error_code ec;
    auto status = fs::status(in, ec);
    if (ec || !fs::exists(status)) {
      return absl::NotFoundError(absl::StrCat(in, ": no such file or directory"));
    }
    if (fs::is_directory(status)) {
      std::vector<std::string> files;
      for (const auto& entry : fs::directory_iterator(in, ec)) {
        std::string name = entry.path().filename().string();
        if (name.empty() || name[0] == '.') continue;
        if (!entry.is_regular_file(ec)) continue;
        if (!LooksLikeLog(name)) {
          ctx.logger->Info("input", "skipped (not named like an audit log)",
                           {LogField("path", entry.path().string())});
          continue;
        }
        files.push_back(entry.path().string());
      }
      if (ec) return absl::NotFoundError(absl::StrCat(in, ": cannot list: ", ec.message()));
      for (const auto& f : files) {
        auto k = KeyFor(f);
        if (!k.ok()) return k.status();
        all.push_back(*k);
      }
    } else {
      auto k = KeyFor(in);
      if (!k.ok()) return k.status();
      all.push_back(*k);
    }
  }
  // Oldest first; among logrotate's numbered backups with equal times, higher index first.
  std::stable_sort(all.begin(), all.end(), [](const Keyed& a, const Keyed& b) {
    return std::make_tuple(a.rank, a.key, -a.logrotate, a.file.path) <
           std::make_tuple(b.rank, b.key, -b.logrotate, b.file.path);
  });
  std::vector<InputFile> out;
  for (auto& k : all) out.push_back(std::move(k.file));
  return out;
}

}  // namespace kaudit
