// WHATWG Encoding labels and decoders (through iconv), and the HTML encoding sniffing
// algorithm. See charset.h.
#include "web/charset.h"

#include <iconv.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>

#include "core/ascii.h"

namespace crawl {
namespace {

// WHATWG Encoding "Encodings" table (encodings.json), label → name, sorted by label; the
// test checks it against tests/data/whatwg/encodings.json.
constexpr std::pair<std::string_view, std::string_view> kLabels[] = {
    {"866", "IBM866"}, {"ansi_x3.4-1968", "windows-1252"}, {"arabic", "ISO-8859-6"},
    {"ascii", "windows-1252"}, {"asmo-708", "ISO-8859-6"}, {"big5", "Big5"},
    {"big5-hkscs", "Big5"}, {"chinese", "GBK"}, {"cn-big5", "Big5"}, {"cp1250", "windows-1250"},
    {"cp1251", "windows-1251"}, {"cp1252", "windows-1252"}, {"cp1253", "windows-1253"},
    {"cp1254", "windows-1254"}, {"cp1255", "windows-1255"}, {"cp1256", "windows-1256"},
    {"cp1257", "windows-1257"}, {"cp1258", "windows-1258"}, {"cp819", "windows-1252"},
    {"cp866", "IBM866"}, {"csbig5", "Big5"}, {"cseuckr", "EUC-KR"},
    {"cseucpkdfmtjapanese", "EUC-JP"}, {"csgb2312", "GBK"}, {"csibm866", "IBM866"},
    {"csiso2022jp", "ISO-2022-JP"}, {"csiso2022kr", "replacement"}, {"csiso58gb231280", "GBK"},
    {"csiso88596e", "ISO-8859-6"}, {"csiso88596i", "ISO-8859-6"}, {"csiso88598e", "ISO-8859-8"},
    {"csiso88598i", "ISO-8859-8-I"}, {"csisolatin1", "windows-1252"},
    {"csisolatin2", "ISO-8859-2"}, {"csisolatin3", "ISO-8859-3"}, {"csisolatin4", "ISO-8859-4"},
    {"csisolatin5", "windows-1254"}, {"csisolatin6", "ISO-8859-10"},
    {"csisolatin9", "ISO-8859-15"}, {"csisolatinarabic", "ISO-8859-6"},
    {"csisolatincyrillic", "ISO-8859-5"}, {"csisolatingreek", "ISO-8859-7"},
    {"csisolatinhebrew", "ISO-8859-8"}, {"cskoi8r", "KOI8-R"}, {"csksc56011987", "EUC-KR"},
    {"csmacintosh", "macintosh"}, {"csshiftjis", "Shift_JIS"}, {"csunicode", "UTF-16LE"},
    {"cyrillic", "ISO-8859-5"}, {"dos-874", "windows-874"}, {"ecma-114", "ISO-8859-6"},
    {"ecma-118", "ISO-8859-7"}, {"elot_928", "ISO-8859-7"}, {"euc-jp", "EUC-JP"},
    {"euc-kr", "EUC-KR"}, {"gb18030", "gb18030"}, {"gb2312", "GBK"}, {"gb_2312", "GBK"},
    {"gb_2312-80", "GBK"}, {"gbk", "GBK"}, {"greek", "ISO-8859-7"}, {"greek8", "ISO-8859-7"},
    {"hebrew", "ISO-8859-8"}, {"hz-gb-2312", "replacement"}, {"ibm819", "windows-1252"},
    {"ibm866", "IBM866"}, {"iso-10646-ucs-2", "UTF-16LE"}, {"iso-2022-cn", "replacement"},
    {"iso-2022-cn-ext", "replacement"}, {"iso-2022-jp", "ISO-2022-JP"},
    {"iso-2022-kr", "replacement"}, {"iso-8859-1", "windows-1252"}, {"iso-8859-10", "ISO-8859-10"},
    {"iso-8859-11", "windows-874"}, {"iso-8859-13", "ISO-8859-13"}, {"iso-8859-14", "ISO-8859-14"},
    {"iso-8859-15", "ISO-8859-15"}, {"iso-8859-16", "ISO-8859-16"}, {"iso-8859-2", "ISO-8859-2"},
    {"iso-8859-3", "ISO-8859-3"}, {"iso-8859-4", "ISO-8859-4"}, {"iso-8859-5", "ISO-8859-5"},
    {"iso-8859-6", "ISO-8859-6"}, {"iso-8859-6-e", "ISO-8859-6"}, {"iso-8859-6-i", "ISO-8859-6"},
    {"iso-8859-7", "ISO-8859-7"}, {"iso-8859-8", "ISO-8859-8"}, {"iso-8859-8-e", "ISO-8859-8"},
    {"iso-8859-8-i", "ISO-8859-8-I"}, {"iso-8859-9", "windows-1254"},
    {"iso-ir-100", "windows-1252"}, {"iso-ir-101", "ISO-8859-2"}, {"iso-ir-109", "ISO-8859-3"},
    {"iso-ir-110", "ISO-8859-4"}, {"iso-ir-126", "ISO-8859-7"}, {"iso-ir-127", "ISO-8859-6"},
    {"iso-ir-138", "ISO-8859-8"}, {"iso-ir-144", "ISO-8859-5"}, {"iso-ir-148", "windows-1254"},
    {"iso-ir-149", "EUC-KR"}, {"iso-ir-157", "ISO-8859-10"}, {"iso-ir-58", "GBK"},
    {"iso8859-1", "windows-1252"}, {"iso8859-10", "ISO-8859-10"}, {"iso8859-11", "windows-874"},
    {"iso8859-13", "ISO-8859-13"}, {"iso8859-14", "ISO-8859-14"}, {"iso8859-15", "ISO-8859-15"},
    {"iso8859-2", "ISO-8859-2"}, {"iso8859-3", "ISO-8859-3"}, {"iso8859-4", "ISO-8859-4"},
    {"iso8859-5", "ISO-8859-5"}, {"iso8859-6", "ISO-8859-6"}, {"iso8859-7", "ISO-8859-7"},
    {"iso8859-8", "ISO-8859-8"}, {"iso8859-9", "windows-1254"}, {"iso88591", "windows-1252"},
    {"iso885910", "ISO-8859-10"}, {"iso885911", "windows-874"}, {"iso885913", "ISO-8859-13"},
    {"iso885914", "ISO-8859-14"}, {"iso885915", "ISO-8859-15"}, {"iso88592", "ISO-8859-2"},
    {"iso88593", "ISO-8859-3"}, {"iso88594", "ISO-8859-4"}, {"iso88595", "ISO-8859-5"},
    {"iso88596", "ISO-8859-6"}, {"iso88597", "ISO-8859-7"}, {"iso88598", "ISO-8859-8"},
    {"iso88599", "windows-1254"}, {"iso_8859-1", "windows-1252"}, {"iso_8859-15", "ISO-8859-15"},
    {"iso_8859-1:1987", "windows-1252"}, {"iso_8859-2", "ISO-8859-2"},
    {"iso_8859-2:1987", "ISO-8859-2"}, {"iso_8859-3", "ISO-8859-3"},
    {"iso_8859-3:1988", "ISO-8859-3"}, {"iso_8859-4", "ISO-8859-4"},
    {"iso_8859-4:1988", "ISO-8859-4"}, {"iso_8859-5", "ISO-8859-5"},
    {"iso_8859-5:1988", "ISO-8859-5"}, {"iso_8859-6", "ISO-8859-6"},
    {"iso_8859-6:1987", "ISO-8859-6"}, {"iso_8859-7", "ISO-8859-7"},
    {"iso_8859-7:1987", "ISO-8859-7"}, {"iso_8859-8", "ISO-8859-8"},
    {"iso_8859-8:1988", "ISO-8859-8"}, {"iso_8859-9", "windows-1254"},
    {"iso_8859-9:1989", "windows-1254"}, {"koi", "KOI8-R"}, {"koi8", "KOI8-R"},
    {"koi8-r", "KOI8-R"}, {"koi8-ru", "KOI8-U"}, {"koi8-u", "KOI8-U"}, {"koi8_r", "KOI8-R"},
    {"korean", "EUC-KR"}, {"ks_c_5601-1987", "EUC-KR"}, {"ks_c_5601-1989", "EUC-KR"},
    {"ksc5601", "EUC-KR"}, {"ksc_5601", "EUC-KR"}, {"l1", "windows-1252"}, {"l2", "ISO-8859-2"},
    {"l3", "ISO-8859-3"}, {"l4", "ISO-8859-4"}, {"l5", "windows-1254"}, {"l6", "ISO-8859-10"},
    {"l9", "ISO-8859-15"}, {"latin1", "windows-1252"}, {"latin2", "ISO-8859-2"},
    {"latin3", "ISO-8859-3"}, {"latin4", "ISO-8859-4"}, {"latin5", "windows-1254"},
    {"latin6", "ISO-8859-10"}, {"logical", "ISO-8859-8-I"}, {"mac", "macintosh"},
    {"macintosh", "macintosh"}, {"ms932", "Shift_JIS"}, {"ms_kanji", "Shift_JIS"},
    {"replacement", "replacement"}, {"shift-jis", "Shift_JIS"}, {"shift_jis", "Shift_JIS"},
    {"sjis", "Shift_JIS"}, {"sun_eu_greek", "ISO-8859-7"}, {"tis-620", "windows-874"},
    {"ucs-2", "UTF-16LE"}, {"unicode", "UTF-16LE"}, {"unicode-1-1-utf-8", "UTF-8"},
    {"unicode11utf8", "UTF-8"}, {"unicode20utf8", "UTF-8"}, {"unicodefeff", "UTF-16LE"},
    {"unicodefffe", "UTF-16BE"}, {"us-ascii", "windows-1252"}, {"utf-16", "UTF-16LE"},
    {"utf-16be", "UTF-16BE"}, {"utf-16le", "UTF-16LE"}, {"utf-8", "UTF-8"}, {"utf8", "UTF-8"},
    {"visual", "ISO-8859-8"}, {"windows-1250", "windows-1250"}, {"windows-1251", "windows-1251"},
    {"windows-1252", "windows-1252"}, {"windows-1253", "windows-1253"},
    {"windows-1254", "windows-1254"}, {"windows-1255", "windows-1255"},
    {"windows-1256", "windows-1256"}, {"windows-1257", "windows-1257"},
    {"windows-1258", "windows-1258"}, {"windows-31j", "Shift_JIS"}, {"windows-874", "windows-874"},
    {"windows-949", "EUC-KR"}, {"x-cp1250", "windows-1250"}, {"x-cp1251", "windows-1251"},
    {"x-cp1252", "windows-1252"}, {"x-cp1253", "windows-1253"}, {"x-cp1254", "windows-1254"},
    {"x-cp1255", "windows-1255"}, {"x-cp1256", "windows-1256"}, {"x-cp1257", "windows-1257"},
    {"x-cp1258", "windows-1258"}, {"x-euc-jp", "EUC-JP"}, {"x-gbk", "GBK"},
    {"x-mac-cyrillic", "x-mac-cyrillic"}, {"x-mac-roman", "macintosh"},
    {"x-mac-ukrainian", "x-mac-cyrillic"}, {"x-sjis", "Shift_JIS"}, {"x-unicode20utf8", "UTF-8"},
    {"x-user-defined", "x-user-defined"}, {"x-x-big5", "Big5"},
};

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

bool is_ascii_whitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; }

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (ascii_lower(s[i]) != prefix[i]) return false;
  return true;
}

