// robots.txt parser and matcher, tested rule by rule against RFC 9309.
#include "web/robots.h"

#include "tests/web/robots_backtracking.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crawl {
namespace {

using reference::backtracking_matches;

// --- §2.2.1 The User-Agent line ---------------------------------------------

TEST(RobotsUserAgent, GroupMatchesProductTokenCaseInsensitively) {
  const auto rules = parse_robots("User-agent: CRAWL\nDisallow: /x\n", "crawl");
  EXPECT_FALSE(rules.allowed("/x"));
  EXPECT_FALSE(parse_robots("user-agent: crawl\ndisallow: /x\n", "Crawl").allowed("/x"));
}

TEST(RobotsUserAgent, FileTokenComparedByItsLeadingTokenRun) {
  EXPECT_FALSE(parse_robots("User-agent: crawl/1.0 (bot)\nDisallow: /x\n", "crawl").allowed("/x"));
  // A token that merely starts with ours is a different crawler.
  EXPECT_TRUE(parse_robots("User-agent: crawler\nDisallow: /x\n", "crawl").allowed("/x"));
}

TEST(RobotsUserAgent, StarGroupUsedWhenNoGroupMatches) {
  const auto rules = parse_robots("User-agent: other\nDisallow: /a\n\nUser-agent: *\nDisallow: /b\n", "crawl");
  EXPECT_TRUE(rules.allowed("/a"));
  EXPECT_FALSE(rules.allowed("/b"));
}

TEST(RobotsUserAgent, SpecificGroupOverridesStarGroup) {
  const auto rules = parse_robots("User-agent: *\nDisallow: /b\n\nUser-agent: crawl\nDisallow: /a\n", "crawl");
  EXPECT_FALSE(rules.allowed("/a"));
  EXPECT_TRUE(rules.allowed("/b"));
}

TEST(RobotsUserAgent, NoMatchingAndNoStarGroupAllowsEverything) {
  const auto rules = parse_robots("User-agent: other\nDisallow: /\n", "crawl");
  EXPECT_TRUE(rules.allowed("/"));
  EXPECT_TRUE(rules.allowed("/anything"));
}

TEST(RobotsUserAgent, ConsecutiveUserAgentLinesShareOneGroup) {
  const auto rules = parse_robots("User-agent: a\nUser-agent: crawl\nUser-agent: b\nDisallow: /x\n", "crawl");
  EXPECT_FALSE(rules.allowed("/x"));
}

TEST(RobotsUserAgent, UserAgentAfterRulesStartsNewGroup) {
  const auto rules = parse_robots("User-agent: crawl\nDisallow: /a\nUser-agent: other\nDisallow: /b\n", "crawl");
  EXPECT_FALSE(rules.allowed("/a"));
  EXPECT_TRUE(rules.allowed("/b"));
}

TEST(RobotsUserAgent, MultipleGroupsForSameAgentAreMerged) {
  const auto rules = parse_robots(
      "User-agent: crawl\nDisallow: /a\n\nUser-agent: other\nDisallow: /c\n\nuser-agent: Crawl\nDisallow: /b\n",
      "crawl");
  EXPECT_FALSE(rules.allowed("/a"));
  EXPECT_FALSE(rules.allowed("/b"));
  EXPECT_TRUE(rules.allowed("/c"));
}

TEST(RobotsUserAgent, RulesBeforeAnyUserAgentAreIgnored) {
  EXPECT_TRUE(parse_robots("Disallow: /\n", "crawl").allowed("/x"));
}

TEST(RobotsUserAgent, MatchingGroupWithoutRulesAllowsEverything) {
  const auto rules = parse_robots("User-agent: *\nDisallow: /\n\nUser-agent: crawl\n", "crawl");
  EXPECT_TRUE(rules.allowed("/x"));
}

TEST(RobotsUserAgent, ProductTokenIsLeadingTokenRunLowercased) {
  EXPECT_EQ(product_token("crawl/0.1 (+x)"), "crawl");
  EXPECT_EQ(product_token("My_Bot-X/2"), "my_bot-x");
  EXPECT_EQ(product_token(""), "");
  EXPECT_EQ(product_token("/1.0"), "");
}

TEST(RobotsUserAgent, EmptyOwnTokenMatchesOnlyStar) {
  const auto rules = parse_robots("User-agent: crawl\nDisallow: /a\nUser-agent: *\nDisallow: /b\n", "");
  EXPECT_TRUE(rules.allowed("/a"));
  EXPECT_FALSE(rules.allowed("/b"));
}

// --- §2.2.2 The Allow and Disallow lines ------------------------------------

TEST(RobotsAllowDisallow, KeysCaseInsensitiveAndWhitespaceTolerant) {
  const auto rules = parse_robots("  USER-AGENT :  crawl  \n\tDISALLOW\t:\t/a \n  aLLoW :/a/b\n", "crawl");
  EXPECT_FALSE(rules.allowed("/a"));
  EXPECT_TRUE(rules.allowed("/a/b"));
}

TEST(RobotsAllowDisallow, CommentsAreStripped) {
  const auto rules = parse_robots("# header\nUser-agent: crawl # us\nDisallow: /a # not /b\n#Disallow: /c\n", "crawl");
  EXPECT_FALSE(rules.allowed("/a"));
  EXPECT_TRUE(rules.allowed("/c"));
  EXPECT_FALSE(rules.allowed("/a/x"));
}

TEST(RobotsAllowDisallow, EmptyDisallowValueIsNoRule) {
  const auto rules = parse_robots("User-agent: *\nDisallow:\n", "crawl");
  EXPECT_TRUE(rules.allowed("/"));
  EXPECT_TRUE(rules.allowed("/x"));
}

TEST(RobotsAllowDisallow, RuleIsPrefixMatch) {
  const auto rules = parse_robots("User-agent: *\nDisallow: /fish\n", "crawl");
  EXPECT_FALSE(rules.allowed("/fish"));
  EXPECT_FALSE(rules.allowed("/fish.html"));
  EXPECT_FALSE(rules.allowed("/fishheads/yummy.html"));
  EXPECT_FALSE(rules.allowed("/fish?id=1"));
  EXPECT_TRUE(rules.allowed("/Fish.asp"));  // paths are case-sensitive
  EXPECT_TRUE(rules.allowed("/catfish"));
}

TEST(RobotsAllowDisallow, LongestMatchWins) {
  const auto rules = parse_robots("User-agent: *\nAllow: /p\nDisallow: /p/q\nAllow: /p/q/r\n", "crawl");
  EXPECT_TRUE(rules.allowed("/p/x"));
  EXPECT_FALSE(rules.allowed("/p/q/x"));
  EXPECT_TRUE(rules.allowed("/p/q/r/x"));
}

TEST(RobotsAllowDisallow, LongestMatchCountsPatternOctetsIncludingWildcards) {
  // "/*/page" and "/a/page" are both 7 octets: a tie, so Allow wins.
  const auto rules = parse_robots("User-agent: *\nDisallow: /*/page\nAllow: /a/page\n", "crawl");
  EXPECT_TRUE(rules.allowed("/a/page"));
  EXPECT_FALSE(rules.allowed("/b/page"));
  const auto longer = parse_robots("User-agent: *\nDisallow: /*/page1\nAllow: /a/page\n", "crawl");
  EXPECT_FALSE(longer.allowed("/a/page1"));
}

TEST(RobotsAllowDisallow, AllowWinsTies) {
  const auto rules = parse_robots("User-agent: *\nDisallow: /page\nAllow: /page\n", "crawl");
  EXPECT_TRUE(rules.allowed("/page"));
  const auto reversed = parse_robots("User-agent: *\nAllow: /page\nDisallow: /page\n", "crawl");
  EXPECT_TRUE(reversed.allowed("/page"));
}

TEST(RobotsAllowDisallow, NoMatchingRuleMeansAllowed) {
  EXPECT_TRUE(parse_robots("User-agent: *\nDisallow: /a\n", "crawl").allowed("/b"));
}

TEST(RobotsAllowDisallow, RobotsTxtIsAlwaysAllowed) {
  EXPECT_TRUE(parse_robots("User-agent: *\nDisallow: /\n", "crawl").allowed("/robots.txt"));
  EXPECT_TRUE(disallow_all().allowed("/robots.txt"));
}

TEST(RobotsAllowDisallow, PercentEncodingTableFromRfc) {
  // RFC 9309 §2.2.2 table: the rule's path, as written, against the URI path that must match it.
  EXPECT_FALSE(parse_robots("User-agent: *\nDisallow: /foo/bar?baz=quz\n", "c").allowed("/foo/bar?baz=quz"));
  EXPECT_FALSE(parse_robots("User-agent: *\nDisallow: /foo/bar/ツ\n", "c").allowed("/foo/bar/%E3%83%84"));
  EXPECT_FALSE(parse_robots("User-agent: *\nDisallow: /foo/bar/%E3%83%84\n", "c").allowed("/foo/bar/%E3%83%84"));
  EXPECT_FALSE(parse_robots("User-agent: *\nDisallow: /foo/bar/%62%61%7A\n", "c").allowed("/foo/bar/baz"));
}

TEST(RobotsAllowDisallow, PercentEncodingNormalizesBothSides) {
  // Lower-case hex and raw UTF-8 in the path compare equal to the encoded rule.
  const auto rules = parse_robots("User-agent: *\nDisallow: /foo/bar/%E3%83%84\nDisallow: /baz\n", "c");
  EXPECT_FALSE(rules.allowed("/foo/bar/%e3%83%84"));
  EXPECT_FALSE(rules.allowed("/foo/bar/ツ"));
  EXPECT_FALSE(rules.allowed("/%62az"));
  EXPECT_TRUE(rules.allowed("/foo/bar/%E3%83"));
}

TEST(RobotsAllowDisallow, PercentEncodedReservedCharacterIsNotDecoded) {
  const auto rules = parse_robots("User-agent: *\nDisallow: /a%2Fb\n", "c");
  EXPECT_FALSE(rules.allowed("/a%2fb"));
  EXPECT_TRUE(rules.allowed("/a/b"));
  EXPECT_FALSE(parse_robots("User-agent: *\nDisallow: /a/b\n", "c").allowed("/a/b"));
  EXPECT_TRUE(parse_robots("User-agent: *\nDisallow: /a/b\n", "c").allowed("/a%2Fb"));
}

TEST(RobotsAllowDisallow, MalformedPercentEscapeIsLiteral) {
  const auto rules = parse_robots("User-agent: *\nDisallow: /100%\nDisallow: /%zz\n", "c");
  EXPECT_FALSE(rules.allowed("/100%"));
  EXPECT_FALSE(rules.allowed("/100%25"));
  EXPECT_FALSE(rules.allowed("/%zz"));
  EXPECT_TRUE(rules.allowed("/100"));
}

// --- §2.2.3 Special characters ----------------------------------------------

TEST(RobotsSpecialCharacters, StarMatchesAnySequence) {
  const auto rules = parse_robots("User-agent: *\nDisallow: /*.php\nDisallow: /a*b*c\n", "c");
  EXPECT_FALSE(rules.allowed("/index.php"));
  EXPECT_FALSE(rules.allowed("/x/y.php?q=1"));
  EXPECT_FALSE(rules.allowed("/.php"));
  EXPECT_TRUE(rules.allowed("/index.html"));
  EXPECT_FALSE(rules.allowed("/abc"));
  EXPECT_FALSE(rules.allowed("/a-b-c-d"));
  EXPECT_TRUE(rules.allowed("/a-c-b"));
}

TEST(RobotsSpecialCharacters, DollarAnchorsAtEnd) {
  const auto rules = parse_robots("User-agent: *\nDisallow: /*.php$\nDisallow: /exact$\n", "c");
  EXPECT_FALSE(rules.allowed("/index.php"));
  EXPECT_TRUE(rules.allowed("/index.php?x=1"));
  EXPECT_TRUE(rules.allowed("/index.php5"));
  EXPECT_FALSE(rules.allowed("/a.php.php"));
  EXPECT_FALSE(rules.allowed("/exact"));
  EXPECT_TRUE(rules.allowed("/exact/"));
}

TEST(RobotsSpecialCharacters, DollarOnlySpecialAtEnd) {
  const auto rules = parse_robots("User-agent: *\nDisallow: /a$b\n", "c");
  EXPECT_FALSE(rules.allowed("/a$b"));
  EXPECT_FALSE(rules.allowed("/a$bc"));
  EXPECT_TRUE(rules.allowed("/a"));
}

TEST(RobotsSpecialCharacters, StarAloneMatchesEverything) {
  const auto rules = parse_robots("User-agent: *\nDisallow: *\n", "c");
  EXPECT_FALSE(rules.allowed("/"));
  EXPECT_FALSE(rules.allowed("/anything?x"));
  EXPECT_TRUE(rules.allowed("/robots.txt"));
}

// --- §2.2.4 Other records, and non-standard extensions ----------------------

TEST(RobotsOtherRecords, UnknownKeysIgnored) {
  const auto rules = parse_robots("User-agent: crawl\nNoindex: /a\nHost: example.com\nDisallow: /b\n", "crawl");
  EXPECT_TRUE(rules.allowed("/a"));
  EXPECT_FALSE(rules.allowed("/b"));
}

// Garbage lines are ignored; a known key missing its colon is read (see
// RobotsSyntax.RuleMissingItsColonIsObeyed).
TEST(RobotsOtherRecords, GarbageLinesIgnoredAMissingColonRead) {
  const auto rules =
      parse_robots("garbage\nUser-agent crawl\nUser-agent: *\nDisallow /a\nDisallow: /b\nno such line\n", "crawl");
  EXPECT_FALSE(rules.allowed("/a"));
  EXPECT_FALSE(rules.allowed("/b"));
  EXPECT_TRUE(rules.allowed("/c"));
}

TEST(RobotsOtherRecords, SitemapsCollectedGlobally) {
  const auto rules = parse_robots(
      "Sitemap: https://e.com/s1.xml\nUser-agent: other\nSitemap: https://e.com/s2.xml\n"
      "Disallow: /\nSITEMAP:https://e.com/s3.xml # c\nSitemap:\n",
      "crawl");
  EXPECT_EQ(rules.sitemaps,
            (std::vector<std::string>{"https://e.com/s1.xml", "https://e.com/s2.xml", "https://e.com/s3.xml"}));
}

TEST(RobotsOtherRecords, CrawlDelayFromMatchedGroup) {
  const auto text = "User-agent: *\nCrawl-delay: 5\n\nUser-agent: crawl\nCrawl-delay: 2.5\nCrawl-delay: 9\n";
  EXPECT_EQ(parse_robots(text, "crawl").crawl_delay, 2.5);
  EXPECT_EQ(parse_robots(text, "other").crawl_delay, 5.0);
  EXPECT_EQ(parse_robots("User-agent: x\nCrawl-delay: 5\n", "crawl").crawl_delay, std::nullopt);
}

TEST(RobotsOtherRecords, CrawlDelayFirstValidNonNegativeNumber) {
  EXPECT_EQ(parse_robots("User-agent: *\nCrawl-delay: -1\nCrawl-delay: abc\nCrawl-delay: 1e3\nCrawl-delay: 10\n", "c")
                .crawl_delay,
            10.0);
  EXPECT_EQ(parse_robots("User-agent: *\nCrawl-delay: 0.25\n", "c").crawl_delay, 0.25);
  EXPECT_EQ(parse_robots("User-agent: *\nCrawl-delay: .\nCrawl-delay: inf\nCrawl-delay:\n", "c").crawl_delay,
            std::nullopt);
}

// --- §2.2 Formal syntax: file encoding and lines ----------------------------

TEST(RobotsSyntax, ByteOrderMarkIsSkipped) {
  EXPECT_FALSE(parse_robots("\xEF\xBB\xBFUser-agent: *\nDisallow: /a\n", "c").allowed("/a"));
}

TEST(RobotsSyntax, CrLfAndCrLineEndings) {
  EXPECT_FALSE(parse_robots("User-agent: *\r\nDisallow: /a\r\nDisallow: /b", "c").allowed("/a"));
  const auto cr = parse_robots("User-agent: *\rDisallow: /a\rDisallow: /b\r", "c");
  EXPECT_FALSE(cr.allowed("/a"));
  EXPECT_FALSE(cr.allowed("/b"));
  EXPECT_TRUE(cr.allowed("/c"));
}

TEST(RobotsSyntax, EmptyAndBinaryInputNeverThrow) {
  EXPECT_TRUE(parse_robots("", "c").allowed("/"));
  std::string binary;
  for (int i = 0; i < 4096; ++i) binary += static_cast<char>((i * 131) & 0xFF);
  EXPECT_NO_THROW({
    const auto rules = parse_robots(binary, "c");
    (void)rules.allowed("/x");
  });
  EXPECT_FALSE(parse_robots("User-agent: *\nDisallow: /\n", "c").allowed(""));  // an empty path is "/"
}

// --- §2.3.1 Access results ---------------------------------------------------

TEST(RobotsAccessResults, UnavailableMeansAllowAll) {
  EXPECT_TRUE(allow_all().allowed("/"));
  EXPECT_TRUE(allow_all().allowed("/private?x"));
  EXPECT_EQ(allow_all().crawl_delay, std::nullopt);
}

TEST(RobotsAccessResults, UnreachableMeansDisallowAll) {
  EXPECT_FALSE(disallow_all().allowed("/"));
  EXPECT_FALSE(disallow_all().allowed("/x?y"));
  EXPECT_FALSE(disallow_all().allowed(""));
}

// --- §2.5 Limits ---------------------------------------------------------------

TEST(RobotsLimits, OnlyFirst500KiBParsed) {
  std::string text = "User-agent: *\nDisallow: /early\n";
  text.append(500 * 1024 - text.size(), '#');
  text += "\nDisallow: /late\n";
  const auto rules = parse_robots(text, "c");
  EXPECT_FALSE(rules.allowed("/early"));
  EXPECT_TRUE(rules.allowed("/late"));
}

TEST(RobotsLimits, TenMegabyteFileIsFast) {
  std::string text = "User-agent: *\n";
  while (text.size() < 10 * 1024 * 1024) text += "Disallow: /dir/with/some/length/*.html$\n";
  const auto start = std::chrono::steady_clock::now();
  const auto rules = parse_robots(text, "crawl");
  EXPECT_FALSE(rules.allowed("/dir/with/some/length/x.html"));
  EXPECT_TRUE(rules.allowed("/other"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(RobotsLimits, ManyWildcardsAreNotExponential) {
  const auto rules = parse_robots("User-agent: *\nDisallow: /*a*a*a*a*a*a*a*a*b\nDisallow: /*a*a*a*a*a*a*a*a*a$\n", "c");
  const std::string path = "/" + std::string(100000, 'a') + "c";
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(rules.allowed(path));
  EXPECT_FALSE(rules.allowed(path + "b"));
  EXPECT_FALSE(rules.allowed("/" + std::string(100000, 'a')));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

// --- Matching in linear time (issue 12) -------------------------------------------

// Short strings over a small alphabet, so that segments overlap, repeat and
// fall on the path's ends often.
std::string random_string(std::mt19937& rng, std::string_view alphabet, std::size_t max_length) {
  std::string s(std::uniform_int_distribution<std::size_t>(0, max_length)(rng), ' ');
  for (char& c : s) c = alphabet[std::uniform_int_distribution<std::size_t>(0, alphabet.size() - 1)(rng)];
  return s;
}

TEST(RobotsLinearMatching, AgreesWithBacktrackingMatcherOnRandomPatterns) {
  std::mt19937 rng(12);
  for (int i = 0; i < 200000; ++i) {
    const std::string pattern = random_string(rng, "ab*$", 8);
    const std::string path = random_string(rng, "ab$", 10);
    SCOPED_TRACE("pattern '" + pattern + "' path '" + path + "'");
    ASSERT_EQ(robots_pattern_matches(pattern, path), backtracking_matches(pattern, path));
  }
}

TEST(RobotsLinearMatching, AgreesWithBacktrackingMatcherOnLongerSegments) {
  std::mt19937 rng(9309);
  for (int i = 0; i < 20000; ++i) {
    // Built by appending: GCC 12 warns falsely (-Wrestrict) on "/" + std::string&&.
    std::string pattern = "/";
    pattern += random_string(rng, "aab**", 24);
    if (i % 3 == 0) pattern += '$';
    std::string path = "/";
    path += random_string(rng, "aab", 40);
    SCOPED_TRACE("pattern '" + pattern + "' path '" + path + "'");
    ASSERT_EQ(robots_pattern_matches(pattern, path), backtracking_matches(pattern, path));
  }
}

// The longest-match decision of allowed() on several random rules, against
// the same decision (§2.2.2) made with the reference matcher.
TEST(RobotsLinearMatching, AllowedAgreesWithReferenceDecisionOnRandomGroups) {
  std::mt19937 rng(2022);
  for (int i = 0; i < 5000; ++i) {
    std::string text = "User-agent: *\n";
    std::vector<std::pair<std::string, bool>> rules;
    for (int r = 0; r < 4; ++r) {
      std::string pattern = "/";
      pattern += random_string(rng, "ab*$", 6);
      rules.emplace_back(std::move(pattern), rng() % 2 == 0);
      text += (rules.back().second ? "Allow: " : "Disallow: ") + rules.back().first + "\n";
    }
    std::string path = "/";
    path += random_string(rng, "ab", 8);
    long best_allow = -1, best_disallow = -1;
    for (const auto& [pattern, allow] : rules) {
      if (backtracking_matches(pattern, path)) {
        long& best = allow ? best_allow : best_disallow;
        best = std::max(best, static_cast<long>(pattern.size()));
      }
    }
    SCOPED_TRACE(text + "path " + path);
    ASSERT_EQ(parse_robots(text, "crawl").allowed(path), best_disallow < 0 || best_allow >= best_disallow);
  }
}

TEST(RobotsLinearMatching, SegmentsAreFoundLeftmostAndTheAnchoredOneAsASuffix) {
  EXPECT_TRUE(robots_pattern_matches("/a*ab*b$", "/aabb"));
  EXPECT_FALSE(robots_pattern_matches("/a*ab*b$", "/aab"));  // "b" may not reuse the "ab"
  EXPECT_TRUE(robots_pattern_matches("/*aa*aa$", "/aaaa"));
  EXPECT_FALSE(robots_pattern_matches("/*aa*aa$", "/aaa"));  // the two may not overlap
  EXPECT_TRUE(robots_pattern_matches("*$", "/"));
  EXPECT_TRUE(robots_pattern_matches("/**x", "/yx"));
  EXPECT_FALSE(robots_pattern_matches("/x*", "/"));
}

// Rules with 1,000 '*' against a 100 KB path that none matches. The issue's
// shape, "/*a*a*…*b", has one-octet segments; the second rule ends in a
// 10,000-octet segment "a…ab", the worst case of the old matcher (it
// compares that segment again at every octet of the path: path × segment).
// The tests print the time per check; no timeout is asserted (sanitizer
// builds are slow): RobotsLimits.ManyWildcardsAreNotExponential bounds time.
constexpr int kBenchStars = 1000;
constexpr std::size_t kBenchPathBytes = 100 * 1024;
constexpr std::size_t kBenchLongSegment = 10000;

std::string wildcard_rule(std::size_t last_segment) {
  std::string pattern = "/";
  for (int i = 0; i < kBenchStars; ++i) pattern += "*a";
  pattern.append(last_segment - 1, 'a');
  return pattern + "b";
}

std::string bench_path() { return "/" + std::string(kBenchPathBytes - 1, 'a'); }

// Microseconds per call of check(pattern, path), which must be false.
template <typename Check>
double microseconds_per_check(const Check& check, const std::string& pattern, int checks) {
  const std::string path = bench_path();
  const auto start = std::chrono::steady_clock::now();
  bool any = false;
  for (int i = 0; i < checks; ++i) any = check(pattern, path) || any;
  const std::chrono::duration<double, std::micro> elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(any);  // no 'b' in the path
  return elapsed.count() / checks;
}

void print_cost(const char* what, std::size_t last_segment, double us) {
  std::printf("robots %s: %d-'*' rule ending in a %zu-octet segment, %zu-byte path: %.1f us per check\n", what,
              kBenchStars, last_segment, kBenchPathBytes, us);
}

TEST(RobotsLinearMatching, PathologicalRulesCostPerCheck) {
  for (std::size_t last_segment : {std::size_t{1}, kBenchLongSegment}) {
    const std::string pattern = wildcard_rule(last_segment);
    const auto rules = parse_robots("User-agent: *\nDisallow: " + pattern + "\n", "crawl");
    const auto disallowed = [&](const std::string&, const std::string& path) { return !rules.allowed(path); };
    print_cost("allowed()", last_segment, microseconds_per_check(disallowed, pattern, 20));
    print_cost("robots_pattern_matches()", last_segment, microseconds_per_check(robots_pattern_matches, pattern, 20));
    EXPECT_FALSE(rules.allowed(bench_path() + "b"));
  }
}

// The cost of one allowed() at the caps the crawl enforces: a robots.txt
// read up to kRobotsParseLimit (500 KiB) and a URL of --max-url-length's
// default, 2,083 octets. allowed() tries every rule that could beat the best
// match so far, each in time rule + path, so the worst file is the one with
// the most rules that each scan the whole path and match nothing: one short
// unanchored rule per line. The other shapes are one huge rule (its segments
// cannot outnumber the path's octets before it fails) and many rules with a
// literal prefix (rejected after a few octets). Printed, not asserted (the
// figure is for the frontier's lock, issue 12; sanitizer builds are slower).
TEST(RobotsLinearMatching, CostAtTheCaps) {
  constexpr std::size_t kUrlCap = 2083;
  const std::string path = "/" + std::string(kUrlCap - 1, 'a');
  const auto fill = [](const std::string& head, const auto& rule_of) {
    std::string text = head;
    for (std::size_t i = 0;; ++i) {
      const std::string line = rule_of(i);
      if (text.size() + line.size() > kRobotsParseLimit) return text;
      text += line;
    }
  };
  // Distinct rules (a deduplicating parser would fold repeats): two octets
  // from [b-z] after a run-long "a" scan, so none matches the path.
  const auto two = [](std::size_t i) {
    return std::string{static_cast<char>('b' + i % 25), static_cast<char>('b' + i / 25 % 25)};
  };
  struct Shape {
    const char* name;
    std::string text;
  };
  const Shape shapes[] = {
      {"one short unanchored rule per line (Allow:*a<xy>)",
       fill("User-agent:*\n", [&](std::size_t i) { return "Allow:*a" + two(i) + "\n"; })},
      {"one short rule of one-octet segments per line (Allow:*a*<x>)",
       fill("User-agent:*\n", [&](std::size_t i) { return "Allow:*a*" + two(i).substr(0, 1) + "\n"; })},
      {"one rule of 250,000 '*a' then 'b'",
       fill("User-agent:*\nDisallow:/", [](std::size_t) { return std::string("*a"); }) + "b\n"},
      {"many rules with a literal prefix (Disallow:/x<xy>*a)",
       fill("User-agent:*\n", [&](std::size_t i) { return "Disallow:/x" + two(i) + "*a\n"; })},
  };
  for (const auto& shape : shapes) {
    const auto rules = parse_robots(shape.text, "crawl");
    constexpr int kChecks = 5;
    bool any_disallowed = false;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kChecks; ++i) any_disallowed = !rules.allowed(path) || any_disallowed;
    const std::chrono::duration<double, std::micro> elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_FALSE(any_disallowed) << shape.name;
    std::size_t lines = std::count(shape.text.begin(), shape.text.end(), '\n');
    std::printf("robots allowed() at the caps: %s: %zu lines in %zu bytes, %zu-octet URL: %.0f us per check\n",
                shape.name, lines, shape.text.size(), path.size(), elapsed.count() / kChecks);
  }
}

// The same checks with the old backtracking matcher, for comparison (about
// 3 s for the second rule in a Release build):
//   robots_test --gtest_also_run_disabled_tests --gtest_filter='*CostPerCheck*'
TEST(RobotsLinearMatching, DISABLED_BacktrackingMatcherCostPerCheck) {
  for (std::size_t last_segment : {std::size_t{1}, kBenchLongSegment})
    print_cost("backtracking reference", last_segment,
               microseconds_per_check(backtracking_matches, wildcard_rule(last_segment), 1));
}

// --- §5 Examples ------------------------------------------------------------------

constexpr std::string_view kSimpleExample =
    "User-Agent: *\n"
    "Disallow: *.gif$\n"
    "Disallow: /example/\n"
    "Allow: /publications/\n"
    "\n"
    "User-Agent: foobot\n"
    "Disallow:/\n"
    "Allow:/example/page.html\n"
    "Allow:/example/allowed.gif\n"
    "\n"
    "User-Agent: barbot\n"
    "User-Agent: bazbot\n"
    "Disallow: /example/page.html\n"
    "\n"
    "User-Agent: quxbot\n"
    "\n"
    "EOF\n";

TEST(RobotsExamples, SimpleExampleSection5_1) {
  const auto foobot = parse_robots(kSimpleExample, "foobot");
  EXPECT_TRUE(foobot.allowed("/example/page.html"));
  EXPECT_TRUE(foobot.allowed("/example/allowed.gif"));
  EXPECT_FALSE(foobot.allowed("/example/other.html"));
  EXPECT_FALSE(foobot.allowed("/publications/"));
  EXPECT_FALSE(foobot.allowed("/"));

  for (const char* bot : {"barbot", "bazbot"}) {
    const auto rules = parse_robots(kSimpleExample, bot);
    EXPECT_FALSE(rules.allowed("/example/page.html")) << bot;
    EXPECT_TRUE(rules.allowed("/example/other.html")) << bot;
    EXPECT_TRUE(rules.allowed("/x.gif")) << bot;
  }

  const auto quxbot = parse_robots(kSimpleExample, "quxbot");
  EXPECT_TRUE(quxbot.allowed("/example/page.html"));
  EXPECT_TRUE(quxbot.allowed("/x.gif"));

  const auto other = parse_robots(kSimpleExample, "crawl");
  EXPECT_FALSE(other.allowed("/x.gif"));
  EXPECT_TRUE(other.allowed("/x.gif?v=1"));
  EXPECT_FALSE(other.allowed("/example/page.html"));
  EXPECT_TRUE(other.allowed("/publications/paper.pdf"));
  EXPECT_TRUE(other.allowed("/"));
}

TEST(RobotsExamples, LongestMatchSection5_2) {
  const auto rules = parse_robots(
      "User-Agent: foobot\n"
      "Allow: /example/page/\n"
      "Disallow: /example/page/disallowed.gif\n",
      "foobot");
  EXPECT_TRUE(rules.allowed("/example/page/"));
  EXPECT_TRUE(rules.allowed("/example/page/allowed.html"));
  EXPECT_FALSE(rules.allowed("/example/page/disallowed.gif"));
}

}  // namespace
}  // namespace crawl

namespace crawl {
namespace {

// Google's parser accepts whitespace in place of a missing colon; so do we,
// for a known key and a single value.
TEST(RobotsSyntax, RuleMissingItsColonIsObeyed) {
  const auto r = parse_robots("User-agent *\nDisallow /private\nAllow\t/private/ok\n", "crawl");
  EXPECT_FALSE(r.allowed("/private/x"));
  EXPECT_TRUE(r.allowed("/private/ok"));
  EXPECT_TRUE(r.allowed("/public"));
  // Not rules: an unknown key, two values, no value.
  const auto n = parse_robots("User-agent: *\nForbid /a\nDisallow /b /c\nDisallow\n", "crawl");
  EXPECT_TRUE(n.allowed("/a"));
  EXPECT_TRUE(n.allowed("/b"));
  EXPECT_TRUE(n.allowed("/c"));
}

TEST(RobotsSyntax, OnlyTheFirst500KiBAreParsed) {
  std::string text = "User-agent: *\nDisallow: /early\n";
  text += std::string(kRobotsParseLimit, '#') + "\nDisallow: /late\n";
  const auto r = parse_robots(text, "crawl");
  EXPECT_FALSE(r.allowed("/early"));
  EXPECT_TRUE(r.allowed("/late"));
}

}  // namespace
}  // namespace crawl
