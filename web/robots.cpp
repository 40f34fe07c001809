#include "web/robots.h"

#include "web/url.h"

#include <algorithm>
#include <charconv>
#include <cstddef>

namespace crawl {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

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

// Whether `pattern` matches `path` per RFC 9309 §2.2.3: a prefix match where
// '*' matches any sequence of octets and a final '$' anchors at the end.
// Greedy matching that backtracks only to the most recent '*': that is
// correct for '*'-only globs and is O(pattern × path) in the worst case,
// never exponential.
bool pattern_matches(std::string_view pattern, std::string_view path) {
  bool anchored = false;
  if (!pattern.empty() && pattern.back() == '$') {
    anchored = true;
    pattern.remove_suffix(1);
  }
  if (pattern.find('*') == std::string_view::npos) {
    return anchored ? path == pattern : path.starts_with(pattern);
  }
  std::size_t p = 0, s = 0;
  std::size_t star = std::string_view::npos, star_s = 0;
  while (true) {
    if (p == pattern.size()) {
      // Unanchored patterns only need to match a prefix of the path.
      if (!anchored || s == path.size()) return true;
    } else if (pattern[p] == '*') {
      star = p++;
      star_s = s;
      continue;
    } else if (s < path.size() && pattern[p] == path[s]) {
      ++p;
      ++s;
      continue;
    }
    if (star == std::string_view::npos || star_s >= path.size()) return false;
    p = star + 1;
    s = ++star_s;
  }
}

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
    if (length > best && pattern_matches(rule.pattern, path)) best = length;
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
  std::transform(k.begin(), k.end(), k.begin(), lower);
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
      std::transform(key.begin(), key.end(), key.begin(), lower);
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
    token += lower(c);
  }
  return token;
}

}  // namespace crawl