// ---- The WHATWG HTML prescan (§13.2.3.2), over bytes already cut to 1024. ----

// "get an attribute": name and value lowercased. nullopt when there is none (at '>' or the end).
// On return `at` is past the attribute, as the standard's position pointer.
struct Attribute {
  std::string name;
  std::string value;
};

std::optional<Attribute> get_attribute(std::string_view s, std::size_t& at) {
  while (at < s.size() && (is_ascii_whitespace(s[at]) || s[at] == '/')) ++at;
  if (at >= s.size() || s[at] == '>') return std::nullopt;
  Attribute a;
  bool has_value = false;
  for (;; ++at) {  // the name
    if (at >= s.size()) return std::nullopt;
    const char c = s[at];
    if (c == '=' && !a.name.empty()) {
      ++at;
      has_value = true;
      break;
    }
    if (is_ascii_whitespace(c)) break;
    if (c == '/' || c == '>') return a;
    a.name += ascii_lower(c);
  }
  if (!has_value) {  // spaces, then maybe '='
    while (at < s.size() && is_ascii_whitespace(s[at])) ++at;
    if (at >= s.size()) return std::nullopt;
    if (s[at] != '=') return a;
    ++at;
  }
  while (at < s.size() && is_ascii_whitespace(s[at])) ++at;
  if (at >= s.size()) return std::nullopt;
  if (const char quote = s[at]; quote == '"' || quote == '\'') {
    for (++at; at < s.size(); ++at) {
      if (s[at] == quote) {
        ++at;
        return a;
      }
      a.value += ascii_lower(s[at]);
    }
    return std::nullopt;
  }
  if (s[at] == '>') return a;
  for (; at < s.size(); ++at) {
    if (is_ascii_whitespace(s[at]) || s[at] == '>') return a;
    a.value += ascii_lower(s[at]);
  }
  return std::nullopt;
}

