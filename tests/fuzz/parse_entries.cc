#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "src/common/strings.h"
#include "src/parse/byte_source.h"
#include "src/parse/event_reader.h"
#include "src/parse/object_parser.h"
#include "src/parse/pod_spec_parser.h"
#include "tests/fuzz/fuzz_entries.h"
#include "tests/fuzz/touch.h"

namespace kaudit::fuzz {
namespace {

class TouchHandler final : public EventHandler {
 public:
  void OnEvent(AuditEvent& e) override {
    TouchEvent(e, t_);
    TouchPodSpec(e.RequestPodSpec(), t_);
    TouchPodSpec(e.ResponsePodSpec(), t_);
    if (e.RequestRole() != nullptr) t_(e.RequestRole()->rules.size() ? "r" : "");
    ++events_;
  }
  void OnInvalid(InvalidReason reason, const Location& where, std::string_view detail,
                 std::string_view raw) override {
    t_(InvalidReasonName(reason));
    t_(where.ToString());
    t_(detail);
    t_(raw);
  }
  uint64_t events_ = 0;
  Toucher t_;
};

// Every handler call as text (and every field read, as TouchHandler does), to compare two reads
// of the same bytes.
class LogHandler final : public EventHandler {
 public:
  void OnEvent(AuditEvent& e) override {
    touch_.OnEvent(e);
    absl::StrAppend(&log_, "event ", ToAbsl(e.audit_id), " ", ToAbsl(e.verb_text), " ",
                    ToAbsl(e.username), " ", ToAbsl(e.request_uri), " ", e.raw.size(), "\n");
  }
  void OnInvalid(InvalidReason reason, const Location& where, std::string_view detail,
                 std::string_view raw) override {
    touch_.OnInvalid(reason, where, detail, raw);
    absl::StrAppend(&log_, "invalid ", ToAbsl(InvalidReasonName(reason)), " ",
                    ToAbsl(where.ToString()), " @", where.offset, " ", ToAbsl(detail), " ",
                    raw.size(), "\n");
  }
  std::string log_;
  TouchHandler touch_;
};

// Reads `bytes` with `reader` (reused across inputs, as kaudit reuses one per source, and reuse
// is what makes thousands of executions a second possible): the handler calls, then what the
// reader's counters gained.
std::string LogOfRead(EventReader& reader, std::string_view bytes) {
  const ReaderStats before = reader.stats();
  LogHandler h;
  auto src = MemoryByteSource("fuzz", std::string(bytes));
  absl::Status st = reader.Read(*src, h);
  if (!st.ok()) __builtin_trap();  // memory sources have no I/O errors
  g_sink = g_sink + h.touch_.t_.sum();
  const ReaderStats& after = reader.stats();
  // (Not bytes: how much of an input is read before the rest is skipped may differ.)
  absl::StrAppend(&h.log_, "documents ", after.documents - before.documents, " events ",
                  after.events - before.events, " truncated lists ",
                  after.list_items_truncated - before.list_items_truncated, " invalid");
  for (int i = 0; i < kNumInvalidReasons; ++i) {
    absl::StrAppend(&h.log_, " ", after.invalid[i] - before.invalid[i]);
  }
  return h.log_;
}

}  // namespace

std::string FramingDifference(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto make = [](int threads) {
    // Small bounds so that chunk refills, oversize skips and list truncation all happen.
    ReaderOptions opts;
    opts.chunk_bytes = 256;
    opts.max_event_bytes = 1024;
    opts.max_document_bytes = 4096;
    opts.max_list_items = 4;
    opts.threads = threads;
    opts.max_chunks_in_flight = 2;
    return new EventReader(opts);
  };
  static auto* one = make(1);
  static auto* two = make(2);
  std::string a = LogOfRead(*one, bytes);
  std::string b = LogOfRead(*two, bytes);
  if (a == b) return {};
  return absl::StrCat("--- threads 1\n", a, "\n--- threads 2\n", b, "\n");
}

void FuzzFraming(const uint8_t* data, size_t size) {
  // Streamed with small bounds, with one thread and with two: the same handler calls.
  if (std::string d = FramingDifference(data, size); !d.empty()) {
    std::fputs(d.c_str(), stderr);
    __builtin_trap();
  }
  static auto* big = new EventReader();
  TouchHandler h;
  big->ParseBuffer(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz", h);
  g_sink = g_sink + h.t_.sum();
}

void FuzzPodSpec(const uint8_t* data, size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  Toucher t;
  static auto* pods = new PodSpecParser();
  static auto* objects = new K8sObjectParser();
  TouchPodSpec(pods->ParseCopy(json), t);
  TouchObjects(objects->ParseCopy(json), t);
  g_sink = g_sink + t.sum();
}

}  // namespace kaudit::fuzz
