#include <string>

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

}  // namespace

void FuzzFraming(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // Readers are reused across inputs, as in kaudit (one per source): each Read/ParseBuffer
  // starts afresh, and reuse is what makes thousands of executions a second possible.
  static auto* small = [] {
    // Small bounds so that chunk refills, oversize skips and list truncation all happen.
    ReaderOptions opts;
    opts.chunk_bytes = 256;
    opts.max_event_bytes = 1024;
    opts.max_document_bytes = 4096;
    opts.max_list_items = 4;
    return new EventReader(opts);
  }();
  static auto* big = new EventReader();
  {
    TouchHandler h;
    auto src = MemoryByteSource("fuzz", std::string(bytes));
    absl::Status st = small->Read(*src, h);
    if (!st.ok()) __builtin_trap();  // memory sources have no I/O errors
    g_sink = g_sink + h.t_.sum();
  }
  {
    TouchHandler h;
    big->ParseBuffer(bytes, "fuzz", h);
    g_sink = g_sink + h.t_.sum();
  }
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
