#include "src/parse/event_reader.h"

#include <simdjson.h>
#include <string.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

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
constexpr size_t kMaxRawReported = 64 << 10;       // raw text handed to OnInvalid
constexpr size_t kBatchBytes = 1 << 20;            // iterate_many batch size
constexpr size_t kParallelChunkBytes = 256 << 10;  // chunk handed to a parse thread
// A line longer than max_event_bytes, reported alike whether the framing loop finds it (it
// does not fit the buffer) or the parse does (it fit a buffer grown for something else).
constexpr std::string_view kOversizeLine = "line longer than max_event_bytes; skipped";
constexpr size_t kOversizeRawBytes = 256;
constexpr std::string_view kTrailingContent = "more after the JSON document on its line";

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

// Two quotes at `p` (as SealData writes them after the data) while it lives, then the two bytes
// there put back: a parse of the text before `p` stops there, whatever follows it.
class ScopedSeal {
 public:
  explicit ScopedSeal(char* p) : p_(p), saved_{p[0], p[1]} { p[0] = p[1] = '"'; }
  ~ScopedSeal() {
    p_[0] = saved_[0];
    p_[1] = saved_[1];
  }
  ScopedSeal(const ScopedSeal&) = delete;
  ScopedSeal& operator=(const ScopedSeal&) = delete;

 private:
  char* p_;
  char saved_[2];
};

// Owned copies of strings that do not point into a chunk's buffer (simdjson unescapes strings
// with escapes into the parser's own buffer, which the next document reuses).
class Arena {
 public:
  std::string_view Copy(std::string_view s) {
    if (s.size() > kBlock / 4) {
      big_.push_back(std::make_unique<char[]>(s.size()));
      std::memcpy(big_.back().get(), s.data(), s.size());
      return std::string_view(big_.back().get(), s.size());
    }
    if (blocks_.empty() || used_ + s.size() > kBlock) {
      if (++block_ >= blocks_.size()) blocks_.push_back(std::make_unique<char[]>(kBlock));
      used_ = 0;
    }
    char* p = blocks_[block_].get() + used_;
    std::memcpy(p, s.data(), s.size());
    used_ += s.size();
    return std::string_view(p, s.size());
  }
  void Clear() {  // keeps the blocks for reuse
    block_ = blocks_.empty() ? static_cast<size_t>(-1) : 0;
    used_ = 0;
    big_.clear();
  }

 private:
  static constexpr size_t kBlock = 64 << 10;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::vector<std::unique_ptr<char[]>> big_;
  size_t block_ = static_cast<size_t>(-1);
  size_t used_ = 0;
};

// One chunk of whole lines framed from the input, and what its parse produced, in order.
// Line numbers and offsets of invalid documents are relative to the chunk (line 0 = the
// chunk's first line); the calling thread adds the chunk's base.
struct Chunk {
  std::unique_ptr<char[]> buf;  // [0, cap + kPad)
  size_t cap = 0;
  size_t begin = 0, end = 0;  // lines to parse; [0, end) is consumed input
  uint64_t bytes = 0;         // input bytes read while framing this chunk
  uint64_t consumed = 0;      // the source's consumed_bytes() after framing it
  uint64_t newlines = 0;      // in [0, end)
  bool mid_line = false;      // ends inside an oversize line being skipped
  bool done = false;

  struct Invalid {
    InvalidReason reason;
    uint64_t line, offset;
    int64_t item;
    std::string_view detail, raw;
  };
  struct Lists {
    uint32_t groups, n_groups, imp_groups, n_imp_groups, ips, n_ips;
  };
  std::vector<uint32_t> order;  // index into events, or kInvalidBit | index into invalids
  std::vector<AuditEvent> events;
  std::vector<Lists> lists;
  std::vector<std::string_view> items;  // groups and source IPs of the events
  std::vector<Invalid> invalids;
  ReaderStats stats;
  Arena arena;
  // Pod objects the worker's parse read (PodObjectsWanted): pods[pod_of[i][side]] for event i's
  // requestObject (side 0) and responseObject (side 1); -1 = left to the lazy parse. `pods`
  // keeps its entries (and their vectors' capacity) across chunks; n_pods are in use.
  std::vector<ParsedPodObject> pods;
  size_t n_pods = 0;
  std::vector<std::array<int32_t, 2>> pod_of;

  static constexpr uint32_t kInvalidBit = 1u << 31;

  void Reset() {
    begin = end = 0;
    bytes = consumed = newlines = 0;
    mid_line = false;
    done = false;
    order.clear();
    events.clear();
    lists.clear();
    items.clear();
    invalids.clear();
    stats = ReaderStats();
    arena.Clear();
    n_pods = 0;
    pod_of.clear();
  }
  // The bytes parsed (set while a worker holds the buffer).
  const char* data = nullptr;
  const char* data_end = nullptr;
  bool Owns(const char* p) const { return p >= data && p < data_end; }
  void Own(std::string_view& v) {
    if (!v.empty() && !Owns(v.data())) v = arena.Copy(v);
  }
  uint32_t AddItems(std::span<const std::string_view> list) {
    uint32_t at = static_cast<uint32_t>(items.size());
    for (std::string_view v : list) {
      Own(v);
      items.push_back(v);
    }
    return at;
  }
};

