// printable(): what a terminal would act on is shown as \xNN; UTF-8 text is kept.
#include "core/printable.h"

#include <gtest/gtest.h>

#include <string>

namespace crawl {
namespace {

TEST(Printable, C0ControlsAndDelAreEscaped) {
  EXPECT_EQ(printable("a\x1b[2Jb\x07\x7F"), "a\\x1B[2Jb\\x07\\x7F");
  EXPECT_EQ(printable(std::string("\0x", 2)), "\\x00x");
}

TEST(Printable, C1ControlsInUtf8AreEscaped) {
  EXPECT_EQ(printable("\xC2\x9B" "31m"), "\\xC2\\x9B31m");  // U+009B, CSI
  EXPECT_EQ(printable("\xC2\x80\xC2\x9F"), "\\xC2\\x80\\xC2\\x9F");
  EXPECT_EQ(printable("\xC2\xA0\xC2\xA9"), "\xC2\xA0\xC2\xA9");  // U+00A0, U+00A9: text
}

TEST(Printable, Utf8IsKeptAndInvalidBytesAreEscaped) {
  EXPECT_EQ(printable("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(printable("\xFF\xC3"), "\\xFF\\xC3");
}

TEST(Printable, LongTextIsCutWithAnEllipsis) {
  const std::string shown = printable(std::string(1000, 'a'), 10);
  EXPECT_EQ(shown, std::string(10, 'a') + "…");
}

}  // namespace
}  // namespace crawl
