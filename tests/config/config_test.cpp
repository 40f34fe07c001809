// Command line and config file: defaults, precedence, and errors that name
// the flag or key and what is allowed.
#include <gtest/gtest.h>

#include "config/config.h"
#include "tests/test_util.h"

namespace crawl {
namespace {

ParsedArgs parse(std::vector<std::string> args) {
  args.insert(args.begin(), "crawl");
  std::vector<const char*> argv;
  for (auto& a : args) argv.push_back(a.c_str());
  return parse_args(static_cast<int>(argv.size()), argv.data());
}

std::string error_of(std::vector<std::string> args) {
  try {
    parse(std::move(args));
  } catch (const UsageError& e) {
    EXPECT_EQ(e.exit_code, 2);
    return e.what();
  }
  return "no error";
}

TEST(Config, DefaultsAreDocumentedValues) {
  auto p = parse({"urls.txt"});
  ASSERT_TRUE(p.config);
  const Config& c = *p.config;
  EXPECT_EQ(c.urls_file, "urls.txt");
  EXPECT_EQ(c.mode, Mode::fibers);
  EXPECT_EQ(c.store, StoreKind::sqlite);
  EXPECT_EQ(c.out_path(), "crawl.db");
  EXPECT_EQ(c.per_host, 2);
  EXPECT_EQ(c.scope, Scope::host);
  EXPECT_FALSE(c.quiet);
  EXPECT_EQ(c.concurrency, kFibersConcurrency);
  EXPECT_GE(c.loops, 1);
}

TEST(Config, ConcurrencyDefaultDependsOnTheMode) {
  EXPECT_EQ(parse({"u", "--mode", "threads"}).config->concurrency, kThreadsConcurrency);
  EXPECT_EQ(parse({"u", "--mode", "fibers"}).config->concurrency, kFibersConcurrency);
  EXPECT_EQ(parse({"u", "--mode", "fibers", "--concurrency", "3000"}).config->concurrency, 3000);
  EXPECT_EQ(parse({"u", "--mode", "fibers", "--loops", "3"}).config->loops, 3);
}

TEST(Config, EveryLongOptionIsParsed) {
  auto p = parse({"u.txt", "--mode", "threads", "--concurrency", "64", "--store", "disk", "--out", "dir",
                  "--max-depth", "3", "--max-pages", "1000", "--scope", "any", "--per-host", "4", "--delay", "250",
                  "--timeout", "7.5", "--connect-timeout", "2", "--max-size", "2M", "--user-agent", "bot/1",
                  "--log-level", "debug", "--log-file", "x.log", "-q"});
  const Config& c = *p.config;
  EXPECT_EQ(c.concurrency, 64);
  EXPECT_EQ(c.store, StoreKind::disk);
  EXPECT_EQ(c.out_path(), "dir");
  EXPECT_EQ(c.max_depth, 3);
  EXPECT_EQ(c.max_pages, 1000);
  EXPECT_EQ(c.scope, Scope::any);
  EXPECT_EQ(c.per_host, 4);
  EXPECT_EQ(c.delay_ms, 250);
  EXPECT_DOUBLE_EQ(c.timeout_s, 7.5);
  EXPECT_DOUBLE_EQ(c.connect_timeout_s, 2);
  EXPECT_EQ(c.max_size, 2 * 1024 * 1024);
  EXPECT_EQ(c.user_agent, "bot/1");
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.log_file, "x.log");
  EXPECT_TRUE(c.quiet);
}

TEST(Config, DiskStoreDefaultsToADirectory) { EXPECT_EQ(parse({"u", "--store", "disk"}).config->out_path(), "crawl-out"); }

TEST(Config, BadValuesNameTheFlagAndWhatIsAllowed) {
  auto e = error_of({"u", "--per-host", "zero"});
  EXPECT_NE(e.find("--per-host"), std::string::npos) << e;
  EXPECT_NE(e.find("1 to 1000"), std::string::npos) << e;
  e = error_of({"u", "--store", "mysql"});
  EXPECT_NE(e.find("--store"), std::string::npos) << e;
  EXPECT_NE(e.find("sqlite|disk|none"), std::string::npos) << e;
  e = error_of({"u", "--mode", "processes"});
  EXPECT_NE(e.find("--mode"), std::string::npos) << e;
  e = error_of({"u", "--max-size", "12X"});
  EXPECT_NE(e.find("--max-size"), std::string::npos) << e;
  e = error_of({"u", "--concurrency", "0"});
  EXPECT_NE(e.find("--concurrency"), std::string::npos) << e;
  e = error_of({"u", "--timeout", "-1"});
  EXPECT_NE(e.find("--timeout"), std::string::npos) << e;
  e = error_of({"u", "--warc-gzip-level", "13"});
  EXPECT_NE(e.find("--warc-gzip-level"), std::string::npos) << e;
  EXPECT_NE(e.find("0 (stored, not compressed) to 12 (smallest)"), std::string::npos) << e;
  e = error_of({"u", "--warc-gzip-level", "-1"});
  EXPECT_NE(e.find("--warc-gzip-level"), std::string::npos) << e;
  EXPECT_EQ(parse({"u", "--warc-gzip-level", "9"}).config->warc_gzip_level, 9);
  EXPECT_EQ(parse({"u", "--warc-gzip-level", "0"}).config->warc_gzip_level, 0);
  e = error_of({"u", "--no-such-flag"});
  EXPECT_NE(e.find("--no-such-flag"), std::string::npos) << e;
  e = error_of({});
  EXPECT_NE(e.find("URLS_FILE"), std::string::npos) << e;
}

// As curl and wget: a single-valued option given twice takes the last value,
// so a wrapper script's defaults can be overridden by appending.
TEST(Config, LastValueWinsForSingleValuedOptions) {
  auto p = parse({"urls.txt", "--store", "none", "--store", "sqlite"});
  EXPECT_EQ(p.config->store, StoreKind::sqlite);
  p = parse({"urls.txt", "--per-host", "4", "--mode", "threads", "--per-host", "1", "--mode", "fibers"});
  EXPECT_EQ(p.config->per_host, 1);
  EXPECT_EQ(p.config->mode, Mode::fibers);
  EXPECT_EQ(parse({"u", "--timeout=5", "--timeout", "7.5"}).config->timeout_s, 7.5);
  EXPECT_TRUE(parse({"u", "-q", "--quiet"}).config->quiet);
}

TEST(Config, OnlyTheLastValueIsValidated) {
  // The earlier value is replaced, not applied: a typo followed by a fix is fine.
  EXPECT_EQ(parse({"u", "--per-host", "x", "--per-host", "3"}).config->per_host, 3);
  const std::string e = error_of({"u", "--per-host", "3", "--per-host", "x"});
  EXPECT_NE(e.find("--per-host: invalid value 'x'"), std::string::npos) << e;
}

TEST(Config, RepeatableOptionsKeepEveryValue) {
  auto p = parse({"u", "--include", "a", "--include", "b"});
  EXPECT_EQ(p.config->include, (std::vector<std::string>{"a", "b"}));
}

TEST(Config, FileKeysMirrorLongOptionsAndTheCommandLineWins) {
  testing::TempDir dir;
  testing::write_file(dir / "c.toml", "per-host = 5\ndelay = 100\nstore = \"none\"\nquiet = true\ntimeout = 3\n");
  auto c = *parse({"u", "--config", (dir / "c.toml").string(), "--per-host", "7"}).config;
  EXPECT_EQ(c.per_host, 7);  // command line wins
  EXPECT_EQ(c.delay_ms, 100);
  EXPECT_EQ(c.store, StoreKind::none);
  EXPECT_TRUE(c.quiet);
  EXPECT_DOUBLE_EQ(c.timeout_s, 3);
}

TEST(Config, FileErrorsNameTheKeyAndWhatIsAllowed) {
  testing::TempDir dir;
  testing::write_file(dir / "unknown.toml", "per_hots = 5\n");
  auto e = error_of({"u", "--config", (dir / "unknown.toml").string()});
  EXPECT_NE(e.find("unknown key 'per_hots'"), std::string::npos) << e;
  EXPECT_NE(e.find("per-host"), std::string::npos) << "lists the allowed keys: " << e;

  testing::write_file(dir / "bad.toml", "scope = \"planet\"\n");
  e = error_of({"u", "--config", (dir / "bad.toml").string()});
  EXPECT_NE(e.find("'scope'"), std::string::npos) << e;
  EXPECT_NE(e.find("host|domain|any"), std::string::npos) << e;

  testing::write_file(dir / "syntax.toml", "per-host = \n");
  e = error_of({"u", "--config", (dir / "syntax.toml").string()});
  EXPECT_NE(e.find("line 1"), std::string::npos) << e;

  e = error_of({"u", "--config", (dir / "missing.toml").string()});
  EXPECT_NE(e.find("missing.toml"), std::string::npos) << e;
}

TEST(Config, HtmlParserIsHtml5OrLibxml2OrGumbo) {
  EXPECT_EQ(parse({"u"}).config->html_parser, HtmlParser::html5);
  EXPECT_EQ(parse({"u", "--html-parser", "libxml2"}).config->html_parser, HtmlParser::libxml2);
  EXPECT_NE(parse({"u", "--html-parser", "libxml2"}).config->summary().find("html-parser=libxml2"), std::string::npos);
  EXPECT_EQ(parse({"u"}).config->summary().find("html-parser"), std::string::npos) << "the default is not said";
  EXPECT_EQ(parse({"u", "--html-parser", "gumbo"}).config->html_parser, HtmlParser::gumbo);
  EXPECT_EQ(parse({"u", "--html-parser", "html5"}).config->html_parser, HtmlParser::html5);
  EXPECT_EQ(parse({"u", "--html-parser", "fast"}).config->html_parser, HtmlParser::html5) << "the earlier name";
  EXPECT_NE(parse({"u", "--html-parser", "gumbo"}).config->summary().find("html-parser=gumbo"), std::string::npos);
  auto e = error_of({"u", "--html-parser", "lxml"});
  EXPECT_NE(e.find("--html-parser: invalid value 'lxml'; allowed: html5|libxml2|gumbo"), std::string::npos) << e;
  testing::TempDir dir;
  testing::write_file(dir / "p.toml", "html-parser = \"gumbo\"\n");
  EXPECT_EQ(parse({"u", "--config", (dir / "p.toml").string()}).config->html_parser, HtmlParser::gumbo);
  testing::write_file(dir / "bad.toml", "html-parser = \"html5ever\"\n");
  e = error_of({"u", "--config", (dir / "bad.toml").string()});
  EXPECT_NE(e.find("key 'html-parser'"), std::string::npos) << e;
  EXPECT_NE(e.find("html5|libxml2|gumbo"), std::string::npos) << e;
}

TEST(Config, HelpListsEveryOptionWithItsDefault) {
  auto p = parse({"--help"});
  EXPECT_FALSE(p.config);
  EXPECT_EQ(p.exit_code, 0);
  for (const char* flag : {"--mode", "--concurrency", "--store", "--out", "--max-depth", "--max-pages", "--scope",
                           "--per-host", "--delay", "--timeout", "--connect-timeout", "--max-size", "--user-agent",
                           "--log-level", "--log-file", "--quiet", "--config", "--loops"})
    EXPECT_NE(p.output.find(flag), std::string::npos) << flag;
  EXPECT_NE(p.output.find("crawl.db"), std::string::npos);
}

TEST(Config, PolitenessAndScopeOptions) {
  auto c = *parse({"u", "--scope", "domain", "--include", "/docs/", "--include", "\\.html$", "--exclude", "\\?",
                   "--max-pages-per-host", "50", "--ignore-robots", "--sitemaps", "--max-crawl-delay", "5",
                   "--ignore-nofollow", "--retries", "4", "--max-host-failures", "7", "--stats-json", "s.json"})
                .config;
  EXPECT_EQ(c.scope, Scope::domain);
  EXPECT_EQ(c.include, (std::vector<std::string>{"/docs/", "\\.html$"}));
  EXPECT_EQ(c.exclude, (std::vector<std::string>{"\\?"}));
  EXPECT_EQ(c.max_pages_per_host, 50);
  EXPECT_TRUE(c.ignore_robots);
  EXPECT_TRUE(c.sitemaps);
  EXPECT_EQ(c.max_crawl_delay_s, 5);
  EXPECT_TRUE(c.ignore_nofollow);
  EXPECT_EQ(c.retries, 4);
  EXPECT_EQ(c.max_host_failures, 7);
  EXPECT_EQ(c.stats_json, "s.json");

  const Config d = *parse({"u"}).config;
  EXPECT_FALSE(d.ignore_robots);
  EXPECT_FALSE(d.sitemaps);
  EXPECT_EQ(d.retries, 2);
  EXPECT_EQ(d.max_crawl_delay_s, 30);
  EXPECT_TRUE(d.include.empty());
}

TEST(Config, BadRegexNamesTheFlagAndTheProblem) {
  std::string e = error_of({"u", "--include", "(unclosed"});
  EXPECT_NE(e.find("--include: invalid value '(unclosed'"), std::string::npos) << e;
  EXPECT_NE(e.find("regular expression"), std::string::npos) << e;
}

TEST(Config, PrivateAddressesAreRefusedUnlessAllowed) {
  EXPECT_FALSE(parse({"u"}).config->allow_private);
  EXPECT_TRUE(parse({"u", "--allow-private"}).config->allow_private);
}

// curl's --resolve syntax: [+]HOST:PORT:ADDR[,ADDR...], IPv6 with or without brackets.
TEST(Config, ResolveTakesCurlsSyntaxAndIsRepeatable) {
  auto p = parse({"u", "--resolve", "site.test:8080:127.0.0.1", "--resolve", "v6.test:443:[::1],127.0.0.2",
                  "--resolve", "+late.test:80:::1"});
  EXPECT_EQ(p.config->resolve, (std::vector<std::string>{"site.test:8080:127.0.0.1", "v6.test:443:[::1],127.0.0.2",
                                                         "+late.test:80:::1"}));
  for (const char* bad : {"site.test", "site.test:80", ":80:127.0.0.1", "site.test:0:127.0.0.1",
                          "site.test:x:127.0.0.1", "site.test:80:not-an-ip", "site.test:80:127.0.0.1,"}) {
    SCOPED_TRACE(bad);
    const std::string e = error_of({"u", "--resolve", bad});
    EXPECT_NE(e.find(std::string("--resolve: invalid value '") + bad + "'"), std::string::npos) << e;
    EXPECT_NE(e.find("HOST:PORT:ADDR"), std::string::npos) << e;
  }
}

TEST(Config, RepeatableKeysTakeArraysInToml) {
  testing::TempDir dir;
  testing::write_file(dir / "c.toml", "include = [\"/a/\", \"/b/\"]\nexclude = \"x\"\n");
  auto c = *parse({"u", "--config", (dir / "c.toml").string()}).config;
  EXPECT_EQ(c.include, (std::vector<std::string>{"/a/", "/b/"}));
  EXPECT_EQ(c.exclude, (std::vector<std::string>{"x"}));
  testing::write_file(dir / "bad.toml", "include = [\"(\"]\n");
  std::string e = error_of({"u", "--config", (dir / "bad.toml").string()});
  EXPECT_NE(e.find("key 'include'"), std::string::npos) << e;
}

TEST(Config, SizesTakeBinarySuffixes) {
  EXPECT_EQ(parse_size("100"), 100);
  EXPECT_EQ(parse_size("100k"), 102400);
  EXPECT_EQ(parse_size("3M"), 3 * 1048576);
  EXPECT_EQ(parse_size("1G"), 1073741824);
  EXPECT_THROW(parse_size("k"), std::invalid_argument);
  EXPECT_THROW(parse_size("-1"), std::invalid_argument);
  EXPECT_THROW(parse_size("1T"), std::invalid_argument);
}

}  // namespace
}  // namespace crawl