// Records what a worker's parse hands the handler into the chunk.
class ChunkRecorder final : public EventHandler {
 public:
  ChunkRecorder(Chunk& c, const EventObjectCache& lazy) : c_(c), lazy_(lazy) {}
  void OnEvent(AuditEvent& e) override {
    AuditEvent& o = c_.events.emplace_back(e);
    for (std::string_view* v : {&o.audit_id,
                                &o.verb_text,
                                &o.request_uri,
                                &o.user_agent,
                                &o.username,
                                &o.user_uid,
                                &o.user_extra,
                                &o.impersonated_user,
                                &o.object.resource,
                                &o.object.subresource,
                                &o.object.namespace_,
                                &o.object.name,
                                &o.object.api_group,
                                &o.object.api_version,
                                &o.object.uid,
                                &o.response_status,
                                &o.response_reason,
                                &o.decision,
                                &o.authz_reason,
                                &o.pod_security_audit_violations,
                                &o.request_object,
                                &o.response_object,
                                &o.raw}) {
      c_.Own(*v);
    }
    Chunk::Lists l;
    l.n_groups = static_cast<uint32_t>(e.groups.size());
    l.groups = c_.AddItems(e.groups);
    l.n_imp_groups = static_cast<uint32_t>(e.impersonated_groups.size());
    l.imp_groups = c_.AddItems(e.impersonated_groups);
    l.n_ips = static_cast<uint32_t>(e.source_ips.size());
    l.ips = c_.AddItems(e.source_ips);
    c_.lists.push_back(l);
    o.lazy = nullptr;
    // Here on a parse thread, not on the detectors' (a held line's event has them already).
    if (o.delivery_key == 0) ComputeEventKeys(o);
    // Pod objects read by the parse (copied into entries that keep their vectors' capacity).
    std::array<int32_t, 2>& pod_of = c_.pod_of.emplace_back(std::array<int32_t, 2>{-1, -1});
    const ParsedPodObject* parsed[2] = {lazy_.preset_request_pod(), lazy_.preset_response_pod()};
    for (int side = 0; side < 2; ++side) {
      if (parsed[side] == nullptr) continue;
      if (c_.n_pods == c_.pods.size()) c_.pods.emplace_back();
      ParsedPodObject& p = c_.pods[c_.n_pods];
      p = *parsed[side];
      // Unescaped strings live in the parser's buffer, which the next document reuses.
      ForEachStringView(p.spec, [this](std::string_view& v) { c_.Own(v); });
      ForEachStringView(p.status, [this](std::string_view& v) { c_.Own(v); });
      pod_of[side] = static_cast<int32_t>(c_.n_pods++);
    }
    c_.order.push_back(static_cast<uint32_t>(c_.events.size() - 1));
  }
  void OnInvalid(InvalidReason reason, const Location& where, std::string_view detail,
                 std::string_view raw) override {
    Chunk::Invalid& inv = c_.invalids.emplace_back(
        Chunk::Invalid{reason, where.line, where.offset, where.item, detail, raw});
    c_.Own(inv.detail);
    c_.Own(inv.raw);
    c_.order.push_back(Chunk::kInvalidBit | static_cast<uint32_t>(c_.invalids.size() - 1));
  }

 private:
  Chunk& c_;
  const EventObjectCache& lazy_;
};
}  // namespace

class EventReader::Impl {
 public:
  explicit Impl(const ReaderOptions& o) : opts_(o) {
    for (auto& s : scratch_) s.max_items = o.max_list_items;
    stream_parser_.threaded = o.stage1_thread;
    Reserve(std::max<size_t>(o.chunk_bytes, 4096));
  }

  absl::Status Read(ByteSource& src, EventHandler& h, ReaderStats& st,
                    const std::function<void(uint64_t)>& progress, bool parallel = true);
  std::optional<uint64_t> next_record_offset() const { return next_record_; }

  // Worker side of the parallel read: parses the chunk's lines into it.
  void ProcessChunk(Chunk& c) {
    ChunkRecorder rec(c, lazy_);
    handler_ = &rec;
    stats_ = &c.stats;
    name_ = {};
    base_offset_ = 0;
    base_line_ = 0;
    cursor_pos_ = 0;
    cursor_line_ = 0;
    c.data = c.buf.get();
    c.data_end = c.buf.get() + c.cap + kPad;
    std::swap(buf_, c.buf);
    std::swap(cap_, c.cap);
    filled_ = c.end;
    if (c.end > c.begin) ProcessLines(c.begin, c.end);
    c.newlines = LineAt(c.end);
    std::swap(buf_, c.buf);
    std::swap(cap_, c.cap);
    filled_ = 0;
    for (size_t i = 0; i < c.events.size(); ++i) {
      const Chunk::Lists& l = c.lists[i];
      AuditEvent& e = c.events[i];
      e.groups = std::span<const std::string_view>(c.items.data() + l.groups, l.n_groups);
      e.impersonated_groups =
          std::span<const std::string_view>(c.items.data() + l.imp_groups, l.n_imp_groups);
      e.source_ips = std::span<const std::string_view>(c.items.data() + l.ips, l.n_ips);
    }
  }

