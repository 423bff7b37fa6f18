#pragma once

#include <string>
#include <string_view>

namespace kaudit {

// Removes the whitespace between JSON tokens (simdjson::minify), so that a document written
// over several lines fits on one line of a JSON-lines file. Returns false when `json` is not
// well-formed enough to minify; `out` is then unspecified.
[[nodiscard]] bool MinifyJson(std::string_view json, std::string& out);

}  // namespace kaudit
