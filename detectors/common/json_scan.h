#pragma once
// A small allocation-free reader for the raw JSON spans an event keeps (user.extra, a
// requestObject/responseObject) when a detector needs one or two fields of them and no lazy
// view exists: it walks object keys along a path and skips everything else. Malformed input
// yields "absent", never a crash. Cost is linear in the bytes before the field.
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace kaudit {

// The raw span of the value at `path` (object keys, outermost first); nullopt when a key is
// absent, a value on the path is not an object, or the JSON is malformed.
std::optional<std::string_view> JsonFind(std::string_view json,
                                         std::initializer_list<std::string_view> path);

// The decoded string of a raw JSON string value; nullopt when `raw` is not a string.
std::optional<std::string> JsonString(std::string_view raw);

// Calls f(raw element) for each element of a raw JSON array; false when `raw` is not one.
bool JsonForEachElement(std::string_view raw, const std::function<void(std::string_view)>& f);

// user.extra is map[string][]string: the first value of `key`, or "" when absent.
std::string UserExtraValue(std::string_view user_extra, std::string_view key);

}  // namespace kaudit