namespace crawl {
namespace {

TEST(ConfigBatches, DurationsTakeUnits) {
  EXPECT_EQ(parse_duration("90"), 90);
  EXPECT_EQ(parse_duration("90s"), 90);
  EXPECT_EQ(parse_duration("30m"), 1800);
  EXPECT_EQ(parse_duration("6h"), 21600);
  EXPECT_EQ(parse_duration("1.5d"), 129600);
  EXPECT_EQ(parse_duration("2w"), 1209600);
  for (const char* bad : {"", "h", "-1h", "6x", "6 h", "nanh"}) EXPECT_THROW(parse_duration(bad), std::invalid_argument) << bad;
}

// What --help shows as a default and a run's settings record: the unit a
// user would type, read back to the same value.
TEST(ConfigBatches, DurationsPrintInTheirLargestWholeUnit) {
  EXPECT_EQ(duration_text(30 * 86400.0), "30d");
  EXPECT_EQ(duration_text(3600), "1h");
  EXPECT_EQ(duration_text(5400), "90m");
  EXPECT_EQ(duration_text(90), "90s");
  EXPECT_EQ(duration_text(1.5), "1.5s");
  EXPECT_EQ(duration_text(129600), "36h");
  for (const double s : {1.0, 59.0, 60.0, 61.5, 86399.0, 1209600.0, 3650 * 86400.0, 0.25})
    EXPECT_EQ(parse_duration(duration_text(s)), s) << duration_text(s);
  const auto c = *parse({"u", "--revisit", "adaptive", "--every", "6h", "--keep-newer-than", "30d"}).config;
  EXPECT_NE(c.summary().find("revisit-min=1h revisit-max=30d"), std::string::npos) << c.summary();
  EXPECT_NE(c.summary().find("every=6h"), std::string::npos) << c.summary();
  EXPECT_NE(c.summary().find("keep-newer-than=30d"), std::string::npos) << c.summary();
}

TEST(ConfigBatches, RevisitAndScheduleOptions) {
  const auto c = *parse({"u", "--revisit", "adaptive", "--revisit-min", "2h", "--revisit-max", "7d", "--every", "6h",
                         "--keep-versions", "3", "--keep-newer-than", "30d"})
                      .config;
  EXPECT_TRUE(c.revisit_adaptive);
  EXPECT_EQ(c.revisit_min_s, 7200);
  EXPECT_EQ(c.revisit_max_s, 7 * 86400);
  EXPECT_EQ(c.every_s, 21600);
  EXPECT_EQ(c.keep_versions, 3);
  EXPECT_EQ(c.keep_newer_than_s, 30 * 86400);
  const auto d = *parse({"u"}).config;
  EXPECT_FALSE(d.revisit_adaptive);
  EXPECT_EQ(d.every_s, 0);

  auto e = error_of({"u", "--revisit", "sometimes"});
  EXPECT_NE(e.find("--revisit"), std::string::npos) << e;
  EXPECT_NE(e.find("all|adaptive"), std::string::npos) << e;
  e = error_of({"u", "--every", "soon"});
  EXPECT_NE(e.find("--every"), std::string::npos) << e;
  EXPECT_NE(e.find("s, m, h, d or w"), std::string::npos) << e;
  e = error_of({"u", "--revisit-min", "2d", "--revisit-max", "1d"});
  EXPECT_NE(e.find("--revisit-min"), std::string::npos) << e;
}

}  // namespace
}  // namespace crawl
