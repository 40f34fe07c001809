// Encodings as browsers choose them (web/charset.h): WHATWG Encoding labels checked against the
// standard's own encodings.json (tests/data/whatwg/, licence beside it), the WHATWG HTML
// "prescan a byte stream to determine its encoding", the sniffing order, and the decoders'
// replacement of malformed bytes.
#include "web/charset.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace crawl {
namespace {

// WHATWG Encoding §4.2 "Names and labels": every label of encodings.json gets its encoding.
TEST(EncodingForLabel, EveryWhatwgLabelGivesItsEncoding) {
  const std::string path = std::string(CRAWL_SOURCE_DIR) + "/tests/data/whatwg/encodings.json";
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  const boost::json::value doc = boost::json::parse(text.str());
  std::size_t labels = 0;
  for (const auto& group : doc.as_array())
    for (const auto& encoding : group.at("encodings").as_array()) {
      const std::string name(encoding.at("name").as_string());
      for (const auto& label : encoding.at("labels").as_array()) {
        SCOPED_TRACE(std::string(label.as_string()));
        EXPECT_EQ(encoding_for_label(std::string(label.as_string())), name);
        ++labels;
      }
    }
  EXPECT_EQ(labels, 228u);  // the 2026 table; a new copy of the file may change it
}

// "get an encoding": ASCII whitespace trimmed, ASCII case-insensitive; the labels browsers
// read differently from their names.
TEST(EncodingForLabel, WhatwgGetAnEncoding) {
  EXPECT_EQ(encoding_for_label("latin1"), "windows-1252");
  EXPECT_EQ(encoding_for_label("ISO-8859-1"), "windows-1252");
  EXPECT_EQ(encoding_for_label("ascii"), "windows-1252");
  EXPECT_EQ(encoding_for_label("us-ascii"), "windows-1252");
  EXPECT_EQ(encoding_for_label("utf8"), "UTF-8");
  EXPECT_EQ(encoding_for_label(" \tUtF-8\n"), "UTF-8");
  EXPECT_EQ(encoding_for_label("shift_jis"), "Shift_JIS");
  EXPECT_EQ(encoding_for_label("iso-2022-kr"), "replacement");
  EXPECT_EQ(encoding_for_label("utf-16"), "UTF-16LE");
  EXPECT_EQ(encoding_for_label(""), std::nullopt);
  EXPECT_EQ(encoding_for_label("utf-7"), std::nullopt);
  EXPECT_EQ(encoding_for_label("utf 8"), std::nullopt);
  EXPECT_EQ(encoding_for_label(std::string(100, 'a')), std::nullopt);
}

// WHATWG HTML §13.2.3.2 "prescan a byte stream to determine its encoding".
TEST(PrescanMetaCharset, WhatwgPrescan) {
  const std::string pad(1100, ' ');
  const struct {
    std::string html;
    std::optional<std::string_view> expected;
  } cases[] = {
      {"<meta charset=utf-8>", "UTF-8"},
      {"<META CHARSET='Latin1'>", "windows-1252"},
      {"<meta charset=\"koi8-r\"/>", "KOI8-R"},
      {"<meta http-equiv=Content-Type content='text/html; charset=shift_jis'>", "Shift_JIS"},
      {"<meta content=\"text/html;charset = 'euc-kr'\" http-equiv=\"content-type\">", "EUC-KR"},
      // content= counts only with http-equiv=content-type (need pragma).
      {"<meta content='text/html; charset=koi8-r'>", std::nullopt},
      {"<meta http-equiv=refresh content='text/html; charset=koi8-r'>", std::nullopt},
      // charset= wins over content=; an unknown charset= is a failure, not a fallback.
      {"<meta http-equiv=content-type content='charset=koi8-r' charset=iso-8859-2>", "ISO-8859-2"},
      {"<meta charset=bogus http-equiv=content-type content='charset=koi8-r'>", std::nullopt},
      {"<meta charset=bogus><meta charset=koi8-u>", "KOI8-U"},
      // Only the first of a repeated attribute counts.
      {"<meta charset=koi8-r charset=utf-8>", "KOI8-R"},
      // UTF-16 in a <meta> cannot be (the bytes were read as ASCII): UTF-8; x-user-defined: 1252.
      {"<meta charset=utf-16le>", "UTF-8"},
      {"<meta charset=x-user-defined>", "windows-1252"},
      // Comments, other tags' attributes, and <! <? </ constructs are skipped.
      {"<!-- <meta charset=koi8-r> --><meta charset=koi8-u>", "KOI8-U"},
      {"<!--><meta charset=koi8-u>", "KOI8-U"},
      {"<div title='<meta charset=koi8-r>'><meta charset=koi8-u>", "KOI8-U"},
      {"<!doctype html><?xml x?></p><meta charset=koi8-u>", "KOI8-U"},
      {"<metal charset=koi8-r><meta/charset=koi8-u>", "KOI8-U"},
      {"<meta>", std::nullopt},
      {"<meta charset=", std::nullopt},
      {"<!-- never closed <meta charset=koi8-r>", std::nullopt},
      // Only the first 1024 bytes.
      {"<p>" + pad + "<meta charset=koi8-r>", std::nullopt},
      {"", std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.html.substr(0, 80));
    EXPECT_EQ(prescan_meta_charset(c.html), c.expected);
  }
}

// WHATWG HTML "encoding sniffing algorithm": BOM > transport charset > prescan > autodetect >
// windows-1252.
TEST(SniffHtmlEncoding, BrowsersOrder) {
  const std::string meta = "<meta charset=koi8-r><a href=/x>";
  {
    const auto s = sniff_html_encoding("\xEF\xBB\xBF" + meta, "iso-8859-2");
    EXPECT_EQ(s.name, "UTF-8");
    EXPECT_EQ(s.source, EncodingSource::bom);
    EXPECT_EQ(s.bom_size, 3u);
  }
  EXPECT_EQ(sniff_html_encoding("\xFF\xFE<\0", "utf-8").name, "UTF-16LE");
  EXPECT_EQ(sniff_html_encoding("\xFE\xFF\0<", "utf-8").name, "UTF-16BE");
  {
    const auto s = sniff_html_encoding(meta, "latin1");
    EXPECT_EQ(s.name, "windows-1252");
    EXPECT_EQ(s.source, EncodingSource::http);
  }
  {  // an unknown HTTP label is ignored
    const auto s = sniff_html_encoding(meta, "no-such-charset");
    EXPECT_EQ(s.name, "KOI8-R");
    EXPECT_EQ(s.source, EncodingSource::meta);
  }
  {
    const auto s = sniff_html_encoding("<a href=/caf\xC3\xA9>", "");
    EXPECT_EQ(s.name, "UTF-8");
    EXPECT_EQ(s.source, EncodingSource::detected);
  }
  for (const std::string_view body : {"<a href=/caf\xE9>", "<a href=/plain>", ""}) {
    const auto s = sniff_html_encoding(body, "");
    EXPECT_EQ(s.name, "windows-1252");
    EXPECT_EQ(s.source, EncodingSource::default_1252);
  }
}

std::string decoded(std::string_view bytes, std::string_view encoding) {
  std::string storage;
  return std::string(decode_to_utf8(bytes, encoding, storage));
}

// WHATWG Encoding §8.1.1 "UTF-8 decoder": each maximal subpart of a malformed sequence is one
// U+FFFD; valid input is returned as is, without a copy.
TEST(DecodeToUtf8, WhatwgUtf8DecoderReplacesMaximalSubparts) {
  const std::string valid = "caf\xC3\xA9 \xF0\x9F\x98\x80 plain ascii text";
  std::string storage;
  const std::string_view view = decode_to_utf8(valid, "UTF-8", storage);
  EXPECT_EQ(view.data(), valid.data());
  EXPECT_EQ(decoded("a\xE9z", "UTF-8"), "a\xEF\xBF\xBDz");
  EXPECT_EQ(decoded("a\xE2\x82z", "UTF-8"), "a\xEF\xBF\xBDz");          // cut short: one
  EXPECT_EQ(decoded("a\xC0\xAFz", "UTF-8"), "a\xEF\xBF\xBD\xEF\xBF\xBDz");  // overlong: two
  EXPECT_EQ(decoded("\xED\xA0\x80", "UTF-8"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(decoded("\xF4\x90\x80\x80", "UTF-8"),
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // above U+10FFFF
  EXPECT_EQ(decoded("end\xF0\x9F\x98", "UTF-8"), "end\xEF\xBF\xBD");
}

TEST(DecodeToUtf8, LegacyEncodingsThroughIconv) {
  EXPECT_EQ(decoded("caf\xE9 \x80", "windows-1252"), "caf\xC3\xA9 \xE2\x82\xAC");  // é €
  // The five bytes windows-1252 leaves unmapped are C1 controls in WHATWG's index.
  EXPECT_EQ(decoded("\x81\x9D", "windows-1252"), "\xC2\x81\xC2\x9D");
  EXPECT_EQ(decoded("\xC1\xC2\xD0", "KOI8-R"), "\xD0\xB0\xD0\xB1\xD0\xBF");  // абп
  EXPECT_EQ(decoded("\x82\xA0", "Shift_JIS"), "\xE3\x81\x82");  // あ
  EXPECT_EQ(decoded("\x82", "Shift_JIS"), "\xEF\xBF\xBD");  // cut short
  EXPECT_EQ(decoded(std::string("a\0\xE9\0", 4), "UTF-16LE"), "a\xC3\xA9");  // aé
  EXPECT_EQ(decoded("\x1B$B$\"\x1B(B!", "ISO-2022-JP"), "\xE3\x81\x82!");
  EXPECT_EQ(decoded("\xFF", "x-user-defined"), "\xEF\x9F\xBF");  // U+F7FF
  EXPECT_EQ(decoded("anything", "replacement"), "\xEF\xBF\xBD");
  EXPECT_EQ(decoded("", "replacement"), "");
  const std::string ascii = "<a href=/x>";
  std::string storage;
  EXPECT_EQ(decode_to_utf8(ascii, "windows-1251", storage).data(), ascii.data());
  // A big page with unmapped bytes all through it: the output grows as needed.
  std::string big;
  for (int i = 0; i < 100000; ++i) big += "\xE9\x81";
  const std::string out = decoded(big, "windows-1252");
  EXPECT_EQ(out.size(), 100000u * 4);
  EXPECT_EQ(out.substr(0, 4), "\xC3\xA9\xC2\x81");
}

}  // namespace
}  // namespace crawl