 private:
  absl::Status ReadLinesParallel(ByteSource& src, EventHandler& h, ReaderStats& st,
                                 const std::function<void(uint64_t)>& progress, size_t first,
                                 bool eof);
  enum class DocResult { kDone, kJsonError, kList };

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
    Location loc{name_, LineAt(pos), base_offset_ + pos, item};
    handler_->OnInvalid(r, loc, detail, raw.substr(0, kMaxRawReported));
  }

  void Emit(AuditEvent& e, std::string_view raw, const ExtractScratch& s) {
    stats_->events++;
    stats_->list_items_truncated += s.truncated;
    e.raw = raw;
    lazy_.Reset(e.request_object, e.response_object, buf_end());
    if (s.pod_parsed[0]) lazy_.PresetRequestPod(s.pods[0]);
    if (s.pod_parsed[1]) lazy_.PresetResponsePod(s.pods[1]);
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
    Emit(events_[1], {}, scratch_[1]);
    return true;
  }

  // What a document of a JSON line came to, held back (Hold) until the fast path has seen that
  // the document is its whole line: the line's one record.
  struct Held {
    bool any = false;
    bool event = false;  // events_[0] (scratch_[0]); else an invalid document
    InvalidReason reason = InvalidReason::kMalformedJson;
    size_t pos = 0;
    std::string_view detail, raw;
  };
  void DocInvalid(InvalidReason r, size_t pos, std::string_view detail, std::string_view raw) {
    if (!hold_) return Invalid(r, pos, -1, detail, raw);
    held_ = Held{true, false, r, pos, detail, raw};
  }
  void DocEmit(std::string_view raw) {
    if (!hold_) return Emit(events_[0], raw, scratch_[0]);
    held_ = Held{true, true, InvalidReason::kMalformedJson, 0, {}, raw};
    // The handler's duplicate check misses the cache otherwise; held until the next document
    // is read, the event's slots arrive meanwhile.
    events_[0].raw = raw;
    ComputeEventKeys(events_[0]);
    handler_->Prefetch(events_[0]);
  }
  // Hands the held record over. The event's strings stay valid until the next document is read.
  void Deliver() {
    if (!held_.any) return;
    held_.any = false;
    if (held_.event) return Emit(events_[0], held_.raw, scratch_[0]);
    Invalid(held_.reason, held_.pos, -1, held_.detail, held_.raw);
  }
  // The fast path's: the document is counted when its record is handed over.
  void Release() {
    stats_->documents++;
    Deliver();
  }

  // Reads one top-level document. An Event (or a bad document) is handed over, or held with
  // hold_; an EventList's or array's items are handed over as they are read, unless
  // lists_to_line_ (the fast path) says to leave the document to the line parse (kList) first.
  template <typename Doc>
  DocResult HandleDoc(Doc& doc, size_t pos, std::string_view raw) {
    // The extractor checks the document after the lenient pod walk (ReadEventObject).
    for (ExtractScratch& s : scratch_) s.doc = &static_cast<od::document&>(doc);
    od::json_type t;
    if (auto ec = doc.type().get(t); ec) {
      last_json_error_ = ec;
      return DocResult::kJsonError;
    }
    if (t == od::json_type::array) {
      if (lists_to_line_) return DocResult::kList;
      od::array arr;
      if (auto ec = doc.get_array().get(arr); ec) {
        last_json_error_ = ec;
        return DocResult::kJsonError;
      }
      int64_t index = 0;
      for (auto item : arr) {
        if (!HandleItem(item, pos, index++)) return DocResult::kJsonError;
      }
      return DocResult::kDone;
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
        return DocResult::kJsonError;
      }
      DocInvalid(InvalidReason::kNotAnObject, pos, "document is not a JSON object", raw);
      return DocResult::kDone;
    }
    od::object obj;
    if (auto ec = doc.get_object().get(obj); ec) {
      last_json_error_ = ec;
      return DocResult::kJsonError;
    }
    ExtractError err;
    ObjectKind kind;
    bool list = false;
    auto on_item = [&](auto& item, int64_t index) {
      if (lists_to_line_) {
        list = true;
        return false;
      }
      return HandleItem(item, pos, index);
    };
    if (!ExtractObject(obj, events_[0], scratch_[0], err, kind, on_item)) {
      if (list) return DocResult::kList;
      if (err.json_error != simdjson::SUCCESS) {
        if (last_json_error_ == simdjson::SUCCESS) last_json_error_ = err.json_error;
        return DocResult::kJsonError;
      }
      DocInvalid(err.reason, pos, err.detail, raw);
      return DocResult::kDone;
    }
    if (kind == ObjectKind::kEvent) DocEmit(raw);
    return DocResult::kDone;
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
    std::string_view detail = simdjson::error_message(ec);
    if (reason == InvalidReason::kMalformedJson && !raw.empty() && LooksCutOff(raw)) {
      reason = InvalidReason::kTruncated;
    } else if (ec == simdjson::INCOMPLETE_ARRAY_OR_OBJECT && !raw.empty() && !LooksCutOff(raw)) {
      // simdjson's check that the root object or array closes at the end of the text: it is
      // closed, and something follows it.
      reason = InvalidReason::kMalformedJson;
      detail = kTrailingContent;
    }
    Invalid(reason, pos, -1, detail, raw);
  }

  // The line parse: each line that starts in [begin, window_end) (lines may run to limit) is
  // parsed on its own and is one record. Returns the position after the last line handled.
  size_t SlowLines(size_t begin, size_t window_end, size_t limit) {
    size_t p = begin;
    while (p < window_end && p < limit) {
      size_t le = LineEnd(p, limit);
      const size_t s = SkipWs(p, le), e = TrimEnd(s, le);
      if (s < e) LineRecord(s, e);
      p = le + 1;
    }
    return std::min(p, limit);
  }

  // The trimmed line [s, e) as one record: its event, or why it is not one. (Not longer than
  // max_event_bytes: ProcessLines took those out.) More after a whole document on the line makes
  // the line malformed; after an EventList's items, it is reported besides them.
  void LineRecord(size_t s, size_t e) {
    // A document left open would otherwise read on into whatever follows the line.
    ScopedSeal seal(buf_.get() + e);
    std::string_view line(buf_.get() + s, e - s);
    od::document doc;
    last_json_error_ = simdjson::SUCCESS;
    auto ec = line_parser_
                  .iterate(simdjson::padded_string_view(line.data(), line.size(),
                                                        buf_end() - line.data()))
                  .get(doc);
    if (ec) {
      last_json_error_ = ec;
      return ReportJsonError(s, line);
    }
    stats_->documents++;
    hold_ = true;
    const DocResult r = HandleDoc(doc, s, line);
    hold_ = false;
    if (r != DocResult::kDone) {
      held_.any = false;
      return ReportJsonError(s, line);
    }
    const bool whole = !held_.any || held_.event;  // read to its end
    if (whole && !doc.current_location().error()) {
      held_.any = false;
      return Invalid(InvalidReason::kMalformedJson, s, -1, kTrailingContent, line);
    }
    Deliver();
  }

  // Two quotes right after the data: the first ends any scan for a closing quote that a
  // document cut off inside a string would start (GetStringFast's, simdjson's unescaping);
  // a truncated document's navigation can land on the end-of-input index itself, and there
  // the pair reads as an empty string instead of opening one that runs off the buffer (both
  // found by fuzzing under ASan). buf_ has kPad bytes beyond cap_; after filled_ is no data.
  void SealData() {
    buf_[filled_] = '"';
    buf_[filled_ + 1] = '"';
  }

  // Where the whole lines in the buffer from `start` end: after its last newline, at its end at
  // the end of input, or at `start` when more must be read first (growing the buffer, up to
  // max_event_bytes + 1, for a line longer than it). A line longer than max_event_bytes is
  // reported and skipped through its newline (`skipping`), which may advance `start`. The
  // sequential read and the parallel framer cut the input alike with this.
  size_t CutLines(size_t& start, bool& skipping, bool eof) {
    const void* nl = memrchr(buf_.get() + start, '\n', filled_ - start);
    if (skipping) {
      const void* first_nl = memchr(buf_.get() + start, '\n', filled_ - start);
      if (first_nl == nullptr) {
        start = filled_;  // keep discarding
        return start;
      }
      start = static_cast<size_t>(static_cast<const char*>(first_nl) - buf_.get()) + 1;
      skipping = false;
      nl = memrchr(buf_.get() + start, '\n', filled_ - start);
    }
    if (nl != nullptr) return static_cast<size_t>(static_cast<const char*>(nl) - buf_.get()) + 1;
    if (eof) return filled_;
    if (start > 0) return start;  // room left (after compaction): read more
    if (cap_ < opts_.max_event_bytes + 1) {
      Reserve(std::min(cap_ * 2, opts_.max_event_bytes + 1));
      return start;
    }
    cursor_pos_ = 0;  // start is 0
    cursor_line_ = base_line_;
    Invalid(
        InvalidReason::kOversize, start, -1, kOversizeLine,
        std::string_view(buf_.get() + start, std::min<size_t>(filled_ - start, kOversizeRawBytes)));
    skipping = true;
    start = filled_;
    return start;
  }

  // Complete lines [begin, end). A line longer than max_event_bytes is reported and skipped
  // here, before any parse, exactly as the framing loop reports one that does not fit its
  // buffer: whether a line is too long must not depend on how large the buffer happens to be
  // (grown for an earlier document, or a parallel read's chunk). Only a range longer than
  // max_event_bytes can hold such a line, so the usual range is not scanned.
  void ProcessLines(size_t begin, size_t end) {
    if (end - begin <= opts_.max_event_bytes) return ProcessLineRun(begin, end);
    size_t run = begin;
    for (size_t p = begin; p < end;) {
      const size_t le = LineEnd(p, end);
      if (le - p > opts_.max_event_bytes) {
        if (p > run) ProcessLineRun(run, p);
        Invalid(InvalidReason::kOversize, p, -1, kOversizeLine,
                std::string_view(buf_.get() + p, std::min(le - p, kOversizeRawBytes)));
        run = std::min(le + 1, end);
      }
      p = le + 1;
    }
    if (end > run) ProcessLineRun(run, end);
  }

  size_t SkipWs(size_t p, size_t end) const {
    while (p < end && IsWs(buf_[p])) ++p;
    return p;
  }
  // The end of [begin, end) without its trailing whitespace.
  size_t TrimEnd(size_t begin, size_t end) const {
    while (end > begin && IsWs(buf_[end - 1])) --end;
    return end;
  }

  // Fast path over complete lines [begin, end): iterate_many over batches of lines. Each line is
  // one record, exactly as LineRecord makes it. Only events are handed over from here, each once
  // the next document is seen to start at the first byte of the next line: simdjson found that
  // start by counting the event's brackets to zero, so the event closed within its line and was
  // all of it. (An event is read to its closing brace; past the last document of a batch
  // simdjson reads the next batch's first byte, or the seal at `end`, and fails.) Everything
  // else (a document spanning lines or sharing one, a bad document, an EventList, a batch that
  // does not parse) goes to LineRecord from that document's line on. So the records do not
  // depend on where batches, buffers or a parallel read's chunks end.
  void ProcessLineRun(size_t begin, size_t end) {
    SealData();
    size_t pos = SkipWs(begin, end);
    if (pos >= end) return;
    {
      // One line is parsed as a line.
      const size_t last = TrimEnd(pos, end);
      if (LineEnd(pos, end) >= last) {
        SlowLines(pos, end, end);
        return;
      }
    }
    ScopedSeal seal(buf_.get() + end);  // whatever the buffer holds after `end`
    while (pos < end) {
      pos = SkipWs(pos, end);
      if (pos >= end) break;
      pos = ProcessStream(pos, end);
    }
  }

  // One iterate_many over [pos, end) until it ends or fails; returns where to go on.
  size_t ProcessStream(size_t pos, size_t end) {
    od::document_stream stream;
    if (stream_parser_.iterate_many(buf_.get() + pos, end - pos, kBatchBytes).get(stream)) {
      return SlowLines(pos, std::min(end, pos + kBatchBytes), end);
    }
    size_t expect = pos;   // where the next document must start
    size_t resume = pos;   // lines before it are handed over
    size_t held_le = pos;  // the held event's line end
    size_t fail_at = pos;  // the first line to parse as a line after a failure
    bool failed = false, any_doc = false;
    for (auto it = stream.begin(); it != stream.end(); ++it) {
      const size_t doc_pos = pos + it.current_index();
      od::document_reference doc;
      last_json_error_ = simdjson::SUCCESS;
      if ((*it).get(doc) || doc_pos != expect) {
        failed = true;
        if (doc_pos > expect && doc_pos < end) fail_at = doc_pos;
        break;
      }
      if (held_.any) {
        Release();
        cursor_pos_ = held_le;  // no newline in [held event, held_le)
      }
      resume = doc_pos;
      any_doc = true;
      const size_t le = LineEnd(doc_pos, end);
      expect = SkipWs(std::min(le + 1, end), end);
      const size_t re = TrimEnd(doc_pos, le);
      LineAt(doc_pos);  // counts the newlines between the previous line and this one
      // The input's last line, with no newline after it: as a line (and not read here: cut off
      // inside a string, its last token would run past the buffer).
      if (le == end) break;
      hold_ = lists_to_line_ = true;
      const DocResult r =
          HandleDoc(doc, doc_pos, std::string_view(buf_.get() + doc_pos, re - doc_pos));
      hold_ = lists_to_line_ = false;
      if (r != DocResult::kDone || (held_.any && !held_.event)) {
        held_.any = false;
        failed = true;
        break;
      }
      held_le = le;
    }
    if (!failed) {
      // The last event was its whole line when nothing but whitespace follows its line up to
      // the end, or to what iterate_many left at the end as incomplete, which must not start on
      // the event's own line.
      const size_t tail = end - stream.truncated_bytes();
      if (held_.any && expect >= tail && (tail > held_le || tail == end)) {
        Release();
        cursor_pos_ = held_le;
        resume = tail;
      }
      held_.any = false;
      return SlowLines(resume, end, end);  // the last line if not handed over, and the rest
    }
    held_.any = false;
    // From the held event's line on as lines: through the line where the stream failed, or a
    // whole batch when it failed at its first document.
    const size_t window = std::max(
        any_doc ? LineEnd(std::max(fail_at, resume), end) + 1 : std::min(end, pos + kBatchBytes),
        resume + 1);
    size_t next = SlowLines(resume, window, end);
    if (next < end && next - pos < kBatchBytes / 4) {
      // Errors are dense here: restarting iterate_many after each bad line would run stage 1
      // over a whole batch per line (quadratic on a file of bad lines). Parse the next
      // window line by line instead, at a cost linear in its bytes.
      next = SlowLines(next, std::min(end, next + kBatchBytes), end);
    }
    return std::max(next, pos + 1);
  }

  // Multi-line documents (a JSON array, a pretty-printed Event or EventList, concatenated
  // pretty-printed documents): the whole input is in the buffer.
  void ProcessDocuments(size_t begin, size_t end) {
    SealData();
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
      stats_->documents++;
      if (HandleDoc(doc, doc_pos, src) == DocResult::kJsonError) {
        ReportJsonError(doc_pos, src);
        return;  // cannot resynchronise inside a multi-line document
      }
    }
    if (size_t trunc = stream.truncated_bytes(); trunc > 0) {
      Invalid(InvalidReason::kTruncated, end - trunc, -1, "incomplete document at end of input",
              std::string_view(buf_.get() + end - trunc, trunc));
    }
  }

  // Decides between JSON lines and multi-line documents from the start of the input: its first
  // `lim` bytes, which are all of it with `whole`. nullopt when they do not show it yet (the
  // first line, or the character after it, is not there) and more could.
  std::optional<bool> LooksMultiLine(size_t first, size_t lim, bool whole) const {
    if (buf_[first] == '[') return true;
    if (buf_[first] != '{') return false;
    const bool more = !whole && lim < opts_.max_event_bytes + 2;
    const size_t le = LineEnd(first, lim);
    if (le >= lim) return more ? std::nullopt : std::optional<bool>(false);  // one long line
    const size_t e = TrimEnd(first, le);
    if (buf_[e - 1] == '}') return false;  // a complete one-line object: JSON lines
    const size_t n = SkipWs(le + 1, lim);
    if (n >= lim) return more ? std::nullopt : std::optional<bool>(true);
    if (buf_[n] != '{') return true;
    // The next line starts an object: JSON lines after a truncated first line, unless the first
    // line opened an array whose items follow one per line (`{"kind":"EventList","items":[`,
    // then `{...},` lines and `]}`): no JSON line ends with a comma or starts with ']'.
    if (buf_[e - 1] != '[') return false;
    const size_t nle = LineEnd(n, lim);
    if (nle >= lim) return more ? std::nullopt : std::optional<bool>(false);
    const size_t ne = TrimEnd(n, nle);
    if (buf_[ne - 1] == ',') return true;
    const size_t nn = SkipWs(nle + 1, lim);
    if (nn >= lim) return more ? std::nullopt : std::optional<bool>(false);
    return buf_[nn] == ']';
  }

  ReaderOptions opts_;
  EventObjectCache consumer_lazy_;  // the calling thread's, in a parallel read
  od::parser stream_parser_;
  od::parser line_parser_;
  EventObjectCache lazy_;
  ExtractScratch scratch_[2];
  AuditEvent events_[2];
  simdjson::error_code last_json_error_ = simdjson::SUCCESS;
  bool hold_ = false;           // HandleDoc holds a document's record in held_
  bool lists_to_line_ = false;  // HandleDoc leaves EventLists and arrays to LineRecord
  Held held_;
  std::optional<uint64_t> next_record_;  // see EventReader::next_record_offset()

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

  std::vector<std::unique_ptr<Impl>> workers_;  // parallel read: one per parse thread
};

