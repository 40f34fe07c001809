#include "web/robots.h"

#include "core/ascii.h"
#include "web/url.h"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <vector>

namespace crawl {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
}

std::string_view trim(std::string_view s) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Rule patterns and request paths are brought to one canonical percent-encoded
// form (url.h's normalize_percent_encoding) so that they compare octet by octet
// (RFC 9309 §2.2.2). '*' and '$' pass through: they are not unreserved, so an
// escaped "%2A" stays escaped and never acts as a wildcard.

// The leftmost occurrence of `needle` in `haystack` at or after `from`, or
// npos, in time linear in haystack + needle, by Knuth-Morris-Pratt. Not
// std::string_view::find: it is memchr + memcmp at each candidate octet,
// O(haystack × needle) on "aaa…ab" against "aaa…a"; and libstdc++'s
// std::boyer_moore_searcher builds its tables in needle² time.
std::size_t find_segment(std::string_view haystack, std::string_view needle, std::size_t from) {
  if (needle.size() == 1) return haystack.find(needle.front(), from);  // memchr
  if (from > haystack.size() || haystack.size() - from < needle.size()) return std::string_view::npos;
  // border[i]: the length of the longest proper prefix of needle[0, i] that
  // is also its suffix.
  std::vector<std::size_t> border(needle.size(), 0);
  for (std::size_t i = 1, k = 0; i < needle.size(); ++i) {
    while (k > 0 && needle[i] != needle[k]) k = border[k - 1];
    if (needle[i] == needle[k]) ++k;
    border[i] = k;
  }
  for (std::size_t i = from, k = 0; i < haystack.size(); ++i) {
    while (k > 0 && haystack[i] != needle[k]) k = border[k - 1];
    if (haystack[i] == needle[k]) ++k;
    if (k == needle.size()) return i + 1 - needle.size();
  }
  return std::string_view::npos;
}

}  // namespace

// A '*'-only glob matches greedily: split at '*' into literal segments; the
// first must be a prefix, each later one is taken at its leftmost occurrence
// after the previous one (an earlier end never leaves less room for the rest),
// and with '$' the last segment must end the path, so it is checked as a
// suffix and the middle ones must fit before it. Time O(pattern + path):
// each segment is searched once, over the part of the path after the previous.
bool robots_pattern_matches(std::string_view pattern, std::string_view path) {
  bool anchored = false;
  if (!pattern.empty() && pattern.back() == '$') {
    anchored = true;
    pattern.remove_suffix(1);
  }
  const std::size_t first_star = pattern.find('*');
  if (first_star == std::string_view::npos) return anchored ? path == pattern : path.starts_with(pattern);
  if (!path.starts_with(pattern.substr(0, first_star))) return false;
  std::size_t pos = first_star;  // path[0, pos) is matched
  pattern.remove_prefix(first_star + 1);
  if (anchored) {
    const std::size_t last_star = pattern.rfind('*');
    const std::string_view last = last_star == std::string_view::npos ? pattern : pattern.substr(last_star + 1);
    if (path.size() - pos < last.size() || !path.ends_with(last)) return false;
    path.remove_suffix(last.size());
    pattern = last_star == std::string_view::npos ? std::string_view() : pattern.substr(0, last_star);
  }
  while (!pattern.empty()) {
    const std::size_t star = pattern.find('*');
    const std::string_view segment = pattern.substr(0, star);
    if (!segment.empty()) {
      const std::size_t at = find_segment(path, segment, pos);
      if (at == std::string_view::npos) return false;
      pos = at + segment.size();
    }
    pattern.remove_prefix(star == std::string_view::npos ? pattern.size() : star + 1);
  }
  return true;
}

namespace {

// A non-negative integer or decimal ("10", "0.5", "1."); nothing else.
std::optional<double> parse_delay(std::string_view v) {
  if (v.empty()) return std::nullopt;
  bool digit = false, dot = false;
  for (char c : v) {
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      return std::nullopt;
    }
  }
  if (!digit) return std::nullopt;
  double value = 0;
  const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
  if (ec != std::errc() || ptr != v.data() + v.size()) return std::nullopt;
  return value;
}

// The rules and delay collected for one kind of group (ours, or `*`).
struct GroupAccumulator {
  bool seen = false;  // a user-agent line named this agent
  std::vector<std::pair<std::string, bool>> rules;
  std::optional<double> crawl_delay;
};

}  // namespace

