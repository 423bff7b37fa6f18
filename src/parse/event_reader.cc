#include "src/parse/event_reader.h"

#include <simdjson.h>
#include <string.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "src/common/status_macros.h"
#include "src/common/strings.h"
#include "src/parse/event_extractor.h"
#include "src/parse/object_parser.h"
#include "src/parse/pod_spec_parser.h"

namespace kaudit {

namespace od = simdjson::ondemand;
using parse_internal::ExtractError;
using parse_internal::ExtractObject;
using parse_internal::ExtractScratch;
using parse_internal::ObjectKind;
using parse_internal::ReasonForJsonError;

std::string_view InvalidReasonName(InvalidReason r) {
  static constexpr std::string_view kNames[] = {
      "malformed_json", "truncated",      "invalid_utf8",
      "not_an_object",  "wrong_kind",     "unsupported_api_version",
      "missing_field",  "bad_field_type", "bad_timestamp",
      "oversize",       "too_deep"};
  return kNames[static_cast<int>(r)];
}

std::string Location::ToString() const {
  std::string s = absl::StrCat(ToAbsl(source), ":", line);
  if (item >= 0) absl::StrAppend(&s, " item ", item);
  return s;
}

uint64_t ReaderStats::invalid_total() const {
  uint64_t t = 0;
  for (uint64_t v : invalid) t += v;
  return t;
}

void ReaderStats::Add(const ReaderStats& o) {
  bytes += o.bytes;
  documents += o.documents;
  events += o.events;
  list_items_truncated += o.list_items_truncated;
  for (int i = 0; i < kNumInvalidReasons; ++i) invalid[i] += o.invalid[i];
}

namespace {
constexpr size_t kPad = simdjson::SIMDJSON_PADDING;
constexpr size_t kMaxRawReported = 64 << 10;  // raw text handed to OnInvalid
constexpr size_t kBatchBytes = 1 << 20;       // iterate_many batch size

bool IsWs(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// memchr runs at memory speed (glibc's vector code); std::count on chars does not vectorise
// for a generic x86-64 build (measured 29 vs 3 GB/s).
uint64_t CountNewlines(const char* p, const char* end) {
  uint64_t n = 0;
  while (p < end) {
    p = static_cast<const char*>(memchr(p, '\n', static_cast<size_t>(end - p)));
    if (p == nullptr) break;
    ++n;
    ++p;
  }
  return n;
}
}  // namespace

class EventReader::Impl {
 public:
  explicit Impl(const ReaderOptions& o) : opts_(o) {
    for (auto& s : scratch_) s.max_items = o.max_list_items;
    Reserve(std::max<size_t>(o.chunk_bytes, 4096));
  }

  absl::Status Read(ByteSource& src, EventHandler& h, ReaderStats& st,
                    const std::function<void(const ByteSource&)>& progress);

 private:
  enum class DocResult { kDone, kJsonError };

  void Reserve(size_t n) {
    if (n <= cap_) return;
    std::unique_ptr<char[]> nb(new char[n + kPad]);
    if (filled_ > 0) std::memcpy(nb.get(), buf_.get(), filled_);
    std::memset(nb.get() + n, 0, kPad);
    buf_ = std::move(nb);
    cap_ = n;
  }
  const char* buf_end() const { return buf_.get() + cap_ + kPad; }

  absl::StatusOr<bool> Fill(ByteSource& src) {  // returns eof
    while (filled_ < cap_) {
      KAUDIT_ASSIGN_OR_RETURN(size_t r, src.Read(buf_.get() + filled_, cap_ - filled_));
      if (r == 0) return true;
      filled_ += r;
      stats_->bytes += r;
    }
    return false;
  }

  uint64_t LineAt(size_t pos) {
    if (pos < cursor_pos_) {
      cursor_pos_ = 0;
      cursor_line_ = base_line_;
    }
    cursor_line_ += CountNewlines(buf_.get() + cursor_pos_, buf_.get() + pos);
    cursor_pos_ = pos;
    return cursor_line_;
  }

  void Invalid(InvalidReason r, size_t pos, int64_t item, std::string_view detail,
               std::string_view raw) {
    stats_->invalid[static_cast<int>(r)]++;
    ++reported_;
    Location loc{name_, LineAt(pos), base_offset_ + pos, item};
    handler_->OnInvalid(r, loc, detail, raw.substr(0, kMaxRawReported));
  }

