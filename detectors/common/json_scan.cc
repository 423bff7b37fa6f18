#include "detectors/common/json_scan.h"

#include <cstdint>

namespace kaudit {
namespace {

constexpr int kMaxDepth = 64;

void SkipWs(std::string_view s, size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) ++i;
}

// s[i] == '"': moves i past the closing quote; false when unterminated.
bool SkipString(std::string_view s, size_t& i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      ++i;
      return true;
    }
  }
  return false;
}

// Moves i past one value (any type); false when malformed.
bool SkipValue(std::string_view s, size_t& i) {
  SkipWs(s, i);
  if (i >= s.size()) return false;
  if (s[i] == '"') return SkipString(s, i);
  if (s[i] != '{' && s[i] != '[') {  // number, true, false, null
    size_t start = i;
    while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' &&
           s[i] != '\n' && s[i] != '\r' && s[i] != '\t') {
      ++i;
    }
    return i > start;
  }
  int depth = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == '"') {
      if (!SkipString(s, i)) return false;
      continue;
    }
    if (c == '{' || c == '[') {
      if (++depth > kMaxDepth) return false;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) {
        ++i;
        return true;
      }
    }
    ++i;
  }
  return false;
}

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool Hex4(std::string_view s, size_t i, uint32_t& v) {
  if (i + 4 > s.size()) return false;
  v = 0;
  for (size_t k = i; k < i + 4; ++k) {
    char c = s[k];
    v <<= 4;
    if (c >= '0' && c <= '9') {
      v |= static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v |= static_cast<uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      v |= static_cast<uint32_t>(c - 'A' + 10);
    } else {
      return false;
    }
  }
  return true;
}

// s[i] == '"': decodes the string into out and moves i past it.
bool ReadString(std::string_view s, size_t& i, std::string& out) {
  out.clear();
  for (++i; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"') {
      ++i;
      return true;
    }
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i >= s.size()) return false;
    switch (s[i]) {
      case '"':
        out.push_back('"');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case '/':
        out.push_back('/');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'u': {
        uint32_t cp;
        if (!Hex4(s, i + 1, cp)) return false;
        i += 4;
        if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < s.size() && s[i + 1] == '\\' &&
            s[i + 2] == 'u') {
          uint32_t lo;
          if (Hex4(s, i + 3, lo) && lo >= 0xDC00 && lo < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
          }
        }
        AppendUtf8(cp, out);
        break;
      }
      default:
        return false;
    }
  }
  return false;
}

}  // namespace

std::optional<std::string_view> JsonFind(std::string_view json,
                                         std::initializer_list<std::string_view> path) {
  std::string key;
  size_t i = 0;
  for (std::string_view want : path) {
    SkipWs(json, i);
    if (i >= json.size() || json[i] != '{') return std::nullopt;
    ++i;
    bool found = false;
    while (!found) {
      SkipWs(json, i);
      if (i >= json.size() || json[i] != '"') return std::nullopt;  // '}' or malformed
      if (!ReadString(json, i, key)) return std::nullopt;
      SkipWs(json, i);
      if (i >= json.size() || json[i] != ':') return std::nullopt;
      ++i;
      SkipWs(json, i);
      if (key == want) {
        found = true;
        break;
      }
      if (!SkipValue(json, i)) return std::nullopt;
      SkipWs(json, i);
      if (i < json.size() && json[i] == ',') ++i;
    }
  }
  size_t start = i;
  if (!SkipValue(json, i)) return std::nullopt;
  return json.substr(start, i - start);
}

std::optional<std::string> JsonString(std::string_view raw) {
  size_t i = 0;
  SkipWs(raw, i);
  if (i >= raw.size() || raw[i] != '"') return std::nullopt;
  std::string out;
  if (!ReadString(raw, i, out)) return std::nullopt;
  return out;
}

bool JsonForEachElement(std::string_view raw, const std::function<void(std::string_view)>& f) {
  size_t i = 0;
  SkipWs(raw, i);
  if (i >= raw.size() || raw[i] != '[') return false;
  ++i;
  while (true) {
    SkipWs(raw, i);
    if (i >= raw.size()) return false;
    if (raw[i] == ']') return true;
    size_t start = i;
    if (!SkipValue(raw, i)) return false;
    f(raw.substr(start, i - start));
    SkipWs(raw, i);
    if (i < raw.size() && raw[i] == ',') ++i;
  }
}

std::string UserExtraValue(std::string_view user_extra, std::string_view key) {
  if (user_extra.empty()) return {};
  auto raw = JsonFind(user_extra, {key});
  if (!raw) return {};
  std::string out;
  bool first = true;
  JsonForEachElement(*raw, [&](std::string_view el) {
    if (!first) return;
    first = false;
    if (auto s = JsonString(el)) out = std::move(*s);
  });
  return out;
}

}  // namespace kaudit
