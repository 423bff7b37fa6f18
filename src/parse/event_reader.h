#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "src/event/audit_event.h"
#include "src/parse/byte_source.h"

namespace kaudit {

// Why an input document was not turned into an event. Every reason is counted.
enum class InvalidReason : uint8_t {
  kMalformedJson = 0,      // not JSON (syntax error)
  kTruncated,              // JSON cut off (incomplete document, unterminated string)
  kInvalidUtf8,            // bytes that are not UTF-8
  kNotAnObject,            // a JSON value that is not an object (number, string, ...)
  kWrongKind,              // kind is not Event/EventList, or not a string
  kUnsupportedApiVersion,  // apiVersion other than audit.k8s.io/v1 or v1beta1
  kMissingField,           // auditID, stage, verb or a timestamp missing
  kBadFieldType,           // a field of the wrong JSON type (number where a string belongs)
  kBadTimestamp,           // a timestamp that is not RFC 3339
  kOversize,               // larger than the configured event size limit
  kTooDeep,                // nesting deeper than the parser allows
};
inline constexpr int kNumInvalidReasons = 11;
std::string_view InvalidReasonName(InvalidReason r);

// Where a document came from: source name, 1-based line, byte offset of the document in the
// (decompressed) input, and the index within an EventList/array (-1 when not in one).
struct Location {
  std::string_view source;
  uint64_t line = 0;
  uint64_t offset = 0;
  int64_t item = -1;
  std::string ToString() const;  // "file:line" or "file:line item N"
};

class EventHandler {
 public:
  virtual ~EventHandler() = default;
  // The event may be annotated by the handler (the dispatcher marks first_outcome).
  virtual void OnEvent(AuditEvent& event) = 0;
  // A hint that `event` will be handed to OnEvent soon (a parallel read looks a few events
  // ahead): the handler may prefetch the memory it will touch. No effect on results.
  virtual void Prefetch(const AuditEvent& event) { (void)event; }
  // `raw` is the offending document (or line) text, possibly cut to a bound; `detail` says
  // what was wrong (field name, simdjson error).
  virtual void OnInvalid(InvalidReason reason, const Location& where, std::string_view detail,
                         std::string_view raw) = 0;
};

struct ReaderOptions {
  size_t chunk_bytes = 256 << 10;          // streaming buffer for JSON lines
  size_t max_event_bytes = 16 << 20;       // larger events/lines are skipped as kOversize
  size_t max_document_bytes = 1ull << 30;  // bound for a multi-line document (array, pretty)
  size_t max_list_items = 1024;            // groups / sourceIPs kept per event
  // Threads for JSON lines read by Read(): 1 parses on the calling thread; N > 1 frames the
  // input into chunks of whole lines and parses them on N - 1 threads (with the pod objects
  // detectors read: PodObjectsWanted in pod_object_walk.h), and hands the events to the
  // handler on the calling thread strictly in input order (handler calls, counts and
  // locations are the same as with 1, on any input: FuzzFraming checks it); the calling thread
  // parses a later chunk while the next one is not ready. Multi-line documents and
  // ParseBuffer() always parse on the calling thread.
  int threads = 1;
  // With threads == 1: let simdjson run stage 1 of the next iterate_many batch on a helper
  // thread (its default). Off, the read uses exactly one thread.
  bool stage1_thread = true;
  // Chunks framed but not yet handed to the handler, at most (bounds memory: each holds its
  // chunk of whole lines and its parsed events); 0 = 8 * parse threads + 8.
  size_t max_chunks_in_flight = 0;
};

struct ReaderStats {
  uint64_t bytes = 0;                 // decompressed bytes read
  uint64_t documents = 0;             // top-level JSON documents seen
  uint64_t events = 0;                // valid events handed to the handler
  uint64_t list_items_truncated = 0;  // groups and source IPs beyond max_list_items, dropped
  std::array<uint64_t, kNumInvalidReasons> invalid{};
  uint64_t invalid_total() const;
  void Add(const ReaderStats& o);
};

// Reads audit events from JSON lines (streamed through a reused buffer with simdjson's
// iterate_many), a single Event, an EventList, a JSON array of either, or concatenated
// pretty-printed documents. Bad input is reported to the handler and never stops the read;
// only I/O errors end it. In JSON lines each line is one record (an event, an EventList's or
// array's items, or one invalid report), the same whatever lines, buffer ends or chunk ends
// surround it: a cut-off line is never joined to the next, and more after a document on its
// line makes the line malformed_json. The format is told from the first line and the first
// character after it.
class EventReader {
 public:
  explicit EventReader(ReaderOptions options = {});
  ~EventReader();
  EventReader(const EventReader&) = delete;
  EventReader& operator=(const EventReader&) = delete;

  [[nodiscard]] absl::Status Read(ByteSource& source, EventHandler& handler);
  // Parses an in-memory body (webhook request, Kafka message): one document or JSON lines.
  void ParseBuffer(std::string_view data, std::string_view name, EventHandler& handler);

  const ReaderStats& stats() const { return stats_; }
  // Optional progress callback, called on the calling thread after each chunk with the bytes
  // consumed from the source (compressed bytes for gzip) up to that chunk.
  void set_progress(std::function<void(uint64_t consumed_bytes)> fn) { progress_ = std::move(fn); }
  // Inside the progress callback of Read(): the byte offset in the (decompressed) input of the
  // next record not yet handed to the handler, every record before it having been handed over
  // (a resume point for replay checkpoints). nullopt inside an oversize line being skipped.
  std::optional<uint64_t> next_record_offset() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
  ReaderStats stats_;
  std::function<void(uint64_t)> progress_;
};

}  // namespace kaudit

namespace kaudit {
// "simdjson 3.0.1 (haswell)": the parser library and the kernel chosen for this CPU.
std::string ParserInfo();
}  // namespace kaudit