// WHATWG HTML "algorithm for extracting a character encoding from a meta element" (content="…").
std::optional<std::string_view> charset_from_content(std::string_view content) {
  std::size_t at = 0;
  while (true) {
    const std::size_t found = content.find("charset", at);  // content is lowercased
    if (found == std::string_view::npos) return std::nullopt;
    at = found + 7;
    while (at < content.size() && is_ascii_whitespace(content[at])) ++at;
    if (at >= content.size() || content[at] != '=') continue;
    ++at;
    while (at < content.size() && is_ascii_whitespace(content[at])) ++at;
    if (at >= content.size()) return std::nullopt;
    if (const char quote = content[at]; quote == '"' || quote == '\'') {
      const std::size_t end = content.find(quote, at + 1);
      if (end == std::string_view::npos) return std::nullopt;
      return encoding_for_label(content.substr(at + 1, end - at - 1));
    }
    std::size_t end = at;
    while (end < content.size() && !is_ascii_whitespace(content[end]) && content[end] != ';') ++end;
    return encoding_for_label(content.substr(at, end - at));
  }
}

// The attributes of a <meta> (at just after "<meta" and its following space or '/'): the
// encoding it declares, or nullopt.
std::optional<std::string_view> meta_encoding(std::string_view s, std::size_t& at) {
  std::array<bool, 3> seen{};  // only the first of each of the three attributes counts
  bool got_pragma = false;
  std::optional<bool> need_pragma;
  std::optional<std::optional<std::string_view>> charset;  // set, possibly to "failure"
  while (auto a = get_attribute(s, at)) {
    std::size_t slot;
    if (a->name == "http-equiv") slot = 0;
    else if (a->name == "content") slot = 1;
    else if (a->name == "charset") slot = 2;
    else continue;
    if (seen[slot]) continue;
    seen[slot] = true;
    if (slot == 0) {
      got_pragma = got_pragma || a->value == "content-type";
    } else if (slot == 1) {
      if (auto e = charset_from_content(a->value); e && !charset) {
        charset = e;
        need_pragma = true;
      }
    } else {
      charset = encoding_for_label(a->value);
      need_pragma = false;
    }
  }
  if (!need_pragma || (*need_pragma && !got_pragma) || !charset || !*charset) return std::nullopt;
  const std::string_view e = **charset;
  if (e == "UTF-16BE" || e == "UTF-16LE") return "UTF-8";
  if (e == "x-user-defined") return "windows-1252";
  return e;
}