  void Emit(AuditEvent& e, std::string_view raw) {
    stats_->events++;
    ++reported_;
    e.raw = raw;
    lazy_.Reset(e.request_object, e.response_object, buf_end());
    e.lazy = &lazy_;
    handler_->OnEvent(e);
  }

  // An item of an EventList or array. Returns false on a JSON syntax error.
  template <typename V>
  bool HandleItem(V& item, size_t pos, int64_t index) {
    od::object obj;
    auto ec = item.get_object().get(obj);
    if (ec == simdjson::INCORRECT_TYPE) {
      Invalid(InvalidReason::kNotAnObject, pos, index, "list item is not an object", {});
      return true;
    }
    if (ec) {
      last_json_error_ = ec;
      return false;
    }
    ExtractError err;
    ObjectKind kind;
    auto nested = [&](auto&, int64_t) { return true; };
    if (!ExtractObject(obj, events_[1], scratch_[1], err, kind, nested)) {
      if (err.json_error != simdjson::SUCCESS) {
        last_json_error_ = err.json_error;
        return false;
      }
      Invalid(err.reason, pos, index, err.detail, {});
      return true;
    }
    if (kind == ObjectKind::kEventList) {
      Invalid(InvalidReason::kWrongKind, pos, index, "EventList nested in a list", {});
      return true;
    }
    Emit(events_[1], {});
    return true;
  }

  template <typename Doc>
  DocResult HandleDoc(Doc& doc, size_t pos, std::string_view raw, bool* emitted) {
    stats_->documents++;
    const uint64_t before = reported_;
    auto done = [&](DocResult r) {
      *emitted = reported_ != before;
      return r;
    };
    od::json_type t;
    if (auto ec = doc.type().get(t); ec) {
      last_json_error_ = ec;
      return done(DocResult::kJsonError);
    }
    if (t == od::json_type::array) {
      od::array arr;
      if (auto ec = doc.get_array().get(arr); ec) {
        last_json_error_ = ec;
        return done(DocResult::kJsonError);
      }
      int64_t index = 0;
      for (auto item : arr) {
        if (!HandleItem(item, pos, index++)) return done(DocResult::kJsonError);
      }
      return done(DocResult::kDone);
    }
    if (t != od::json_type::object) {
      // Consume the scalar so that garbage ("this is not json") is told from valid JSON.
      simdjson::error_code ec = simdjson::SUCCESS;
      switch (t) {
        case od::json_type::boolean:
          ec = doc.get_bool().error();
          break;
        case od::json_type::number:
          ec = doc.get_double().error();
          break;
        case od::json_type::string:
          ec = doc.get_string().error();
          break;
        case od::json_type::null:
          ec = doc.is_null().error();
          break;
        default:
          break;
      }
      if (ec) {
        last_json_error_ = ec;
        return done(DocResult::kJsonError);
      }
      Invalid(InvalidReason::kNotAnObject, pos, -1, "document is not a JSON object", raw);
      return done(DocResult::kDone);
    }
    od::object obj;
    if (auto ec = doc.get_object().get(obj); ec) {
      last_json_error_ = ec;
      return done(DocResult::kJsonError);
    }
    ExtractError err;
    ObjectKind kind;
    auto on_item = [&](auto& item, int64_t index) { return HandleItem(item, pos, index); };
    if (!ExtractObject(obj, events_[0], scratch_[0], err, kind, on_item)) {
      if (err.json_error != simdjson::SUCCESS) {
        if (last_json_error_ == simdjson::SUCCESS) last_json_error_ = err.json_error;
        return done(DocResult::kJsonError);
      }
      Invalid(err.reason, pos, -1, err.detail, raw);
      return done(DocResult::kDone);
    }
    if (kind == ObjectKind::kEvent) Emit(events_[0], raw);
    return done(DocResult::kDone);
  }

  size_t LineEnd(size_t pos, size_t limit) const {
    const void* nl = memchr(buf_.get() + pos, '\n', limit - pos);
    return nl ? static_cast<size_t>(static_cast<const char*>(nl) - buf_.get()) : limit;
  }

