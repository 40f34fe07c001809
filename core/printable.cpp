#include "core/printable.h"

namespace crawl {

std::string printable(std::string_view line, std::size_t max_bytes) {
  std::string out;
  std::size_t i = 0;
  for (; i < line.size() && out.size() < max_bytes; ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool valid = len > 0 && i + len <= line.size();
    for (std::size_t k = 1; valid && k < len; ++k) valid = (static_cast<unsigned char>(line[i + k]) >> 6) == 0x2;
    if (valid && len == 1 && (c < 0x20 || c == 0x7F)) valid = false;
    if (!valid) {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
      continue;
    }
    out.append(line.substr(i, len));
    i += len - 1;
  }
  if (i < line.size()) out += "…";
  return out;
}

}  // namespace crawl