// ---- Decoders. ----

// One step of the WHATWG UTF-8 decoder at s[i]: the length of the valid sequence there, or 0
// with `skip` set to the bytes that decode to one U+FFFD (the standard's "maximal subpart").
std::size_t utf8_sequence(std::string_view s, std::size_t i, std::size_t& skip) {
  const auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) return 1;
  std::size_t need = 0;
  unsigned char lower = 0x80, upper = 0xBF;
  if (b >= 0xC2 && b <= 0xDF) {
    need = 1;
  } else if (b >= 0xE0 && b <= 0xEF) {
    need = 2;
    if (b == 0xE0) lower = 0xA0;
    if (b == 0xED) upper = 0x9F;  // no surrogates
  } else if (b >= 0xF0 && b <= 0xF4) {
    need = 3;
    if (b == 0xF0) lower = 0x90;
    if (b == 0xF4) upper = 0x8F;  // nothing above U+10FFFF
  } else {
    skip = 1;
    return 0;
  }
  for (std::size_t k = 1; k <= need; ++k) {
    if (i + k >= s.size()) {
      skip = s.size() - i;
      return 0;
    }
    const auto c = static_cast<unsigned char>(s[i + k]);
    if (c < lower || c > upper) {
      skip = k;
      return 0;
    }
    lower = 0x80;
    upper = 0xBF;
  }
  return need + 1;
}

