#pragma once
// Internal to src/parse: small helpers over simdjson's On-Demand API.

#include <simdjson.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace kaudit::parse_internal {

namespace od = simdjson::ondemand;

// The key of a field as written (audit and Kubernetes keys carry no escapes). Returns an
// empty view for keys with escapes or absurd length, which then match nothing.
// Index of the first '"' or '\\' in p[0, 256), or 256. The caller guarantees 16 readable
// bytes past any position it may scan (simdjson's input padding), so 16-byte loads are safe.
inline size_t FindQuoteOrBackslash(const char* p) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), slash = _mm_set1_epi8('\\');
  for (size_t i = 0; i < 256; i += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    int m = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, slash)));
    if (m != 0) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(m)));
  }
  return 256;
#else
  for (size_t i = 0; i < 256; ++i) {
    if (p[i] == '"' || p[i] == '\\') return i;
  }
  return 256;
#endif
}

inline std::string_view KeyOfRaw(const char* p) {
  // Keys end at the first quote; stage 1 guarantees one. Keys with escapes match nothing.
  size_t i = FindQuoteOrBackslash(p);
  if (i >= 256 || p[i] != '"') return {};
  return std::string_view(p, i);
}
inline std::string_view KeyOf(od::field& f) { return KeyOfRaw(f.key().raw()); }
inline std::string_view KeyOf(simdjson::simdjson_result<od::field>& f) {
  if (f.error()) return {};
  return KeyOfRaw(f.value_unsafe().key().raw());
}

// Key equality against a literal, with the length known at compile time so the comparison
// inlines (std::string_view == calls memcmp).
template <size_t N>
inline bool KeyIs(std::string_view k, const char (&lit)[N]) {
  return k.size() == N - 1 && __builtin_memcmp(k.data(), lit, N - 1) == 0;
}

// Reads a string without copying when it has no escapes: the view then points into the
// input buffer (the raw token minus its quotes). Strings with escapes are unescaped into the
// parser's string buffer. Either way the view lives as long as the document.
template <typename V>
inline simdjson::error_code GetStringFast(V&& v, std::string_view& out) {
  // get(), not the converting operator: that one throws on an error result (found by fuzzing:
  // a malformed value inside a pod spec's string list terminated the process).
  // (A value's raw_json_token() is a plain string_view; a simdjson_result's carries an error.)
  std::string_view tok;
  auto token = v.raw_json_token();
  if constexpr (std::is_same_v<std::decay_t<decltype(token)>, std::string_view>) {
    tok = token;
  } else if (auto ec = std::move(token).get(tok); ec) {
    return ec;
  }
  if (!tok.empty() && tok.front() == '"') {
    // The closing quote is searched forward from the opening one; the token's length is not
    // used: for a document cut off at the end of the input it can run past the buffer (an ASan
    // SEGV found by fuzzing). EventReader puts a quote right after its data, so the scan ends
    // there at the latest; a document parsed on its own has its strings closed (stage 1).
    const char* body = tok.data() + 1;
    size_t n = 0, i;
    while ((i = FindQuoteOrBackslash(body + n)) == 256) n += 256;
    n += i;
    if (body[n] == '"') {
      out = std::string_view(body, n);
      return simdjson::SUCCESS;
    }
  }
  return v.get_string().get(out);
}

// Reads a string; null counts as absent. Returns an error only for other types / bad JSON.
template <typename V>
inline simdjson::error_code GetStringOrNull(V&& v, std::string_view& out) {
  auto ec = GetStringFast(v, out);
  if (ec == simdjson::INCORRECT_TYPE) {
    bool is_null = false;
    if (!v.is_null().get(is_null) && is_null) {
      out = {};
      return simdjson::SUCCESS;
    }
  }
  return ec;
}

// Lenient readers for Kubernetes objects (request/response objects already validated by the
// apiserver): a value of the wrong type leaves `out` unchanged.
template <typename V>
inline void ReadString(V&& v, std::string_view& out) {
  (void)GetStringOrNull(v, out);
}
template <typename V>
inline void ReadBool(V&& v, bool& out) {
  bool b;
  if (!v.get_bool().get(b)) out = b;
}
template <typename V>
inline void ReadBool(V&& v, std::optional<bool>& out) {
  bool b;
  if (!v.get_bool().get(b)) out = b;
}
template <typename V>
inline void ReadInt(V&& v, int64_t& out) {
  int64_t i;
  if (!v.get_int64().get(i)) out = i;
}
template <typename V>
inline void ReadInt(V&& v, std::optional<int64_t>& out) {
  int64_t i;
  if (!v.get_int64().get(i)) out = i;
}
template <typename V>
inline void ReadStringList(V&& v, std::vector<std::string_view>& out) {
  od::array arr;
  if (v.get_array().get(arr)) return;
  for (auto item : arr) {
    std::string_view s;
    if (!GetStringOrNull(item, s)) out.push_back(s);
  }
}

}  // namespace kaudit::parse_internal
