#include "src/pipeline/replay_checkpoint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "src/common/strings.h"
#include "src/engine/state_io.h"

namespace kaudit {
namespace {

constexpr char kHeader[] = "kaudit-replay-checkpoint 1";

// Calls f(name, value&) for every cumulative counter of `s`.
template <typename F>
void VisitCounters(RunSummary& s, F f) {
  f("inputs", s.inputs);
  f("input_errors", s.input_errors);
  f("bytes", s.reader.bytes);
  f("documents", s.reader.documents);
  f("events", s.reader.events);
  f("list_items_truncated", s.reader.list_items_truncated);
  for (int i = 0; i < kNumInvalidReasons; ++i) {
    f(absl::StrCat("invalid.", ToAbsl(InvalidReasonName(static_cast<InvalidReason>(i)))),
      s.reader.invalid[i]);
  }
  f("duplicates", s.duplicates);
  f("out_of_range", s.out_of_range);
  f("alerts_emitted", s.alerts_emitted);
  f("alerts_below_min_severity", s.alerts_below_min_severity);
  f("alerts_sink_failed", s.alerts_sink_failed);
  f("dead_letters", s.dead_letters);
  f("aggregation_evictions", s.aggregation_evictions);
  f("checkpoint_writes", s.checkpoint_writes);
  f("checkpoint_errors", s.checkpoint_errors);
  f("resumes", s.resumes);
  for (DetectorSummary& d : s.detectors) {
    const std::string p = absl::StrCat("detector.", d.id, ".");
    f(p + "events", d.events);
    f(p + "allowed", d.allowed);
    f(p + "not_judged", d.not_judged);
    f(p + "state_evictions", d.state_evictions);
    f(p + "alerts_aggregated", d.alerts_aggregated);
    for (int i = 0; i < kNumSeverities; ++i) {
      f(absl::StrCat(p, "alerts.", ToAbsl(SeverityName(static_cast<Severity>(i)))), d.alerts[i]);
    }
  }
  for (SinkStats& k : s.sinks) {
    const std::string p = absl::StrCat("sink.", k.name, ".");
    f(p + "accepted", k.accepted);
    f(p + "filtered", k.filtered);
    f(p + "sent", k.sent);
    f(p + "batches", k.batches);
    f(p + "retries", k.retries);
    f(p + "dropped_queue_full", k.dropped_queue_full);
    f(p + "dropped_shutdown", k.dropped_shutdown);
    f(p + "dropped_disk", k.dropped_disk);
    f(p + "spilled", k.spilled);
  }
}

// The first `n` bytes of `path` (fewer if it is shorter).
std::string ReadPrefix(const std::string& path, uint64_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  while (got < out.size()) {
    ssize_t r = read(fd, out.data() + got, out.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  close(fd);
  out.resize(got);
  return out;
}

absl::Status Damaged(const std::string& path, int line, std::string_view what) {
  return absl::DataLossError(absl::StrCat("replay checkpoint ", path, ":", line, ": ", ToAbsl(what),
                                          " (damaged? remove it to replay from the start)"));
}

}  // namespace

std::vector<std::pair<std::string, uint64_t>> SummaryCounters(const RunSummary& summary) {
  RunSummary s = summary;
  std::vector<std::pair<std::string, uint64_t>> out;
  VisitCounters(s, [&](const std::string& name, uint64_t& v) { out.emplace_back(name, v); });
  out.emplace_back("seconds_us", static_cast<uint64_t>(s.seconds * 1e6));
  if (s.last_event_time != absl::InfinitePast()) {
    out.emplace_back("last_event_time_ns",
                     static_cast<uint64_t>(absl::ToUnixNanos(s.last_event_time)));
  }
  return out;
}

void AddSummaryCounters(const std::vector<std::pair<std::string, uint64_t>>& counters,
                        RunSummary& s) {
  absl::flat_hash_map<std::string, uint64_t> by_name(counters.begin(), counters.end());
  VisitCounters(s, [&](const std::string& name, uint64_t& v) {
    auto it = by_name.find(name);
    if (it != by_name.end()) v += it->second;
  });
  if (auto it = by_name.find("seconds_us"); it != by_name.end()) {
    s.seconds += static_cast<double>(it->second) / 1e6;
  }
  if (auto it = by_name.find("last_event_time_ns"); it != by_name.end()) {
    const absl::Time t = absl::FromUnixNanos(static_cast<int64_t>(it->second));
    if (s.last_event_time == absl::InfinitePast() || t > s.last_event_time) s.last_event_time = t;
  }
}

absl::StatusOr<ReplayInput> IdentifyInput(const std::string& path) {
  ReplayInput in;
  in.path = path;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return absl::InternalError(absl::StrCat(path, ": stat: ", std::strerror(errno)));
  }
  in.id.dev = static_cast<uint64_t>(st.st_dev);
  in.id.ino = static_cast<uint64_t>(st.st_ino);
  in.size = static_cast<uint64_t>(st.st_size);
  close(fd);
  const std::string prefix = ReadPrefix(path, kFingerprintBytes);
  in.id.fp_len = prefix.size();
  in.id.fp_crc = Crc32(prefix);
  return in;
}

absl::Status CheckSameInputs(const ReplayCheckpoint& cp, const std::vector<ReplayInput>& now,
                             const std::string& checkpoint_path) {
  auto differs = [&](const std::string& file, std::string_view why) {
    return absl::FailedPreconditionError(
        absl::StrCat("--checkpoint ", checkpoint_path, ": input ", file, " ", ToAbsl(why),
                     ": give the inputs of the interrupted replay, or remove ", checkpoint_path,
                     " to replay from the start"));
  };
  for (size_t i = 0; i < std::max(cp.inputs.size(), now.size()); ++i) {
    if (i >= now.size()) return differs(cp.inputs[i].path, "is in the checkpoint but not given");
    if (i >= cp.inputs.size()) return differs(now[i].path, "is not in the checkpoint");
    const ReplayInput& was = cp.inputs[i];
    const ReplayInput& is = now[i];
    if (was.path != is.path) {
      return differs(is.path,
                     absl::StrCat("is not the checkpoint's input ", i + 1, " (", was.path, ")"));
    }
    // The content decides (a copied or restored file has another inode): the same first bytes,
    // and at least as many of them (an active log may have grown since).
    if (is.id.fp_len < was.id.fp_len || is.size < was.size) {
      return differs(is.path, absl::StrCat("is shorter than at the checkpoint (", is.size, " < ",
                                           was.size, " bytes)"));
    }
    if (was.id.fp_len != is.id.fp_len && was.id.fp_len < kFingerprintBytes) {
      // It was shorter than a fingerprint then: compare the same number of bytes.
      if (!was.id.PrefixMatches(ReadPrefix(is.path, was.id.fp_len))) {
        return differs(is.path, "does not start as it did (another file?)");
      }
    } else if (was.id.fp_crc != is.id.fp_crc) {
      return differs(is.path, "does not start as it did (another file?)");
    }
  }
  return absl::OkStatus();
}

absl::Status WriteReplayCheckpoint(const std::string& path, const ReplayCheckpoint& cp) {
  std::string text = absl::StrCat(kHeader, "\n");
  for (const ReplayInput& in : cp.inputs) {
    absl::StrAppend(&text, "input ", in.id.dev, " ", in.id.ino, " ", in.id.fp_len, " ",
                    in.id.fp_crc, " ", in.size, " ", in.path, "\n");
  }
  absl::StrAppend(&text, "file ", cp.file, "\n", "offset ", cp.offset, "\n", "output_bytes ",
                  cp.output_bytes, "\n", "output ", cp.output, "\n");
  for (const auto& [name, v] : cp.counters) absl::StrAppend(&text, "counter ", name, " ", v, "\n");
  for (const auto& [id, data] : cp.state) {
    absl::StrAppend(&text, "state ", id, " ", data.size(), "\n", data, "\n");
  }
  absl::StrAppend(&text, "end\n");
  absl::Status s = WriteFileAtomically(path, text);
  if (!s.ok()) return absl::UnavailableError(absl::StrCat("replay checkpoint: ", s.message()));
  return absl::OkStatus();
}

absl::StatusOr<std::optional<ReplayCheckpoint>> ReadReplayCheckpoint(const std::string& path) {
  auto data = ReadWholeFile(path);
  if (absl::IsNotFound(data.status())) return std::optional<ReplayCheckpoint>();
  if (!data.ok()) return data.status();
  const std::string& text = *data;
  ReplayCheckpoint cp;
  size_t pos = 0;
  int line_no = 0;
  bool ended = false;
  auto next_line = [&](std::string* line) {
    if (pos >= text.size()) return false;
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    *line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    return true;
  };
  std::string line;
  if (!next_line(&line) || line != kHeader) {
    return absl::DataLossError(
        absl::StrCat("replay checkpoint ", path, ": not a kaudit replay checkpoint (version 1)"));
  }
  while (!ended && next_line(&line)) {
    const size_t sp = line.find(' ');
    const std::string key = line.substr(0, sp);
    const std::string value = sp == std::string::npos ? "" : line.substr(sp + 1);
    if (key == "end") {
      ended = true;
    } else if (key == "input") {
      std::vector<std::string> f = absl::StrSplit(value, absl::MaxSplits(' ', 5));
      ReplayInput in;
      uint64_t crc = 0;
      if (f.size() != 6 || !absl::SimpleAtoi(f[0], &in.id.dev) ||
          !absl::SimpleAtoi(f[1], &in.id.ino) || !absl::SimpleAtoi(f[2], &in.id.fp_len) ||
          !absl::SimpleAtoi(f[3], &crc) || !absl::SimpleAtoi(f[4], &in.size)) {
        return Damaged(path, line_no, "input: expected DEV INO FP_LEN FP_CRC SIZE PATH");
      }
      in.id.fp_crc = static_cast<uint32_t>(crc);
      in.path = f[5];
      cp.inputs.push_back(std::move(in));
    } else if (key == "file" || key == "offset" || key == "output_bytes") {
      uint64_t* out = key == "file" ? &cp.file : key == "offset" ? &cp.offset : &cp.output_bytes;
      if (!absl::SimpleAtoi(value, out)) return Damaged(path, line_no, key + ": not a number");
    } else if (key == "output") {
      cp.output = value;
    } else if (key == "counter") {
      const size_t sp2 = value.rfind(' ');
      uint64_t v = 0;
      if (sp2 == std::string::npos || !absl::SimpleAtoi(value.substr(sp2 + 1), &v)) {
        return Damaged(path, line_no, "counter: expected NAME VALUE");
      }
      cp.counters.emplace_back(value.substr(0, sp2), v);
    } else if (key == "state") {
      const size_t sp2 = value.rfind(' ');
      uint64_t n = 0;
      if (sp2 == std::string::npos || !absl::SimpleAtoi(value.substr(sp2 + 1), &n) ||
          n > text.size() - std::min(pos, text.size())) {
        return Damaged(path, line_no, "state: expected DETECTOR BYTES and that many bytes");
      }
      cp.state.emplace_back(value.substr(0, sp2), text.substr(pos, n));
      line_no += static_cast<int>(std::count(text.begin() + static_cast<ptrdiff_t>(pos),
                                             text.begin() + static_cast<ptrdiff_t>(pos + n), '\n'));
      pos += n + 1;  // and its newline
    } else {
      return Damaged(path, line_no, absl::StrCat("unknown key '", key, "'"));
    }
  }
  if (!ended) return Damaged(path, line_no, "no end line (cut short)");
  if (cp.inputs.empty() || cp.file > cp.inputs.size()) {
    return Damaged(path, line_no, "no inputs, or a file index beyond them");
  }
  return std::optional<ReplayCheckpoint>(std::move(cp));
}

}  // namespace kaudit