// Where the first malformed UTF-8 sequence starts, or s.size(). ASCII eight bytes at a time:
// most of a page is markup.
std::size_t first_utf8_error(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    if (i + 8 <= s.size()) {
      std::uint64_t word;
      std::memcpy(&word, s.data() + i, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    std::size_t skip = 0;
    const std::size_t n = utf8_sequence(s, i, skip);
    if (n == 0) return i;
    i += n;
  }
  return s.size();
}

std::string_view decode_utf8(std::string_view bytes, std::string& storage) {
  std::size_t i = first_utf8_error(bytes);
  if (i == bytes.size()) return bytes;
  storage.assign(bytes.substr(0, i));
  while (i < bytes.size()) {
    std::size_t skip = 0;
    if (const std::size_t n = utf8_sequence(bytes, i, skip)) {
      storage.append(bytes.substr(i, n));
      i += n;
    } else {
      storage.append(kReplacementCharacter);
      i += skip;
    }
  }
  return storage;
}

struct IconvCloser {
  void operator()(void* cd) const noexcept { iconv_close(static_cast<iconv_t>(cd)); }
};
using Iconv = std::unique_ptr<void, IconvCloser>;

Iconv open_iconv(const char* from) {
  const iconv_t cd = iconv_open("UTF-8", from);
  return Iconv(cd == reinterpret_cast<iconv_t>(-1) ? nullptr : cd);
}

// The name glibc's iconv knows for a WHATWG encoding whose decoder it implements (or is the
// closest to: WHATWG's Shift_JIS and EUC-KR are Microsoft's code pages 932 and 949, its Big5
// is Big5-HKSCS, its GBK decoder is the gb18030 decoder).
const char* iconv_name(std::string_view encoding) {
  static constexpr std::pair<std::string_view, const char*> kNames[] = {
      {"IBM866", "IBM866"}, {"ISO-8859-2", "ISO-8859-2"}, {"ISO-8859-3", "ISO-8859-3"},
      {"ISO-8859-4", "ISO-8859-4"}, {"ISO-8859-5", "ISO-8859-5"}, {"ISO-8859-6", "ISO-8859-6"},
      {"ISO-8859-7", "ISO-8859-7"}, {"ISO-8859-8", "ISO-8859-8"}, {"ISO-8859-8-I", "ISO-8859-8"},
      {"ISO-8859-10", "ISO-8859-10"}, {"ISO-8859-13", "ISO-8859-13"}, {"ISO-8859-14", "ISO-8859-14"},
      {"ISO-8859-15", "ISO-8859-15"}, {"ISO-8859-16", "ISO-8859-16"}, {"KOI8-R", "KOI8-R"},
      {"KOI8-U", "KOI8-U"}, {"macintosh", "MACINTOSH"}, {"windows-874", "WINDOWS-874"},
      {"windows-1250", "WINDOWS-1250"}, {"windows-1251", "WINDOWS-1251"},
      {"windows-1252", "WINDOWS-1252"}, {"windows-1253", "WINDOWS-1253"},
      {"windows-1254", "WINDOWS-1254"}, {"windows-1255", "WINDOWS-1255"},
      {"windows-1256", "WINDOWS-1256"}, {"windows-1257", "WINDOWS-1257"},
      {"windows-1258", "WINDOWS-1258"}, {"x-mac-cyrillic", "MAC-CYRILLIC"}, {"GBK", "GB18030"},
      {"gb18030", "GB18030"}, {"Big5", "BIG5-HKSCS"}, {"EUC-JP", "EUC-JP"},
      {"ISO-2022-JP", "ISO-2022-JP"}, {"Shift_JIS", "CP932"}, {"EUC-KR", "CP949"},
      {"UTF-16BE", "UTF-16BE"}, {"UTF-16LE", "UTF-16LE"},
  };
  for (const auto& [name, iconv] : kNames)
    if (name == encoding) return iconv;
  return nullptr;
}

// Through iconv, each sequence it cannot convert replaced by U+FFFD (one per byte: iconv does
// not tell a sequence's length). In windows-1252 the five bytes it leaves unmapped (0x81, 0x8D,
// 0x8F, 0x90, 0x9D) are, as WHATWG's index has them, the C1 controls of the same value.
std::string_view decode_iconv(std::string_view bytes, const Iconv& cd, bool windows_1252,
                              std::string& storage) {
  storage.assign(bytes.size() + bytes.size() / 2 + 16, '\0');
  char* in = const_cast<char*>(bytes.data());  // iconv's signature; it does not write there
  std::size_t in_left = bytes.size();
  std::size_t used = 0;
  const auto reserve = [&](std::size_t n) {
    if (storage.size() - used < n) storage.resize(std::max(storage.size() * 2, used + n));
  };
  while (true) {
    reserve(16);
    char* out = storage.data() + used;
    std::size_t out_left = storage.size() - used;
    const std::size_t r = in_left == 0 ? iconv(static_cast<iconv_t>(cd.get()), nullptr, nullptr, &out, &out_left)
                                       : iconv(static_cast<iconv_t>(cd.get()), &in, &in_left, &out, &out_left);
    const int error = errno;
    used = storage.size() - out_left;
    if (r != static_cast<std::size_t>(-1)) {
      if (in_left == 0) break;  // the flush above (a stateful encoding back to its initial state)
      continue;
    }
    if (error == E2BIG) {
      storage.resize(storage.size() * 2);
      continue;
    }
    // EILSEQ (an invalid sequence) or EINVAL (one cut short by the end of the input).
    reserve(3);
    std::string tail;
    const auto byte = static_cast<unsigned char>(*in);
    if (windows_1252 && error == EILSEQ)
      append_utf8(tail, byte);
    else
      tail = kReplacementCharacter;
    std::memcpy(storage.data() + used, tail.data(), tail.size());
    used += tail.size();
    if (error == EINVAL) {
      in += in_left;
      in_left = 0;
    } else {
      ++in;
      --in_left;
    }
  }
  storage.resize(used);
  return storage;
}

}  // namespace

