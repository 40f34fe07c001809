// The header-line reader of curl's header callback (fetch/header_line.h):
// status lines and field lines of RFC 9112 §4 and §5, the section bounds, and
// whether Content-Length frames the body (RFC 9112 §6.3).
#include "fetch/header_line.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crawl {
namespace {

using Kind = HeaderLine::Kind;

TEST(HeaderLineRfc9112Sec4, StatusLineGivesItsStatusCode) {
  struct Case {
    std::string_view line;
    long status;
  };
  for (const Case& c : {Case{"HTTP/1.1 200 OK\r\n", 200}, Case{"HTTP/2 301\r\n", 301},
                        Case{"HTTP/1.0 404 Not Found", 404}, Case{"HTTP/1.1 100 Continue\r\n", 100},
                        Case{"HTTP/1.1\r\n", 0},      // no space: no code
                        Case{"HTTP/1.1 \r\n", 0},     // nothing after it
                        Case{"HTTP/1.1 20\r\n", 20},  // as atol reads it: not validated
                        Case{"HTTP/1.1 2x0\r\n", 2}, Case{"HTTP/1.1 -12\r\n", -12},
                        Case{"HTTP/1.1 +5 x\r\n", 5}, Case{"HTTP/1.1 9999\r\n", 999}}) {
    SCOPED_TRACE(std::string(c.line));
    const HeaderLine parsed = parse_header_line(c.line);
    EXPECT_EQ(parsed.kind, Kind::status);
    EXPECT_EQ(parsed.status, c.status);
  }
}

TEST(HeaderLineRfc9112Sec4, OnlyHttpSlashStartsAStatusLine) {
  EXPECT_EQ(parse_header_line("http/1.1 200 OK\r\n").kind, Kind::other);
  EXPECT_EQ(parse_header_line("HTTP:1\r\n").kind, Kind::field);  // a field named "HTTP"
}

TEST(HeaderLineRfc9112Sec5, FieldSplitsAtTheFirstColon) {
  const HeaderLine parsed = parse_header_line("Location: http://a.example/x:y\r\n");
  EXPECT_EQ(parsed.kind, Kind::field);
  EXPECT_EQ(parsed.name, "Location");
  EXPECT_EQ(parsed.value, "http://a.example/x:y");
}

TEST(HeaderLineRfc9112Sec5, LeadingBlanksOfTheValueDropTrailingOnesKept) {
  const HeaderLine parsed = parse_header_line("ETag: \t \"x\" \r\n");
  EXPECT_EQ(parsed.name, "ETag");
  EXPECT_EQ(parsed.value, "\"x\" ");
  EXPECT_EQ(parse_header_line("X-Empty:\r\n").value, "");
  EXPECT_EQ(parse_header_line("X-Empty:   \n").value, "");
}

TEST(HeaderLineRfc9112Sec5, NameIsKeptAsSent) {
  // RFC 9112 §5.1 forbids white space before the colon; it is kept, not
  // repaired, so that such a field never passes for the standard one.
  EXPECT_EQ(parse_header_line("Content-Type : text/html\r\n").name, "Content-Type ");
  EXPECT_EQ(parse_header_line(": v\r\n").name, "");
}

TEST(HeaderLineRfc9112Sec5, TheEndLineAndLinesWithoutAColonAreOther) {
  EXPECT_EQ(parse_header_line("\r\n").kind, Kind::other);
  EXPECT_EQ(parse_header_line("\n").kind, Kind::other);
  EXPECT_EQ(parse_header_line("").kind, Kind::other);
  EXPECT_EQ(parse_header_line("garbage\r\n").kind, Kind::other);
}

TEST(HeaderLineRfc9112Sec5, AnyBytesAreRead) {
  const std::string line("X\0Y: a\0b\r\r\n\n", 12);
  const HeaderLine parsed = parse_header_line(line);
  EXPECT_EQ(parsed.kind, Kind::field);
  EXPECT_EQ(parsed.name, std::string_view("X\0Y", 3));
  EXPECT_EQ(parsed.value, std::string_view("a\0b", 3));
}

TEST(HeaderSectionLimits, BytesAndFieldsBounded) {
  EXPECT_FALSE(header_section_over_limits(kMaxHeaderBytes, kMaxHeaderFields - 1));
  EXPECT_TRUE(header_section_over_limits(kMaxHeaderBytes + 1, 0));
  EXPECT_TRUE(header_section_over_limits(10, kMaxHeaderFields));
}

using Fields = std::vector<std::pair<std::string, std::string>>;

TEST(ContentLengthRfc9112Sec6, OneValidValueOrNoneFrames) {
  EXPECT_EQ(content_length_problem(200, {}), std::nullopt);
  EXPECT_EQ(content_length_problem(200, Fields{{"Content-Type", "text/html"}, {"Content-Length", "1234"}}), std::nullopt);
  EXPECT_EQ(content_length_problem(200, Fields{{"content-length", "0"}}), std::nullopt);
  EXPECT_EQ(content_length_problem(200, Fields{{"Content-Length", "0042 "}}), std::nullopt);  // trailing blank: OWS
  EXPECT_EQ(content_length_problem(200, Fields{{"Content-Length", "9223372036854775807"}}), std::nullopt);
}

TEST(ContentLengthRfc9110Sec8_6, IdenticalValuesAreOneValue) {
  EXPECT_EQ(content_length_problem(200, Fields{{"Content-Length", "42, 42"}}), std::nullopt);
  EXPECT_EQ(content_length_problem(200, Fields{{"Content-Length", "42"}, {"CONTENT-LENGTH", "42"}}), std::nullopt);
  EXPECT_EQ(content_length_problem(200, Fields{{"Content-Length", "42,,42,"}}), std::nullopt);  // empty elements ignored
  EXPECT_EQ(content_length_problem(200, Fields{{"Content-Length", "42"}, {"Content-Length", "042"}}), std::nullopt);
}

TEST(ContentLengthRfc9112Sec6, DifferingValuesAreAProblem) {
  EXPECT_EQ(content_length_problem(200, Fields{{"Content-Length", "5"}, {"Content-Length", "30"}}),
            "conflicting Content-Length values \"5, 30\"");
  EXPECT_EQ(content_length_problem(302, Fields{{"Content-Length", "5, 30"}}),
            "conflicting Content-Length values \"5, 30\"");
}

TEST(ContentLengthRfc9112Sec6, AValueThatIsNotDigitsIsAProblem) {
  for (const char* bad : {"5x", "-5", "+5", "abc", "", " ", ",", "5 5", "0x10", "1e3", "99999999999999999999"})
    EXPECT_NE(content_length_problem(200, Fields{{"Content-Length", bad}}), std::nullopt) << '"' << bad << '"';
  EXPECT_EQ(content_length_problem(200, Fields{{"Content-Length", "5x"}}), "invalid Content-Length \"5x\"");
  // Shown cut and with its control bytes replaced.
  EXPECT_EQ(content_length_problem(200, Fields{{"Content-Length", std::string(50, '7') + "\x01"}}),
            "invalid Content-Length \"" + std::string(40, '7') + "...\"");
}

TEST(ContentLengthRfc9112Sec6, TransferEncodingOrNoBodyMeansContentLengthFramesNothing) {
  // Transfer-Encoding overrides it (rule 3), wherever it comes.
  EXPECT_EQ(content_length_problem(200, Fields{{"Content-Length", "5"}, {"Content-Length", "30"}, {"Transfer-Encoding", "chunked"}}),
            std::nullopt);
  EXPECT_EQ(content_length_problem(200, Fields{{"transfer-encoding", "chunked"}, {"Content-Length", "x"}}), std::nullopt);
  // 1xx, 204 and 304 have no body (rule 1).
  for (const long status : {100L, 103L, 204L, 304L})
    EXPECT_EQ(content_length_problem(status, Fields{{"Content-Length", "5, 30"}}), std::nullopt) << status;
}

TEST(LocationRfc9110Sec10_2_2, ARedirectToTwoPlacesIsAProblem) {
  EXPECT_EQ(location_problem(302, Fields{{"Location", "/a"}, {"location", "/b"}}),
            "conflicting Location values \"/a\" and \"/b\"");
  EXPECT_NE(location_problem(301, Fields{{"Location", "/a"}, {"Content-Type", "text/html"}, {"LOCATION", "http://x/a"}}),
            std::nullopt);
}

TEST(LocationRfc9110Sec10_2_2, OneTargetOrNoRedirectIsNot) {
  EXPECT_EQ(location_problem(302, Fields{{"Location", "/a"}}), std::nullopt);
  EXPECT_EQ(location_problem(302, Fields{{"Location", "/a"}, {"Location", " /a "}}), std::nullopt);  // the same, blanks aside
  EXPECT_EQ(location_problem(302, {}), std::nullopt);  // a redirect without a target: a response like any other
  EXPECT_EQ(location_problem(201, Fields{{"Location", "/a"}, {"Location", "/b"}}), std::nullopt);  // not a redirect
  EXPECT_EQ(location_problem(200, Fields{{"Location", "/a"}, {"Location", "/b"}}), std::nullopt);
}

}  // namespace
}  // namespace crawl
