#pragma once
// Internal to src/parse: small helpers over simdjson's On-Demand API.

#include <simdjson.h>

#include <cstring>
#include <string_view>

namespace kaudit::parse_internal {

namespace od = simdjson::ondemand;

// The key of a field as written (audit and Kubernetes keys carry no escapes). Returns an
// empty view for keys with escapes or absurd length, which then match nothing.
inline std::string_view KeyOfRaw(const char* p) {
  for (size_t i = 0; i < 256; ++i) {
    if (p[i] == '"') return std::string_view(p, i);
    if (p[i] == '\\') return {};
  }
  return {};
}
inline std::string_view KeyOf(od::field& f) { return KeyOfRaw(f.key().raw()); }
inline std::string_view KeyOf(simdjson::simdjson_result<od::field>& f) {
  if (f.error()) return {};
  return KeyOfRaw(f.value_unsafe().key().raw());
}

// Reads a string; null counts as absent. Returns an error only for other types / bad JSON.
template <typename V>
inline simdjson::error_code GetStringOrNull(V&& v, std::string_view& out) {
  auto ec = v.get_string().get(out);
  if (ec == simdjson::INCORRECT_TYPE) {
    bool is_null = false;
    if (!v.is_null().get(is_null) && is_null) {
      out = {};
      return simdjson::SUCCESS;
    }
  }
  return ec;
}

}  // namespace kaudit::parse_internal