std::optional<std::string_view> encoding_for_label(std::string_view label) {
  while (!label.empty() && is_ascii_whitespace(label.front())) label.remove_prefix(1);
  while (!label.empty() && is_ascii_whitespace(label.back())) label.remove_suffix(1);
  char buffer[32];
  if (label.size() > sizeof buffer) return std::nullopt;  // longer than every label
  for (std::size_t i = 0; i < label.size(); ++i) buffer[i] = ascii_lower(label[i]);
  const std::string_view lower(buffer, label.size());
  const auto* found = std::lower_bound(std::begin(kLabels), std::end(kLabels), lower,
                                       [](const auto& entry, std::string_view l) { return entry.first < l; });
  if (found == std::end(kLabels) || found->first != lower) return std::nullopt;
  return found->second;
}

std::optional<std::string_view> prescan_meta_charset(std::string_view bytes) {
  const std::string_view s = bytes.substr(0, 1024);
  for (std::size_t at = 0; at < s.size(); ++at) {
    if (s[at] != '<') continue;
    const std::string_view rest = s.substr(at);
    if (rest.starts_with("<!--")) {
      // The first '>' that ends a "-->"; "<!-->" ends at once.
      const std::size_t end = s.find("-->", at + 2);
      if (end == std::string_view::npos) return std::nullopt;
      at = end + 2;
    } else if (starts_with_ci(rest, "<meta") && rest.size() > 5 &&
               (is_ascii_whitespace(rest[5]) || rest[5] == '/')) {
      at += 6;
      if (auto e = meta_encoding(s, at)) return e;
      if (at >= s.size()) return std::nullopt;
      // "next byte": the loop's ++at steps past the byte the attributes ended on.
    } else if ((rest.size() > 1 && ascii_is_alpha(rest[1])) ||
               (rest.size() > 2 && rest[1] == '/' && ascii_is_alpha(rest[2]))) {
      // Another tag: skip its name and attributes, which may hold a '>' in quotes.
      while (at < s.size() && !is_ascii_whitespace(s[at]) && s[at] != '>') ++at;
      while (get_attribute(s, at)) {
      }
    } else if (rest.starts_with("<!") || rest.starts_with("</") || rest.starts_with("<?")) {
      const std::size_t end = s.find('>', at + 2);
      if (end == std::string_view::npos) return std::nullopt;
      at = end;
    }
  }
  return std::nullopt;
}