  // True when `raw` ends inside a string or with containers still open: a cut-off line.
  static bool LooksCutOff(std::string_view raw) {
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < raw.size(); ++i) {
      char c = raw[i];
      if (in_string) {
        if (c == '\\')
          ++i;
        else if (c == '"')
          in_string = false;
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        --depth;
      }
    }
    return in_string || depth > 0;
  }

  void ReportJsonError(size_t pos, std::string_view raw) {
    simdjson::error_code ec = last_json_error_ ? last_json_error_ : simdjson::TAPE_ERROR;
    InvalidReason reason = ReasonForJsonError(ec);
    if (reason == InvalidReason::kMalformedJson && !raw.empty() && LooksCutOff(raw)) {
      reason = InvalidReason::kTruncated;
    }
    Invalid(reason, pos, -1, simdjson::error_message(ec), raw);
  }

  // Slow path: parses each line that starts in [begin, window_end) on its own (lines may run
  // to limit). Returns the position after the last line handled.
  size_t SlowLines(size_t begin, size_t window_end, size_t limit) {
    size_t p = begin;
    while (p < window_end && p < limit) {
      size_t le = LineEnd(p, limit);
      size_t s = p, e = le;
      while (s < e && IsWs(buf_[s])) ++s;
      while (e > s && IsWs(buf_[e - 1])) --e;
      if (s < e) {
        std::string_view line(buf_.get() + s, e - s);
        if (line.size() > opts_.max_event_bytes) {
          Invalid(InvalidReason::kOversize, s, -1, "event larger than max_event_bytes", line);
        } else {
          od::document doc;
          last_json_error_ = simdjson::SUCCESS;
          auto ec = line_parser_
                        .iterate(simdjson::padded_string_view(line.data(), line.size(),
                                                              buf_end() - line.data()))
                        .get(doc);
          bool emitted = false;
          if (ec) {
            last_json_error_ = ec;
            ReportJsonError(s, line);
          } else if (HandleDoc(doc, s, line, &emitted) == DocResult::kJsonError) {
            ReportJsonError(s, line);
          }
        }
      }
      p = le + 1;
    }
    return std::min(p, limit);
  }

  // Fast path over complete lines [begin, end): iterate_many, falling back to SlowLines around
  // whatever it cannot parse.
  void ProcessLines(size_t begin, size_t end) {
    size_t pos = begin;
    while (pos < end) {
      while (pos < end && IsWs(buf_[pos])) ++pos;
      if (pos >= end) break;
      od::document_stream stream;
      if (stream_parser_.iterate_many(buf_.get() + pos, end - pos, kBatchBytes).get(stream)) {
        pos = SlowLines(pos, std::min(end, pos + kBatchBytes), end);
        continue;
      }
      size_t resume = pos;
      bool produced = false, failed = false;
      for (auto it = stream.begin(); it != stream.end(); ++it) {
        const size_t doc_pos = pos + it.current_index();
        od::document_reference doc;
        last_json_error_ = simdjson::SUCCESS;
        if ((*it).get(doc)) {
          failed = true;
          size_t from = resume;
          while (from < end && IsWs(buf_[from])) ++from;
          // A batch-level error (before any document) covers the whole batch window;
          // otherwise only the line where it surfaced.
          size_t window = produced ? LineEnd(from, end) : std::min(end, from + kBatchBytes);
          resume = SlowLines(from, std::max(window, from + 1), end);
          break;
        }
        // The event's text is its line. (simdjson's iterator::source() would walk every
        // structural index of the document a second time.)
        const size_t le = LineEnd(doc_pos, end);
        size_t re = le;
        while (re > doc_pos && IsWs(buf_[re - 1])) --re;
        std::string_view src(buf_.get() + doc_pos, re - doc_pos);
        LineAt(doc_pos);  // counts the newlines between the previous line and this one
        produced = true;
        if (src.size() > opts_.max_event_bytes) {
          Invalid(InvalidReason::kOversize, doc_pos, -1, "event larger than max_event_bytes", src);
          resume = le;
          continue;
        }
        bool emitted = false;
        if (HandleDoc(doc, doc_pos, src, &emitted) == DocResult::kJsonError) {
          failed = true;
          if (emitted) {
            ReportJsonError(doc_pos, std::string_view(buf_.get() + doc_pos, le - doc_pos));
            resume = std::min(le + 1, end);
          } else {
            resume = SlowLines(doc_pos, doc_pos + 1, end);
          }
          break;
        }
        resume = le;
        cursor_pos_ = le;  // no newline in [doc_pos, le)
      }
      if (!failed) {
        size_t trunc = stream.truncated_bytes();
        resume = trunc > 0 ? SlowLines(end - trunc, end, end) : end;
      } else if (resume < end && resume - pos < kBatchBytes / 4) {
        // Errors are dense here: restarting iterate_many after each bad line would run stage 1
        // over a whole batch per line (quadratic on a file of bad lines). Parse the next
        // window line by line instead, at a cost linear in its bytes.
        resume = SlowLines(resume, std::min(end, resume + kBatchBytes), end);
      }
      pos = std::max(resume, pos + 1);
    }
  }

