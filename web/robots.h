// robots.txt parsing and matching per RFC 9309 (Robots Exclusion Protocol).
//
// Everything here is a pure function of its input: no I/O, no global state,
// thread-safe, and no function throws on any input (only std::bad_alloc).
#pragma once

#include <optional>

#include "core/fetch_types.h"
#include <string>
#include <string_view>
#include <vector>

namespace crawl {

// The rules of one robots.txt as they apply to one crawler (the group matched
// for its product token, or the `*` group). A value type, cheap to share
// read-only between threads.
class RobotsRules {
 public:
  // Whether `path_and_query` (the URL's path plus "?query" if any, as sent in
  // the request line, e.g. "/a/b?x=1") may be fetched. The longest matching
  // rule wins, Allow on a tie, no matching rule means allowed (RFC 9309
  // §2.2.2). "/robots.txt" is always allowed.
  bool allowed(std::string_view path_and_query) const;

  // Seconds, from the matched group's first valid Crawl-delay (non-standard).
  std::optional<double> crawl_delay;
  // Every Sitemap: value in the file, in file order, whatever group.
  std::vector<std::string> sitemaps;

 private:
  struct Rule {
    std::string pattern;  // normalized, see robots.cpp
    bool allow = false;
  };
  std::vector<Rule> rules_;

  friend RobotsRules parse_robots(std::string_view text, std::string_view user_agent_token);
  friend RobotsRules disallow_all();
};

// Parses `text` (only the first kRobotsParseLimit bytes) for the crawler
// whose product token is `user_agent_token` (e.g. "crawl", see
// product_token()). Never fails: lines that do not parse are ignored. A
// rule line missing its colon ("Disallow /private": a known key, blanks,
// one value) is read as if it had one, as Google's parser does: the site's
// intent is clear, and obeying it is the polite reading.
RobotsRules parse_robots(std::string_view text, std::string_view user_agent_token);

// Everything allowed: for a 4xx robots.txt (RFC 9309 §2.3.1.3).
RobotsRules allow_all();
// Everything but /robots.txt disallowed: for 5xx or unreachable (§2.3.1.4).
RobotsRules disallow_all();

// Whether a rule pattern matches a path per RFC 9309 §2.2.3: a prefix match
// where '*' matches any sequence of octets and a final '$' anchors at the end
// (elsewhere '$' is literal). Both are compared octet by octet, so both must
// be in one percent-encoding form (parse_robots() and allowed() normalize
// them). Time linear in pattern + path, whatever the number of '*'.
bool robots_pattern_matches(std::string_view pattern, std::string_view path);

// The product token of a User-Agent string: its leading run of [A-Za-z_-],
// lowercased ("crawl/0.1 (+x)" -> "crawl").
std::string product_token(std::string_view user_agent);

}  // namespace crawl