// The parallel JSON-lines read. The framer runs the loop of the sequential read (same cuts at
// newlines, same oversize handling) but hands each buffer of whole lines on as a chunk instead
// of parsing it, carrying the partial last line into a fresh buffer. Parse threads turn chunks
// into owned event arrays, and frame the next chunk themselves (one at a time) when none is
// waiting. This (calling) thread takes the chunks strictly in input order and hands their
// events and invalid documents to the handler, so handler calls are exactly those of the
// sequential read; while the next chunk in order is not parsed yet, it parses or frames a later
// one instead of waiting. At most max_chunks_in_flight chunks exist at once.
absl::Status EventReader::Impl::ReadLinesParallel(ByteSource& src, EventHandler& h, ReaderStats& st,
                                                  const std::function<void(uint64_t)>& progress,
                                                  size_t first, bool eof) {
  // The calling thread runs the handler (the detectors) and needs a core of its own: N threads
  // are N - 1 parse threads and it (measured on 2 cores, all detectors, 1 GB: two parse
  // threads beside the detector thread 1.93-2.05 s, one 1.61-1.74 s).
  const size_t nthreads = static_cast<size_t>(opts_.threads) - 1;
  // Enough chunks that the handler never waits for a parse thread that was descheduled (2 cores:
  // 2 * threads + 2 chunks 2.35 s, 8 * threads + 8 1.95 s, 32 * threads + 32 1.90 s at twice the
  // memory).
  const size_t max_chunks =
      opts_.max_chunks_in_flight > 0 ? opts_.max_chunks_in_flight : 8 * nthreads + 8;
  while (workers_.size() < nthreads + 1) {  // and one for this thread's help
    ReaderOptions wo = opts_;
    wo.threads = 1;
    wo.stage1_thread = false;  // the parse threads already overlap chunks
    workers_.push_back(std::make_unique<Impl>(wo));
  }

  std::mutex mu;
  std::condition_variable work_cv;  // parse threads: a chunk to parse, or the framer and room
  std::condition_variable done_cv;  // this thread: the front chunk parsed, or the end
  std::deque<Chunk*> pending;       // framed, not yet taken by a parse thread
  std::deque<Chunk*> ordered;       // framed, not yet handed to the handler (input order)
  std::vector<std::unique_ptr<Chunk>> free_chunks;
  size_t in_flight = 0;
  bool framing = false;  // a thread holds the framer (the state below)
  bool framing_done = false;

  // The framer: this Impl's buffer and the state below, used by one thread at a time (a parse
  // thread, or this one while it would otherwise wait).
  ReaderStats framer_stats;  // bytes read by the framer (this Impl's Fill counts into stats_)
  std::vector<Chunk::Invalid> framer_invalids;
  absl::Status read_status;
  size_t start = first;
  bool skipping = false, at_eof = eof, refill = false;
  uint64_t bytes_before = 0;

  // Framer-side handler: the sequential loop reports oversize lines through Invalid().
  class FramerHandler final : public EventHandler {
   public:
    explicit FramerHandler(std::vector<Chunk::Invalid>& out) : out_(out) {}
    void OnEvent(AuditEvent&) override {}
    void OnInvalid(InvalidReason reason, const Location& where, std::string_view detail,
                   std::string_view raw) override {
      out_.push_back(Chunk::Invalid{reason, where.line, where.offset, where.item, detail, raw});
    }

   private:
    std::vector<Chunk::Invalid>& out_;
  } framer_handler(framer_invalids);

  handler_ = &framer_handler;
  stats_ = &framer_stats;
  base_offset_ = 0;
  base_line_ = 0;
  cursor_pos_ = 0;
  cursor_line_ = 0;

  // Frames the next buffer of whole lines into `c`; false once the input is exhausted (or a
  // read failed: read_status). The same framing as the sequential loop.
  auto frame_next = [&](Chunk& c) -> bool {
    while (true) {
      if (refill) {
        start = 0;
        if (at_eof && (filled_ == 0 || skipping)) return false;
        absl::StatusOr<bool> r = Fill(src);
        if (!r.ok()) {
          read_status = r.status();
          return false;
        }
        at_eof = *r;
        if (at_eof && filled_ == 0) return false;
      }
      refill = true;
      const size_t end = CutLines(start, skipping, at_eof);
      if (end == 0) continue;
      // Hand [0, end) over; the rest moves to a fresh buffer.
      std::unique_ptr<char[]> next = std::move(c.buf);
      size_t next_cap = c.cap;
      c.Reset();
      // Small chunks keep what the handler reads still in cache when it gets there
      // (measured on 2 cores: 4 MiB chunks 2.6-3.0 s, 1 MiB 2.3 s, 256 KiB 2.1-2.2 s for 1 GB).
      const size_t want = std::max(std::min(cap_, kParallelChunkBytes), 2 * (filled_ - end));
      if (next == nullptr || next_cap < want) {
        next.reset(new char[want + kPad]);
        std::memset(next.get() + want, 0, kPad);
        next_cap = want;
      }
      std::memcpy(next.get(), buf_.get() + end, filled_ - end);
      c.buf = std::move(buf_);
      c.cap = cap_;
      buf_ = std::move(next);
      cap_ = next_cap;
      c.begin = start;
      c.end = end;
      c.mid_line = skipping;
      c.bytes = framer_stats.bytes - bytes_before;
      bytes_before = framer_stats.bytes;
      c.consumed = src.consumed_bytes();
      for (Chunk::Invalid& inv : framer_invalids) {
        c.invalids.push_back(inv);
        c.order.push_back(Chunk::kInvalidBit | static_cast<uint32_t>(c.invalids.size() - 1));
      }
      framer_invalids.clear();
      filled_ -= end;
      return true;
    }
  };

  // One step of a parse thread's work, with `l` held: parse a framed chunk, or else frame the
  // next one if the framer is free and fewer than max_chunks exist (no thread of its own for
  // framing: on 2 cores a third thread took the busy threads' cores at the wrong moments).
  // False when there is nothing to do.
  auto parse_step = [&](Impl* w, std::unique_lock<std::mutex>& l) -> bool {
    if (!pending.empty()) {
      Chunk* c = pending.front();
      pending.pop_front();
      l.unlock();
      w->ProcessChunk(*c);
      l.lock();
      c->done = true;
      done_cv.notify_one();
      return true;
    }
    if (framing_done || framing || in_flight >= max_chunks) return false;
    framing = true;
    ++in_flight;
    std::unique_ptr<Chunk> c;
    if (!free_chunks.empty()) {
      c = std::move(free_chunks.back());
      free_chunks.pop_back();
    } else {
      c = std::make_unique<Chunk>();
    }
    l.unlock();
    const bool framed = frame_next(*c);
    l.lock();
    framing = false;
    if (framed) {
      pending.push_back(c.get());
      ordered.push_back(c.release());
      work_cv.notify_one();  // another parse thread may frame the next one
    } else {
      free_chunks.push_back(std::move(c));
      --in_flight;
      framing_done = true;
      work_cv.notify_all();
      done_cv.notify_one();
    }
    return true;
  };
  auto parse_loop = [&](Impl* w) {
    std::unique_lock<std::mutex> l(mu);
    while (true) {
      if (parse_step(w, l)) continue;
      if (framing_done && pending.empty()) return;
      work_cv.wait(l);
    }
  };
  std::vector<std::thread> parsers;
  for (size_t i = 0; i < nthreads; ++i) parsers.emplace_back(parse_loop, workers_[i].get());

  Impl* helper = workers_[nthreads].get();
  // Hand the chunks' contents to the handler in input order.
  uint64_t base_line = 1, base_offset = 0;
  std::string_view name = src.name();
  while (true) {
    Chunk* c;
    {
      std::unique_lock<std::mutex> l(mu);
      // Rather than wait for the front chunk, parse or frame a later one.
      while (!((!ordered.empty() && ordered.front()->done) || (ordered.empty() && framing_done))) {
        if (!parse_step(helper, l)) done_cv.wait(l);
      }
      if (ordered.empty()) break;
      c = ordered.front();
      ordered.pop_front();
    }
    st.bytes += c->bytes;
    st.documents += c->stats.documents;
    st.list_items_truncated += c->stats.list_items_truncated;
    const char* buf_end = c->buf.get() + c->cap + kPad;
    constexpr size_t kAhead = 8;  // events whose dedup slots are prefetched
    for (size_t j = 0; j < c->order.size(); ++j) {
      if (j + kAhead < c->order.size() && !(c->order[j + kAhead] & Chunk::kInvalidBit)) {
        h.Prefetch(c->events[c->order[j + kAhead]]);
      }
      const uint32_t o = c->order[j];
      if (o & Chunk::kInvalidBit) {
        const Chunk::Invalid& inv = c->invalids[o & ~Chunk::kInvalidBit];
        st.invalid[static_cast<int>(inv.reason)]++;
        Location loc{name, base_line + inv.line, base_offset + inv.offset, inv.item};
        h.OnInvalid(inv.reason, loc, inv.detail, inv.raw);
      } else {
        AuditEvent& e = c->events[o];
        st.events++;
        consumer_lazy_.Reset(e.request_object, e.response_object, buf_end);
        const std::array<int32_t, 2>& pod = c->pod_of[o];
        if (pod[0] >= 0) consumer_lazy_.PresetRequestPod(c->pods[pod[0]]);
        if (pod[1] >= 0) consumer_lazy_.PresetResponsePod(c->pods[pod[1]]);
        e.lazy = &consumer_lazy_;
        h.OnEvent(e);
      }
    }
    base_line += c->newlines;
    base_offset += c->end;
    next_record_ = c->mid_line ? std::nullopt : std::optional<uint64_t>(base_offset);
    if (progress) progress(c->consumed);
    {
      std::lock_guard<std::mutex> l(mu);
      free_chunks.emplace_back(c);
      --in_flight;
    }
    work_cv.notify_one();  // room for the next chunk
  }
  for (auto& t : parsers) t.join();
  handler_ = nullptr;
  stats_ = nullptr;
  return read_status;
}