bool RobotsRules::allowed(std::string_view path_and_query) const {
  if (path_and_query == "/robots.txt") return true;
  if (rules_.empty()) return true;
  const std::string path = normalize_percent_encoding(path_and_query.empty() ? "/" : path_and_query);
  std::ptrdiff_t best_allow = -1, best_disallow = -1;
  for (const Rule& rule : rules_) {
    auto& best = rule.allow ? best_allow : best_disallow;
    const auto length = static_cast<std::ptrdiff_t>(rule.pattern.size());
    if (length > best && robots_pattern_matches(rule.pattern, path)) best = length;
  }
  return best_disallow < 0 || best_allow >= best_disallow;
}

namespace {

// "Disallow /x": a known key, blanks, one value without blanks (Google's
// parser accepts whitespace in place of the colon).
bool missing_colon(std::string_view line, std::string& key, std::string_view& value) {
  line = trim(line);
  const auto blank = line.find_first_of(" \t");
  if (blank == std::string_view::npos) return false;
  std::string k(line.substr(0, blank));
  std::transform(k.begin(), k.end(), k.begin(), ascii_lower);
  const std::string_view v = trim(line.substr(blank));
  if (v.empty() || v.find_first_of(" \t") != std::string_view::npos) return false;
  if (k != "user-agent" && k != "allow" && k != "disallow" && k != "crawl-delay" && k != "sitemap") return false;
  key = std::move(k);
  value = v;
  return true;
}

}  // namespace

RobotsRules parse_robots(std::string_view text, std::string_view user_agent_token) {
  if (text.size() > kRobotsParseLimit) text = text.substr(0, kRobotsParseLimit);
  if (text.starts_with(kUtf8Bom)) text.remove_prefix(kUtf8Bom.size());
  const std::string ours = product_token(user_agent_token);

  RobotsRules result;
  GroupAccumulator specific, star;
  // The group being read applies to us / to `*`. A run of consecutive
  // user-agent lines opens one group; any other line ends the run.
  bool group_is_ours = false, group_is_star = false, in_agent_run = false;

  while (!text.empty()) {
    const std::size_t eol = text.find_first_of("\r\n");
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);

    if (const auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    std::string key;
    std::string_view value;
    if (const auto colon = line.find(':'); colon != std::string_view::npos) {
      key = trim(line.substr(0, colon));
      value = trim(line.substr(colon + 1));
      std::transform(key.begin(), key.end(), key.begin(), ascii_lower);
    } else if (!missing_colon(line, key, value)) {
      continue;
    }

    if (key == "user-agent") {
      if (!in_agent_run) group_is_ours = group_is_star = false;
      in_agent_run = true;
      if (value.starts_with('*')) {
        group_is_star = star.seen = true;
      } else if (!ours.empty() && product_token(value) == ours) {
        group_is_ours = specific.seen = true;
      }
    } else if (key == "allow" || key == "disallow" || key == "crawl-delay") {
      in_agent_run = false;
      for (auto [applies, group] : {std::pair{group_is_ours, &specific}, std::pair{group_is_star, &star}}) {
        if (!applies) continue;
        if (key == "crawl-delay") {
          if (!group->crawl_delay) group->crawl_delay = parse_delay(value);
        } else if (!value.empty()) {  // an empty value is no rule
          group->rules.emplace_back(normalize_percent_encoding(value), key == "allow");
        }
      }
    } else if (key == "sitemap") {
      if (!value.empty()) result.sitemaps.emplace_back(value);
    }
    // Unknown keys are ignored (RFC 9309 §2.2.4) and do not end an agent run.
  }

  GroupAccumulator& chosen = specific.seen ? specific : star;
  for (auto& [pattern, allow] : chosen.rules) result.rules_.push_back({std::move(pattern), allow});
  result.crawl_delay = chosen.crawl_delay;
  return result;
}

RobotsRules allow_all() { return RobotsRules{}; }

RobotsRules disallow_all() {
  RobotsRules rules;
  rules.rules_.push_back({"*", false});
  return rules;
}

std::string product_token(std::string_view user_agent) {
  std::string token;
  for (char c : user_agent) {
    if (!is_token_char(c)) break;
    token += ascii_lower(c);
  }
  return token;
}

}  // namespace crawl
