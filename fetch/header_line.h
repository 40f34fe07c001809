// Reading a response's header section line by line, as curl's header
// callback hands it over (fetch/easy_factory.cpp): which line is a status
// line, how a field line splits into name and value, and the bounds on one
// response's header section. Pure functions of their input, thread-safe,
// no curl: the unit tests and the fuzz target fuzz_headers call them directly.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crawl {

// Bounds on a response's header section (each response of a redirect
// chain): past them the transfer ends as a protocol error, not a connection
// failure. curl itself refuses a single header line over 100 KiB.
inline constexpr std::size_t kMaxHeaderBytes = 256 * 1024;
inline constexpr std::size_t kMaxHeaderFields = 1000;

// One line of a header section, as read by parse_header_line().
struct HeaderLine {
  enum class Kind {
    status,  // starts with "HTTP/": a new response begins (a redirect hop, a 1xx, the final one)
    field,   // "name: value"
    other,   // the blank line that ends the section, or a line with no ':' (ignored)
  };
  Kind kind = Kind::other;
  // Kind::status: the three characters after the first space, read as
  // std::atol reads them ("HTTP/1.1 404 Not Found" -> 404); 0 if there is
  // no space. Not validated: the caller keeps curl's own status for the result.
  long status = 0;
  // Kind::field: the text before the first ':', as sent (not trimmed), and
  // the text after it without leading SP/HTAB. Both view `line`.
  std::string_view name;
  std::string_view value;
};

// Reads one header line, with or without its line ending (trailing CR and
// LF are dropped). Never fails: any bytes give some HeaderLine. The views in
// the result point into `line`.
HeaderLine parse_header_line(std::string_view line);

// Whether a response's header section is past the bounds, checked as each
// line arrives: `section_bytes` counts the raw bytes of this response's lines
// so far, the arriving one included (reset at its status line); `fields` is
// the number of fields kept before the arriving line.
bool header_section_over_limits(std::size_t section_bytes, std::size_t fields);

// `v` without the SP and HTAB at its ends (a field value's OWS, RFC 9110 5.6.3).
std::string_view trim_blanks(std::string_view v);

// Whether a response's Content-Length cannot frame its body (RFC 9112 6.3
// rule 5), from its fields (name, value as parse_header_line() gives them)
// once the header section has ended: why not, or nullopt when it can or
// none frames the body (no Content-Length; a Transfer-Encoding, which
// overrides it; a 1xx, 204 or 304, which have no body). Content-Length is
// 1*DIGIT; several fields, or a list in one, must all carry the same value
// (RFC 9110 8.6: "42, 42" is 42). curl takes the last of differing values
// and reads "5x" as 5; a browser refuses both, and so does the crawler:
// the response is a protocol error of its URL, not a page cut at a guess.
std::optional<std::string> content_length_problem(long status,
                                                  const std::vector<std::pair<std::string, std::string>>& fields);

// Whether a redirect (3xx) names more than one target: Location fields with
// differing values (compared without surrounding blanks). Browsers refuse
// such a response (Chrome: ERR_RESPONSE_HEADERS_MULTIPLE_LOCATION) rather
// than pick one; so does the crawler. nullopt for any other response or a
// repeated identical value.
std::optional<std::string> location_problem(long status,
                                            const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace crawl