SniffedEncoding sniff_html_encoding(std::string_view bytes, std::string_view http_charset) {
  if (bytes.starts_with("\xEF\xBB\xBF")) return {"UTF-8", EncodingSource::bom, 3};
  if (bytes.starts_with("\xFE\xFF")) return {"UTF-16BE", EncodingSource::bom, 2};
  if (bytes.starts_with("\xFF\xFE")) return {"UTF-16LE", EncodingSource::bom, 2};
  if (auto e = encoding_for_label(http_charset)) return {*e, EncodingSource::http};
  if (auto e = prescan_meta_charset(bytes)) return {*e, EncodingSource::meta};
  const bool ascii = std::all_of(bytes.begin(), bytes.end(), [](char c) { return (c & 0x80) == 0; });
  if (!ascii && first_utf8_error(bytes) == bytes.size()) return {"UTF-8", EncodingSource::detected};
  return {"windows-1252", EncodingSource::default_1252};
}

std::string_view decode_to_utf8(std::string_view bytes, std::string_view encoding, std::string& storage) {
  if (encoding == "UTF-8") return decode_utf8(bytes, storage);
  if (encoding == "replacement") {  // WHATWG: the whole stream is one U+FFFD
    storage.assign(bytes.empty() ? "" : kReplacementCharacter);
    return storage;
  }
  if (encoding == "x-user-defined") {  // WHATWG: 0x80..0xFF are U+F780..U+F7FF
    storage.clear();
    for (const char c : bytes) append_utf8(storage, (c & 0x80) == 0 ? c : 0xF780 + (c & 0x7F));
    return storage;
  }
  const char* name = iconv_name(encoding);
  Iconv cd = name != nullptr ? open_iconv(name) : nullptr;
  bool windows_1252 = encoding == "windows-1252";
  if (!cd) {
    cd = open_iconv("WINDOWS-1252");
    windows_1252 = true;
    if (!cd) return decode_utf8(bytes, storage);
  }
  // An ASCII-compatible single-byte page that is all ASCII needs no conversion.
  if (encoding != "UTF-16BE" && encoding != "UTF-16LE" && encoding != "ISO-2022-JP" &&
      std::all_of(bytes.begin(), bytes.end(), [](char c) { return (c & 0x80) == 0; }))
    return bytes;
  return decode_iconv(bytes, cd, windows_1252, storage);
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace crawl