absl::Status EventReader::Impl::Read(ByteSource& src, EventHandler& h, ReaderStats& st,
                                     const std::function<void(uint64_t)>& progress, bool parallel) {
  handler_ = &h;
  stats_ = &st;
  name_ = src.name();
  base_offset_ = 0;
  base_line_ = 1;
  cursor_pos_ = 0;
  cursor_line_ = 1;
  filled_ = 0;
  next_record_ = 0;
  if (cap_ > std::max<size_t>(opts_.chunk_bytes, 4096) * 4) {
    cap_ = 0;  // shrink a buffer grown by a previous huge input
    buf_.reset();
    Reserve(std::max<size_t>(opts_.chunk_bytes, 4096));
  }

  KAUDIT_ASSIGN_OR_RETURN(bool eof, Fill(src));
  // The format is told from the first line and the first character after it, read in full up
  // to a bound, so that it never depends on how much the buffer happened to hold.
  const size_t look = opts_.max_event_bytes + 2;
  size_t first = 0;
  bool multi_line = false;
  while (true) {
    const size_t lim = std::min(filled_, look);
    first = filled_ >= 3 && std::memcmp(buf_.get(), "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;  // BOM
    first = SkipWs(first, lim);
    std::optional<bool> m =
        first < lim ? LooksMultiLine(first, lim, eof && lim == filled_) : std::nullopt;
    if (m.has_value() || eof || lim >= look) {
      multi_line = m.value_or(false);
      break;
    }
    if (filled_ == cap_) Reserve(std::min(cap_ * 2, look));
    KAUDIT_ASSIGN_OR_RETURN(eof, Fill(src));
  }
  first = SkipWs(first, filled_);
  if (first >= filled_ && eof) return absl::OkStatus();

  if (multi_line) {
    // Larger than max_document_bytes is told by the input's size, not the buffer's.
    while (!eof && filled_ <= opts_.max_document_bytes) {
      if (filled_ == cap_) Reserve(std::min(opts_.max_document_bytes + 1, cap_ * 2));
      KAUDIT_ASSIGN_OR_RETURN(eof, Fill(src));
    }
    if (filled_ > opts_.max_document_bytes) {
      Invalid(InvalidReason::kOversize, first, -1,
              "multi-line document larger than max_document_bytes; rest of input skipped", {});
      return absl::OkStatus();
    }
    ProcessDocuments(first, filled_);
    next_record_ = filled_;
    if (progress) progress(src.consumed_bytes());
    return absl::OkStatus();
  }

  if (parallel && opts_.threads > 1) return ReadLinesParallel(src, h, st, progress, first, eof);

  // JSON lines, streamed through the buffer.
  size_t start = first;
  bool skipping = false;  // discarding the rest of an oversize line
  while (true) {
    const size_t end = CutLines(start, skipping, eof);
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
    next_record_ = skipping ? std::nullopt : std::optional<uint64_t>(base_offset_);
    if (progress) progress(src.consumed_bytes());
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

std::optional<uint64_t> EventReader::next_record_offset() const {
  return impl_->next_record_offset();
}

void EventReader::ParseBuffer(std::string_view data, std::string_view name, EventHandler& handler) {
  auto src = MemoryByteSource(std::string(name), std::string(data));
  (void)impl_->Read(*src, handler, stats_, nullptr, false);  // memory reads cannot fail
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