  // Multi-line documents (a JSON array, a pretty-printed Event or EventList, concatenated
  // pretty-printed documents): the whole input is in the buffer.
  void ProcessDocuments(size_t begin, size_t end) {
    od::document_stream stream;
    size_t batch = std::max<size_t>(end - begin, simdjson::dom::MINIMAL_BATCH_SIZE);
    if (auto ec = stream_parser_.iterate_many(buf_.get() + begin, end - begin, batch).get(stream);
        ec) {
      last_json_error_ = ec;
      ReportJsonError(begin, {});
      return;
    }
    for (auto it = stream.begin(); it != stream.end(); ++it) {
      const size_t doc_pos = begin + it.current_index();
      od::document_reference doc;
      last_json_error_ = simdjson::SUCCESS;
      if (auto ec = (*it).get(doc); ec) {
        last_json_error_ = ec;
        ReportJsonError(doc_pos, {});
        return;
      }
      std::string_view src = it.source();
      bool emitted = false;
      if (HandleDoc(doc, doc_pos, src, &emitted) == DocResult::kJsonError) {
        ReportJsonError(doc_pos, src);
        return;  // cannot resynchronise inside a multi-line document
      }
    }
    if (size_t trunc = stream.truncated_bytes(); trunc > 0) {
      Invalid(InvalidReason::kTruncated, end - trunc, -1, "incomplete document at end of input",
              std::string_view(buf_.get() + end - trunc, trunc));
    }
  }

  // Decides between JSON lines and multi-line documents from the start of the input.
  bool LooksMultiLine(size_t first) const {
    if (buf_[first] == '[') return true;
    if (buf_[first] != '{') return false;
    size_t le = LineEnd(first, filled_);
    if (le >= filled_) return false;  // one (possibly long) line
    size_t e = le;
    while (e > first && IsWs(buf_[e - 1])) --e;
    if (buf_[e - 1] == '}') return false;  // a complete one-line object: JSON lines
    size_t n = le + 1;
    while (n < filled_ && IsWs(buf_[n])) ++n;
    return !(n < filled_ && buf_[n] == '{');  // next line starts an object: truncated line
  }

  ReaderOptions opts_;
  od::parser stream_parser_;
  od::parser line_parser_;
  EventObjectCache lazy_;
  ExtractScratch scratch_[2];
  AuditEvent events_[2];
  simdjson::error_code last_json_error_ = simdjson::SUCCESS;
  uint64_t reported_ = 0;  // events + invalid reported so far

  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0;
  size_t filled_ = 0;

