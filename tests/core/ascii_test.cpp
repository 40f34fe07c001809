// core/ascii.h: ASCII case mapping, whatever the locale, bytes >= 0x80 untouched.
#include "core/ascii.h"

#include <gtest/gtest.h>

#include <clocale>

namespace crawl {
namespace {

TEST(Ascii, OnlyAsciiLettersChangeCase) {
  static_assert(ascii_lower('A') == 'a' && ascii_lower('Z') == 'z' && ascii_lower('a') == 'a');
  static_assert(ascii_lower('@') == '@' && ascii_lower('[') == '[' && ascii_lower('0') == '0');
  for (int c = -128; c < 128; ++c) {
    const char ch = static_cast<char>(c);
    const bool upper = ch >= 'A' && ch <= 'Z';
    EXPECT_EQ(ascii_lower(ch), upper ? static_cast<char>(ch + 32) : ch) << c;
  }
  // "İ" and "Ä" in UTF-8, a Turkish locale's rules would not apply either.
  std::setlocale(LC_ALL, "tr_TR.UTF-8");
  EXPECT_EQ(ascii_lowercase("HTTP://İÄ.Example/I"), "http://İÄ.example/i");
  std::setlocale(LC_ALL, "C");
  EXPECT_EQ(ascii_lowercase(""), "");
}

TEST(Ascii, LettersAreAToZInEitherCase) {
  for (int c = -128; c < 128; ++c) {
    const char ch = static_cast<char>(c);
    EXPECT_EQ(ascii_is_alpha(ch), (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) << c;
  }
  static_assert(!ascii_is_alpha('@') && !ascii_is_alpha('[') && !ascii_is_alpha('`') && !ascii_is_alpha('{'));
}

TEST(Ascii, IEqualsComparesLengthAndLettersOnly) {
  static_assert(ascii_iequals("Content-Length", "content-LENGTH"));
  EXPECT_TRUE(ascii_iequals("", ""));
  EXPECT_FALSE(ascii_iequals("Location", "Locations"));
  EXPECT_FALSE(ascii_iequals("a[", "A{")) << "'[' and '{' are not a case pair";
  EXPECT_FALSE(ascii_iequals("\xC3\x84", "\xC3\xA4")) << "Ä and ä: not ASCII";
}

}  // namespace
}  // namespace crawl
