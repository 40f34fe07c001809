// Character encodings of HTML pages as browsers choose them, and decoding to UTF-8, so that a
// page's hrefs are read with the bytes its author meant: the WHATWG Encoding standard (labels,
// decoders' error handling) and the WHATWG HTML "encoding sniffing algorithm" (BOM, then the
// Content-Type charset, then a <meta> prescan of the first 1024 bytes, then a default).
//
// Pure functions of their input, thread-safe (each decode opens its own iconv descriptor).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace crawl {

// WHATWG Encoding "get an encoding": the name of the encoding a label stands for, as the
// standard spells it ("UTF-8", "windows-1252", "Shift_JIS", …), or nullopt for a label the
// standard does not know. ASCII case-insensitive; leading and trailing ASCII whitespace is
// ignored. As in browsers, "latin1", "iso-8859-1" and "ascii" all mean windows-1252, "utf8"
// means UTF-8, and "iso-2022-kr" means "replacement" (decodes to one U+FFFD).
std::optional<std::string_view> encoding_for_label(std::string_view label);

// WHATWG HTML "prescan a byte stream to determine its encoding" over the first 1024 bytes of
// `bytes`: the encoding of the first <meta charset="…"> or <meta http-equiv="content-type"
// content="…; charset=…"> outside comments, with the standard's corrections (a UTF-16 label
// means UTF-8, x-user-defined means windows-1252); nullopt if there is none, or its label is
// unknown.
std::optional<std::string_view> prescan_meta_charset(std::string_view bytes);

// Where sniff_html_encoding() found the encoding.
enum class EncodingSource {
  bom,           // a byte order mark (UTF-8, UTF-16BE, UTF-16LE)
  http,          // the Content-Type charset parameter
  meta,          // the <meta> prescan
  detected,      // no declaration; the whole body is valid UTF-8 with non-ASCII bytes
  default_1252,  // no declaration; windows-1252
};

struct SniffedEncoding {
  std::string_view name;  // as encoding_for_label() returns it; static storage
  EncodingSource source;
  std::size_t bom_size = 0;  // bytes of BOM to skip before decoding (0 unless source is bom)
};

// The WHATWG HTML encoding sniffing algorithm for a page's bytes and the charset parameter of
// its Content-Type (a label, "" when there is none), in browsers' order: a BOM; else the HTTP
// charset, if it is a known label; else the <meta> prescan; else autodetection, which the
// standard leaves to the user agent: a body that is entirely valid UTF-8 and not entirely
// ASCII is UTF-8 (as Chromium finds it; a windows-1252 text is practically never valid UTF-8);
// else the default for an unknown locale, windows-1252.
SniffedEncoding sniff_html_encoding(std::string_view bytes, std::string_view http_charset);

// `bytes` (BOM already removed) decoded from `encoding` (a name encoding_for_label() returns)
// into UTF-8, with the WHATWG decoders' error mode "replacement": each malformed or unmapped
// sequence becomes U+FFFD, so the result is always valid UTF-8. U+0000 is kept. Returns a view
// of `bytes` itself when it is already valid UTF-8 in UTF-8 (no copy), else a view of
// `storage`, which it overwrites. An encoding the system's iconv does not provide is read as
// windows-1252 if iconv has that, else as UTF-8.
std::string_view decode_to_utf8(std::string_view bytes, std::string_view encoding, std::string& storage);

// Appends the code point `cp` (at most U+10FFFF) to `out` as UTF-8; a surrogate, which UTF-8
// cannot hold, as U+FFFD.
void append_utf8(std::string& out, std::uint32_t cp);

}  // namespace crawl