  EventHandler* handler_ = nullptr;
  ReaderStats* stats_ = nullptr;
  std::string_view name_;
  uint64_t base_offset_ = 0;
  uint64_t base_line_ = 1;
  size_t cursor_pos_ = 0;
  uint64_t cursor_line_ = 1;
};

absl::Status EventReader::Impl::Read(ByteSource& src, EventHandler& h, ReaderStats& st,
                                     const std::function<void(const ByteSource&)>& progress) {
  handler_ = &h;
  stats_ = &st;
  name_ = src.name();
  base_offset_ = 0;
  base_line_ = 1;
  cursor_pos_ = 0;
  cursor_line_ = 1;
  filled_ = 0;
  if (cap_ > std::max<size_t>(opts_.chunk_bytes, 4096) * 4) {
    cap_ = 0;  // shrink a buffer grown by a previous huge input
    buf_.reset();
    Reserve(std::max<size_t>(opts_.chunk_bytes, 4096));
  }

  KAUDIT_ASSIGN_OR_RETURN(bool eof, Fill(src));
  size_t first = 0;
  if (filled_ >= 3 && std::memcmp(buf_.get(), "\xEF\xBB\xBF", 3) == 0) first = 3;  // BOM
  while (first < filled_ && IsWs(buf_[first])) ++first;
  if (first >= filled_ && eof) return absl::OkStatus();

  if (first < filled_ && LooksMultiLine(first)) {
    while (!eof) {
      if (filled_ == cap_) {
        if (cap_ >= opts_.max_document_bytes) {
          Invalid(InvalidReason::kOversize, first, -1,
                  "multi-line document larger than max_document_bytes; rest of input skipped", {});
          return absl::OkStatus();
        }
        Reserve(std::min(opts_.max_document_bytes, cap_ * 2));
      }
      KAUDIT_ASSIGN_OR_RETURN(eof, Fill(src));
    }
    ProcessDocuments(first, filled_);
    if (progress) progress(src);
    return absl::OkStatus();
  }

  // JSON lines, streamed through the buffer.
  size_t start = first;
  bool skipping = false;  // discarding the rest of an oversize line
  while (true) {
    size_t end;
    const void* nl = memrchr(buf_.get() + start, '\n', filled_ - start);
    if (skipping) {
      const void* first_nl = memchr(buf_.get() + start, '\n', filled_ - start);
      if (first_nl == nullptr) {
        start = filled_;  // keep discarding
      } else {
        start = static_cast<size_t>(static_cast<const char*>(first_nl) - buf_.get()) + 1;
        skipping = false;
        nl = memrchr(buf_.get() + start, '\n', filled_ - start);
      }
    }
    if (skipping) {
      end = start;
    } else if (nl != nullptr) {
      end = static_cast<size_t>(static_cast<const char*>(nl) - buf_.get()) + 1;
    } else if (eof) {
      end = filled_;
    } else if (start > 0) {
      end = start;  // room left (after compaction): read more
    } else if (cap_ < opts_.max_event_bytes + 1) {
      Reserve(std::min(cap_ * 2, opts_.max_event_bytes + 1));
      end = start;
    } else {
      Invalid(InvalidReason::kOversize, start, -1, "line longer than max_event_bytes; skipped",
              std::string_view(buf_.get() + start, std::min<size_t>(filled_ - start, 256)));
      skipping = true;
      start = filled_;
      end = start;
    }
    if (end > start) ProcessLines(start, end);
    // Compact: keep [end, filled_).
    cursor_pos_ = std::min(cursor_pos_, end);
    LineAt(end);
    base_line_ = cursor_line_;
    base_offset_ += end;
    std::memmove(buf_.get(), buf_.get() + end, filled_ - end);
    filled_ -= end;
    start = 0;
    cursor_pos_ = 0;
    cursor_line_ = base_line_;
    if (progress) progress(src);
    if (eof && filled_ == 0) break;
    if (eof && skipping) break;
    KAUDIT_ASSIGN_OR_RETURN(eof, Fill(src));
    if (eof && filled_ == 0) break;
  }
  return absl::OkStatus();
}

EventReader::EventReader(ReaderOptions options) : impl_(std::make_unique<Impl>(options)) {}
EventReader::~EventReader() = default;

absl::Status EventReader::Read(ByteSource& source, EventHandler& handler) {
  return impl_->Read(source, handler, stats_, progress_);
}

void EventReader::ParseBuffer(std::string_view data, std::string_view name, EventHandler& handler) {
  auto src = MemoryByteSource(std::string(name), std::string(data));
  (void)impl_->Read(*src, handler, stats_, nullptr);  // memory reads cannot fail
}

}  // namespace kaudit

#define KAUDIT_STR2(x) #x
#define KAUDIT_STR(x) KAUDIT_STR2(x)
namespace kaudit {
std::string ParserInfo() {
  return absl::StrCat("simdjson ", KAUDIT_STR(SIMDJSON_VERSION), " (",
                      simdjson::get_active_implementation()->name(), ")");
}
}  // namespace kaudit
