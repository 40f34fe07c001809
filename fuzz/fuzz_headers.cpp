// Fuzzes fetch/header_line.h the way curl's header callback (Transfer::
// on_header, fetch/easy_factory.cpp) drives it: the input is cut into lines
// after each '\n', as curl delivers them, and read until the section bounds
// are passed. Invariants: a field's name holds no ':', its value neither starts
// with a blank nor ends in CR/LF; a status is what three characters can
// give; no response keeps more than kMaxHeaderFields fields, nor takes more
// than kMaxHeaderBytes; at each section's end the Content-Length and
// Location checks answer with one of their messages or none.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fetch/header_line.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input = crawl::fuzz::as_text(data, size);
  std::vector<std::pair<std::string, std::string>> headers;
  std::size_t section_bytes = 0;
  while (!input.empty()) {
    const std::size_t eol = input.find('\n');
    const std::string_view raw = input.substr(0, eol == std::string_view::npos ? input.size() : eol + 1);
    input.remove_prefix(raw.size());

    const crawl::HeaderLine line = crawl::parse_header_line(raw);
    if (line.kind == crawl::HeaderLine::Kind::status) section_bytes = 0;
    section_bytes += raw.size();
    if (crawl::header_section_over_limits(section_bytes, headers.size())) return 0;  // the transfer ends
    FUZZ_CHECK(section_bytes <= crawl::kMaxHeaderBytes);
    FUZZ_CHECK(headers.size() < crawl::kMaxHeaderFields);

    switch (line.kind) {
      case crawl::HeaderLine::Kind::status:
        FUZZ_CHECK(raw.starts_with("HTTP/"));
        FUZZ_CHECK(line.status >= -99 && line.status <= 999);
        headers.clear();
        break;
      case crawl::HeaderLine::Kind::field:
        FUZZ_CHECK(line.name.find(':') == std::string_view::npos);
        FUZZ_CHECK(line.value.empty() || (line.value.front() != ' ' && line.value.front() != '\t'));
        FUZZ_CHECK(line.value.empty() || (line.value.back() != '\r' && line.value.back() != '\n'));
        FUZZ_CHECK(line.name.data() >= raw.data() && line.value.data() + line.value.size() <= raw.data() + raw.size());
        headers.emplace_back(line.name, line.value);
        break;
      case crawl::HeaderLine::Kind::other:
        FUZZ_CHECK(!raw.starts_with("HTTP/"));
        if (raw.find_first_not_of("\r\n") == std::string_view::npos) {
          // The section's end: the framing check reads every field.
          const auto problem = crawl::content_length_problem(200, headers);
          FUZZ_CHECK(!problem || problem->starts_with("invalid Content-Length \"") ||
                     problem->starts_with("conflicting Content-Length values \""));
          const auto location = crawl::location_problem(302, headers);
          FUZZ_CHECK(!location || location->starts_with("conflicting Location values \""));
        }
        break;
    }
  }
  return 0;
}
