#include "src/parse/minify.h"

#include <simdjson.h>

namespace kaudit {

bool MinifyJson(std::string_view json, std::string& out) {
  out.resize(json.size());
  size_t len = 0;
  if (simdjson::minify(json.data(), json.size(), out.data(), len) != simdjson::SUCCESS) {
    return false;
  }
  out.resize(len);
  return true;
}

}  // namespace kaudit
