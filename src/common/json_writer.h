#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kaudit {

// Appends a JSON string literal (with quotes) to `out`, escaping as RFC 8259 requires.
// Invalid UTF-8 bytes are replaced by U+FFFD so the output is always valid JSON.
void AppendJsonString(std::string& out, std::string_view s);

// A minimal streaming JSON object writer for owned output records (alerts, summaries).
// Not for the hot path of events.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view k);
  JsonWriter& String(std::string_view v);
  JsonWriter& Int(int64_t v);
  JsonWriter& Double(double v);
  JsonWriter& Bool(bool v);
  JsonWriter& Null();
  // Appends an already-serialized JSON value verbatim.
  JsonWriter& Raw(std::string_view json);

  // Convenience: key + value.
  JsonWriter& Field(std::string_view k, std::string_view v) { return Key(k).String(v); }
  JsonWriter& Field(std::string_view k, const char* v) { return Key(k).String(v); }
  JsonWriter& Field(std::string_view k, int64_t v) { return Key(k).Int(v); }
  JsonWriter& Field(std::string_view k, int v) { return Key(k).Int(v); }
  JsonWriter& Field(std::string_view k, bool v) { return Key(k).Bool(v); }

 private:
  void Separator();

  std::string& out_;
  bool need_comma_ = false;
};

}  // namespace kaudit
