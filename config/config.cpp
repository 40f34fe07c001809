#include "config/config.h"

#include "config/option_table.h"

#include <CLI/CLI.hpp>
#include <boost/regex.hpp>
#include <toml++/toml.h>

#include <arpa/inet.h>

#include <charconv>
#include <cmath>
#include <functional>
#include <filesystem>
#include <sstream>
#include <string_view>
#include <thread>

namespace crawl {

const char* to_string(Mode m) { return m == Mode::threads ? "threads" : "fibers"; }
const char* to_string(StoreKind s) {
  switch (s) {
    case StoreKind::sqlite: return "sqlite";
    case StoreKind::disk: return "disk";
    case StoreKind::none: return "none";
  }
  return "?";
}
const char* to_string(Scope s) {
  switch (s) {
    case Scope::host: return "host";
    case Scope::domain: return "domain";
    case Scope::any: return "any";
  }
  return "?";
}

const char* to_string(HtmlParser p) {
  switch (p) {
    case HtmlParser::html5: return "html5";
    case HtmlParser::libxml2: return "libxml2";
    case HtmlParser::gumbo: return "gumbo";
  }
  return "?";
}

std::string Config::out_path() const {
  if (!out.empty()) return out;
  return store == StoreKind::disk ? "crawl-out" : "crawl.db";
}

std::string Config::state_path() const {
  if (!state.empty()) return state;
  switch (store) {
    case StoreKind::sqlite: return out_path();
    case StoreKind::disk: return (std::filesystem::path(out_path()) / ".crawl" / "state.db").string();
    case StoreKind::none: return "";
  }
  return "";
}

std::string Config::summary() const {
  std::ostringstream s;
  s << "mode=" << to_string(mode) << " concurrency=" << concurrency;
  if (mode == Mode::fibers) s << " loops=" << loops;
  s << " store=" << to_string(store);
  if (store != StoreKind::none) s << " out=" << out_path();
  s << " max-depth=" << max_depth << " max-pages=" << max_pages
    << " scope=" << to_string(scope) << " per-host=" << per_host << " delay=" << delay_ms
    << " timeout=" << timeout_s << " connect-timeout=" << connect_timeout_s
    << " max-size=" << max_size << " retries=" << retries
    << " robots=" << (ignore_robots ? "ignored" : "obeyed");
  for (const auto& r : include) s << " include=" << r;
  for (const auto& r : exclude) s << " exclude=" << r;
  if (max_pages_per_host > 0) s << " max-pages-per-host=" << max_pages_per_host;
  if (max_url_length != 2083) s << " max-url-length=" << max_url_length;
  if (max_redirects != 10) s << " max-redirect=" << max_redirects;
  if (max_path_depth != 20) s << " max-path-depth=" << max_path_depth;
  if (max_path_repeats != 2) s << " max-path-repeats=" << max_path_repeats;
  if (max_links_per_page != 6000) s << " max-links-per-page=" << max_links_per_page;
  if (max_sitemap_urls != 50000) s << " max-sitemap-urls=" << max_sitemap_urls;
  if (max_urls_per_host != 1000000) s << " max-urls-per-host=" << max_urls_per_host;
  if (sitemaps) s << " sitemaps=on";
  if (revisit_adaptive)
    s << " revisit=adaptive revisit-min=" << duration_text(revisit_min_s) << " revisit-max=" << duration_text(revisit_max_s);
  if (every_s > 0) s << " every=" << duration_text(every_s);
  if (keep_versions > 0) s << " keep-versions=" << keep_versions;
  if (keep_newer_than_s > 0) s << " keep-newer-than=" << duration_text(keep_newer_than_s);
  if (ignore_nofollow) s << " nofollow=ignored";
  if (html_parser != HtmlParser::html5) s << " html-parser=" << to_string(html_parser);
  if (allow_private) s << " allow-private";
  if (!cookies) s << " cookies=off";
  if (!load_cookies.empty()) s << " load-cookies=" << load_cookies;
  if (!save_cookies.empty()) s << " save-cookies=" << save_cookies;
  if (max_body_memory != Config{}.max_body_memory) s << " max-body-memory=" << max_body_memory;
  for (const auto& r : resolve) s << " resolve=" << r;
  if (!warc.empty()) s << " warc=" << warc << " warc-max-size=" << warc_max_size << " warc-gzip-level=" << warc_gzip_level;
  return s.str();
}

std::int64_t parse_size(const std::string& text) {
  std::int64_t value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || value < 0 || ptr == begin) throw std::invalid_argument("bad size");
  std::int64_t mult = 1;
  std::string suffix(ptr, end);
  if (suffix == "" || suffix == "B") mult = 1;
  else if (suffix == "k" || suffix == "K" || suffix == "KiB") mult = 1LL << 10;
  else if (suffix == "m" || suffix == "M" || suffix == "MiB") mult = 1LL << 20;
  else if (suffix == "g" || suffix == "G" || suffix == "GiB") mult = 1LL << 30;
  else throw std::invalid_argument("bad size suffix");
  if (value > (INT64_MAX / mult)) throw std::invalid_argument("size too large");
  return value * mult;
}

double parse_duration(const std::string& text) {
  if (text.empty()) throw std::invalid_argument(text);
  double unit = 1;
  std::string number = text;
  switch (text.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = 7 * 86400; break;
    default: unit = 0;
  }
  if (unit != 0) number.pop_back();
  else unit = 1;
  const double value = parse_number(number);
  if (value < 0) throw std::invalid_argument(text);
  return value * unit;
}

std::string duration_text(double seconds) {
  for (const auto& [unit, suffix] : {std::pair{86400.0, 'd'}, std::pair{3600.0, 'h'}, std::pair{60.0, 'm'}}) {
    const double n = seconds / unit;
    if (seconds >= unit && n == std::floor(n) && n < 1e15) return std::to_string(static_cast<long long>(n)) + suffix;
  }
  std::ostringstream s;
  s.precision(15);
  s << seconds << 's';
  return s.str();
}

long long parse_integer(const std::string& v) {
  long long out = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || ptr != v.data() + v.size() || v.empty()) throw std::invalid_argument(v);
  return out;
}

double parse_number(const std::string& v) {
  std::size_t used = 0;
  double out = 0;
  try {
    out = std::stod(v, &used);
  } catch (const std::exception&) {
    throw std::invalid_argument(v);
  }
  if (used != v.size() || !std::isfinite(out)) throw std::invalid_argument(v);
  return out;
}

namespace {

using OptionSpec = crawl::OptionSpec<Config>;

// The same setter validates a value whether it came from the command line or
// the TOML file, so both report errors the same way.
template <class T>
auto int_in(T Config::*member, long long lo, long long hi) {
  return integer_in<Config>(member, lo, hi);
}

auto seconds_in(double Config::*member, double lo, double hi) { return number_in<Config>(member, lo, hi); }

template <class E>
std::function<void(Config&, const std::string&)> one_of(E Config::*member,
                                                        std::vector<std::pair<std::string, E>> choices) {
  return [=](Config& c, const std::string& v) {
    for (const auto& [name, value] : choices)
      if (v == name) {
        c.*member = value;
        return;
      }
    throw std::invalid_argument(v);
  };
}

// Appends a regular expression after checking that it compiles; the message
// of a bad one names the problem.
std::function<void(Config&, const std::string&)> regex_into(std::vector<std::string> Config::*member) {
  return [=](Config& c, const std::string& v) {
    try {
      boost::regex re(v, boost::regex::ECMAScript);
    } catch (const boost::regex_error& e) {
      throw std::invalid_argument(e.what());
    }
    (c.*member).push_back(v);
  };
}

// Checks one --resolve entry: curl's [+]HOST:PORT:ADDR[,ADDR…], each ADDR an
// IPv4 or IPv6 address (brackets optional). Kept as given: curl parses it.
void check_resolve(const std::string& v) {
  std::string_view rest(v);
  if (rest.starts_with('+')) rest.remove_prefix(1);
  const auto host_end = rest.find(':');
  if (host_end == 0 || host_end == std::string_view::npos) throw std::invalid_argument("no HOST");
  rest.remove_prefix(host_end + 1);
  const auto port_end = rest.find(':');
  if (port_end == std::string_view::npos) throw std::invalid_argument("no ADDR");
  const long long port = parse_integer(std::string(rest.substr(0, port_end)));
  if (port < 1 || port > 65535) throw std::invalid_argument("PORT must be 1 to 65535");
  rest.remove_prefix(port_end + 1);
  for (;;) {
    const auto comma = rest.find(',');
    std::string addr(rest.substr(0, comma));
    if (addr.size() >= 2 && addr.front() == '[' && addr.back() == ']') addr = addr.substr(1, addr.size() - 2);
    unsigned char buf[16];
    if (inet_pton(AF_INET, addr.c_str(), buf) != 1 && inet_pton(AF_INET6, addr.c_str(), buf) != 1)
      throw std::invalid_argument("'" + addr + "' is not an IP address");
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
}

bool to_bool(const std::string& v) {
  if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off") return false;
  throw std::invalid_argument(v);
}

std::vector<OptionSpec> option_specs() {
  auto num = [](auto v) {
    std::ostringstream s;
    s << v;
    return s.str();
  };
  std::vector<OptionSpec> o;
  o.push_back({"mode", "threads|fibers", "fetch strategy: a thread pool of blocking transfers, or coroutines on event loops", "MODE",
               [](const Config& c) { return std::string(to_string(c.mode)); },
               one_of<Mode>(&Config::mode, {{"threads", Mode::threads}, {"fibers", Mode::fibers}})});
  o.push_back({"concurrency", "an integer from 1 to 100000", "transfers in flight at once (threads: pool size)", "N",
               [](const Config&) { return std::string("16 (threads), 512 (fibers)"); },
               int_in(&Config::concurrency, 1, 100000)});
  o.push_back({"loops", "an integer from 1 to 256", "fibers: event loops, each with its own thread and a shard of the hosts", "N",
               [](const Config&) { return std::string("number of cores"); }, int_in(&Config::loops, 1, 256)});
  o.push_back({"store", "sqlite|disk|none", "where pages go", "KIND",
               [](const Config& c) { return std::string(to_string(c.store)); },
               one_of<StoreKind>(&Config::store, {{"sqlite", StoreKind::sqlite},
                                                  {"disk", StoreKind::disk},
                                                  {"none", StoreKind::none}})});
  o.push_back({"out", "a path", "SQLite file (store=sqlite) or directory (store=disk); default crawl.db / crawl-out", "PATH",
               [](const Config& c) { return c.out_path(); },
               non_empty_into(&Config::out)});
  o.push_back({"state", "a path",
               "the crawl state's SQLite file (what lets a stopped crawl resume); default: the database "
               "(store=sqlite), OUT/.crawl/state.db (store=disk), none (store=none)",
               "PATH", [](const Config& c) { return c.state_path().empty() ? std::string("none") : c.state_path(); },
               non_empty_into(&Config::state)});
  o.push_back({"restart", "true|false",
               "start afresh even if the state holds an unfinished crawl: its queue and its record of the URLs "
               "seen are discarded (stored pages are kept)",
               "", [](const Config& c) { return std::string(c.restart ? "true" : "false"); },
               [](Config& c, const std::string& v) { c.restart = to_bool(v); }, OptionKind::flag});
  o.push_back({"memory-queue", "an integer from 1 to 1000000000",
               "queued URLs held in memory when a state is kept; the rest wait in the state file", "N",
               [=](const Config& c) { return num(c.memory_queue); },
               int_in(&Config::memory_queue, 1, 1000000000)});
  const auto duration_in = [](double Config::*member, double lo, double hi) {
    return [=](Config& c, const std::string& v) {
      const double s = parse_duration(v);
      if (s < lo || s > hi) throw std::invalid_argument(v);
      c.*member = s;
    };
  };
  o.push_back({"revisit", "all|adaptive",
               "pages stored by an earlier batch: all: request each again (conditionally: a 304 costs no body); "
               "adaptive: only when its revisit interval has passed (shrinks when the page changes, grows when it "
               "does not); links of pages not requested are followed from the stored copy",
               "POLICY", [](const Config& c) { return std::string(c.revisit_adaptive ? "adaptive" : "all"); },
               [](Config& c, const std::string& v) {
                 if (v != "all" && v != "adaptive") throw std::invalid_argument(v);
                 c.revisit_adaptive = v == "adaptive";
               }});
  o.push_back({"revisit-min", "a duration from 1s to 3650d: a number with s, m, h, d or w",
               "--revisit adaptive: shortest interval between two fetches of a page (also a new page's)", "DURATION",
               [](const Config& c) { return duration_text(c.revisit_min_s); },
               duration_in(&Config::revisit_min_s, 1, 3650 * 86400.0)});
  o.push_back({"revisit-max", "a duration from 1s to 3650d: a number with s, m, h, d or w",
               "--revisit adaptive: longest interval between two fetches of a page", "DURATION",
               [](const Config& c) { return duration_text(c.revisit_max_s); },
               duration_in(&Config::revisit_max_s, 1, 3650 * 86400.0)});
  o.push_back({"every", "a duration from 1s to 3650d: a number with s, m, h, d or w",
               "keep running and start a batch every DURATION (from the start of the previous one; a batch that "
               "overruns delays the next); SIGTERM or Ctrl-C stops", "DURATION",
               [](const Config& c) { return c.every_s > 0 ? duration_text(c.every_s) : std::string("none: one batch"); },
               duration_in(&Config::every_s, 1, 3650 * 86400.0)});
  o.push_back({"keep-versions", "an integer from 1 to 1000000000",
               "history: keep the newest N versions of each page (older bodies are pruned after each completed "
               "batch; the latest copy is always kept)", "N",
               [=](const Config& c) { return c.keep_versions > 0 ? num(c.keep_versions) : std::string("all"); },
               int_in(&Config::keep_versions, 1, 1000000000)});
  o.push_back({"keep-newer-than", "a duration from 1s to 36500d: a number with s, m, h, d or w",
               "history: keep the versions fetched within DURATION (with --keep-versions: either keeps a version)",
               "DURATION",
               [](const Config& c) { return c.keep_newer_than_s > 0 ? duration_text(c.keep_newer_than_s) : std::string("all"); },
               duration_in(&Config::keep_newer_than_s, 1, 36500 * 86400.0)});
  o.push_back({"max-url-length", "an integer from 16 to 1000000",
               "longer URLs are not followed (links, sitemap entries) nor crawled (seeds: reported by line); "
               "2083 as in Scrapy and Heritrix", "N",
               [=](const Config& c) { return num(c.max_url_length); }, int_in(&Config::max_url_length, 16, 1000000)});
  o.push_back({"max-redirect", "an integer from 0 to 100",
               "hops of one redirect chain (each hop is a request of its own: robots.txt, --scope and "
               "--per-host apply to it); the target past the last is recorded as too_many_redirects", "N",
               [=](const Config& c) { return num(c.max_redirects); }, int_in(&Config::max_redirects, 0, 100)});
  o.push_back({"max-path-depth", "an integer from 0 to 10000 (0: no limit)",
               "links whose path has more segments are not followed (a calendar or a symlink loop); 20 as in "
               "Heritrix", "N",
               [=](const Config& c) { return num(c.max_path_depth); }, int_in(&Config::max_path_depth, 0, 10000)});
  o.push_back({"max-path-repeats", "an integer from 0 to 10000 (0: no limit)",
               "links whose path repeats a segment (or a run of segments) more than N times in a row "
               "(/a/b/a/b/a/b/) are not followed; 2 as in Heritrix", "N",
               [=](const Config& c) { return num(c.max_path_repeats); }, int_in(&Config::max_path_repeats, 0, 10000)});
  o.push_back({"max-links-per-page", "an integer from 0 to 100000000 (0: no limit)",
               "links taken from one page, in document order; 6000 as in Heritrix", "N",
               [=](const Config& c) { return num(c.max_links_per_page); },
               int_in(&Config::max_links_per_page, 0, 100000000)});
  o.push_back({"max-sitemap-urls", "an integer from 0 to 100000000 (0: no limit)",
               "URLs (and nested sitemaps) taken from one sitemap; 50000 as the sitemap protocol allows", "N",
               [=](const Config& c) { return num(c.max_sitemap_urls); },
               int_in(&Config::max_sitemap_urls, 0, 100000000)});
  o.push_back({"max-urls-per-host", "an integer >= 0 (0: no limit)",
               "URLs queued for one host in a crawl (links, sitemap entries, redirects); the rest are dropped "
               "and counted", "N",
               [=](const Config& c) { return c.max_urls_per_host > 0 ? num(c.max_urls_per_host) : std::string("none"); },
               int_in(&Config::max_urls_per_host, 0, INT64_MAX)});
  o.push_back({"max-depth", "an integer from 0 to 1000000", "link depth to follow from the seeds (0: seeds only)", "N",
               [=](const Config& c) { return num(c.max_depth); }, int_in(&Config::max_depth, 0, 1000000)});
  o.push_back({"max-pages", "an integer >= 0 (0: no limit)", "stop after this many fetches", "N",
               [=](const Config& c) { return num(c.max_pages); },
               int_in(&Config::max_pages, 0, INT64_MAX)});
  o.push_back({"scope", "host|domain|any",
               "host: follow links only to the seeds' hosts; domain: to their registrable domains (public suffix list); "
               "any: follow every link",
               "SCOPE", [](const Config& c) { return std::string(to_string(c.scope)); },
               one_of<Scope>(&Config::scope, {{"host", Scope::host}, {"domain", Scope::domain}, {"any", Scope::any}})});
  o.push_back({"include", "an ECMAScript regular expression", "follow only links matching one of these (repeatable)",
               "REGEX", [](const Config&) { return std::string("none"); }, regex_into(&Config::include), OptionKind::repeatable});
  o.push_back({"exclude", "an ECMAScript regular expression", "never follow links matching one of these (repeatable)",
               "REGEX", [](const Config&) { return std::string("none"); }, regex_into(&Config::exclude), OptionKind::repeatable});
  o.push_back({"max-pages-per-host", "an integer >= 0 (0: no limit)", "fetch at most this many pages per host", "N",
               [=](const Config& c) { return num(c.max_pages_per_host); },
               int_in(&Config::max_pages_per_host, 0, INT64_MAX)});
  o.push_back({"per-host", "an integer from 1 to 1000", "transfers in flight at once per host", "N",
               [=](const Config& c) { return num(c.per_host); }, int_in(&Config::per_host, 1, 1000)});
  o.push_back({"delay", "milliseconds, an integer from 0 to 3600000", "minimum time between two request starts on one host", "MS",
               [=](const Config& c) { return num(c.delay_ms); }, int_in(&Config::delay_ms, 0, 3600000)});
  o.push_back({"ignore-robots", "true|false", "do not fetch or obey robots.txt", "",
               [](const Config& c) { return std::string(c.ignore_robots ? "true" : "false"); },
               [](Config& c, const std::string& v) { c.ignore_robots = to_bool(v); }, OptionKind::flag});
  o.push_back({"sitemaps", "true|false", "also crawl the pages listed in the sitemaps named by robots.txt", "",
               [](const Config& c) { return std::string(c.sitemaps ? "true" : "false"); },
               [](Config& c, const std::string& v) { c.sitemaps = to_bool(v); }, OptionKind::flag});
  o.push_back({"max-crawl-delay", "seconds, a number from 0 to 86400",
               "cap on the per-host wait a server asks for (robots.txt Crawl-delay, Retry-After, back-off)", "SECONDS",
               [=](const Config& c) { return num(c.max_crawl_delay_s); },
               seconds_in(&Config::max_crawl_delay_s, 0, 86400)});
  o.push_back({"ignore-nofollow", "true|false", "follow rel=nofollow links and store noindex pages", "",
               [](const Config& c) { return std::string(c.ignore_nofollow ? "true" : "false"); },
               [](Config& c, const std::string& v) { c.ignore_nofollow = to_bool(v); }, OptionKind::flag});
  o.push_back({"html-parser", "html5|libxml2|gumbo",
               "how pages are read for links: html5 (our streaming HTML5 tokenizer, the default; also "
               "accepted as fast), libxml2 (libxml2's streaming HTML parser, not HTML5) or gumbo (an HTML5 "
               "tree, the reference, ten times slower)",
               "PARSER", [](const Config& c) { return std::string(to_string(c.html_parser)); },
               [](Config& c, const std::string& v) {
                 if (v == "html5" || v == "fast") c.html_parser = HtmlParser::html5;  // fast: the default's earlier name
                 else if (v == "libxml2") c.html_parser = HtmlParser::libxml2;
                 else if (v == "gumbo") c.html_parser = HtmlParser::gumbo;
                 else throw std::invalid_argument(v);
               }});
  o.push_back({"retries", "an integer from 0 to 100",
               "retry a URL this many times after a connection error, timeout, 5xx or 429", "N",
               [=](const Config& c) { return num(c.retries); }, int_in(&Config::retries, 0, 100)});
  o.push_back({"max-host-failures", "an integer from 1 to 1000000",
               "give a host up after this many connection failures in a row", "N",
               [=](const Config& c) { return num(c.max_host_failures); },
               int_in(&Config::max_host_failures, 1, 1000000)});
  o.push_back({"timeout", "seconds, a number from 0.001 to 86400", "maximum time for one transfer, redirects included", "SECONDS",
               [=](const Config& c) { return num(c.timeout_s); }, seconds_in(&Config::timeout_s, 0.001, 86400)});
  o.push_back({"connect-timeout", "seconds, a number from 0.001 to 86400", "maximum time to connect", "SECONDS",
               [=](const Config& c) { return num(c.connect_timeout_s); },
               seconds_in(&Config::connect_timeout_s, 0.001, 86400)});
  o.push_back({"max-size", "bytes, optionally with k, M or G (binary)", "abort a transfer whose body exceeds this", "BYTES",
               [=](const Config& c) { return num(c.max_size); },
               [](Config& c, const std::string& v) {
                 c.max_size = parse_size(v);
                 if (c.max_size < 1) throw std::invalid_argument(v);
               }});
  o.push_back({"user-agent", "a non-empty string", "User-Agent header", "STR",
               [](const Config& c) { return c.user_agent; },
               [](Config& c, const std::string& v) {
                 if (v.empty() || v.find_first_of("\r\n") != std::string::npos) throw std::invalid_argument(v);
                 c.user_agent = v;
               }});
  o.push_back({"no-cookies", "true|false",
               "keep no cookies: a Set-Cookie is ignored and no Cookie is sent (by default, as in wget, Scrapy and "
               "Heritrix, every transfer shares one jar)", "",
               [](const Config& c) { return std::string(c.cookies ? "false" : "true"); },
               [](Config& c, const std::string& v) { c.cookies = !to_bool(v); }, OptionKind::flag});
  o.push_back({"load-cookies", "a path (a Netscape-format cookie file, as curl -c and wget --save-cookies write)",
               "start with the cookies of FILE (a missing file: none, so one file can be loaded and saved by every "
               "batch)", "FILE", [](const Config& c) { return c.load_cookies.empty() ? std::string("none") : c.load_cookies; },
               non_empty_into(&Config::load_cookies)});
  o.push_back({"save-cookies", "a path (its directory must exist and be writable)",
               "at the end, write every cookie held (session cookies too) to FILE in the Netscape format", "FILE",
               [](const Config& c) { return c.save_cookies.empty() ? std::string("none") : c.save_cookies; },
               non_empty_into(&Config::save_cookies)});
  o.push_back({"max-body-memory", "bytes, optionally with k, M or G (binary); 0: no limit",
               "response bodies held in memory at once, all transfers together; past it a body goes to an "
               "unlinked temporary file in $TMPDIR until it is read", "BYTES",
               [=](const Config& c) { return num(c.max_body_memory); },
               [](Config& c, const std::string& v) { c.max_body_memory = parse_size(v); }});
  o.push_back({"warc", "a path prefix (PREFIX-00000.warc.gz, …; its directory must exist and be writable)",
               "also archive every exchange as WARC/1.1 records into PREFIX-NNNNN.warc.gz, with a CDXJ index "
               "PREFIX-NNNNN.cdxj beside each", "PREFIX",
               [](const Config& c) { return c.warc.empty() ? std::string("none") : c.warc; },
               [](Config& c, const std::string& v) {
                 if (v.empty()) throw std::invalid_argument(v);
                 c.warc = v;
               }});
  o.push_back({"warc-max-size", "bytes, optionally with k, M or G (binary), at least 1k",
               "start a new WARC file once one is past this size", "BYTES",
               [=](const Config& c) { return num(c.warc_max_size); },
               [](Config& c, const std::string& v) {
                 c.warc_max_size = parse_size(v);
                 if (c.warc_max_size < 1024) throw std::invalid_argument(v);
               }});
  o.push_back({"warc-gzip-level", "an integer from 0 (stored, not compressed) to 12 (smallest)",
               "compression level of the WARC records' gzip members (0: stored, the cheapest, files 3-4 times larger "
               "on HTML; 1: ISA-L's igzip, twice libdeflate's level 1 for files 6% larger; 2-12: libdeflate's levels; "
               "on HTML, 6 takes 4 times the CPU of 1 for files 11% smaller)", "N",
               [=](const Config& c) { return num(c.warc_gzip_level); }, int_in(&Config::warc_gzip_level, 0, 12)});
  o.push_back({"allow-private", "true|false",
               "also connect to loopback, private, link-local and other special-purpose addresses (by default only "
               "the seeds' own hosts and the ranges of seeds given as IP addresses may be)",
               "", [](const Config& c) { return std::string(c.allow_private ? "true" : "false"); },
               [](Config& c, const std::string& v) { c.allow_private = to_bool(v); }, OptionKind::flag});
  o.push_back({"resolve", "HOST:PORT:ADDR[,ADDR...] (curl's --resolve)",
               "connect to ADDR for HOST on PORT instead of resolving HOST (repeatable)", "HOST:PORT:ADDR",
               [](const Config&) { return std::string("none"); },
               [](Config& c, const std::string& v) {
                 check_resolve(v);
                 c.resolve.push_back(v);
               },
               OptionKind::repeatable});
  o.push_back({"log-level", "trace|debug|info|warn|error|off", "log verbosity", "LEVEL",
               [](const Config& c) { return c.log_level; },
               [](Config& c, const std::string& v) {
                 for (const char* ok : {"trace", "debug", "info", "warn", "error", "off"})
                   if (v == ok) {
                     c.log_level = v;
                     return;
                   }
                 throw std::invalid_argument(v);
               }});
  o.push_back({"log-file", "a path", "also write the log to this file", "PATH", [](const Config& c) { return c.log_file; },
               [](Config& c, const std::string& v) { c.log_file = v; }});
  o.push_back({"quiet", "true|false", "no progress line, only warnings and errors in the log", "",
               [](const Config& c) { return std::string(c.quiet ? "true" : "false"); },
               [](Config& c, const std::string& v) { c.quiet = to_bool(v); }, OptionKind::flag, "-q"});
  o.push_back({"stats-json", "a path", "at the end, write the run's figures to this file as JSON", "PATH",
               [](const Config& c) { return c.stats_json; },
               non_empty_into(&Config::stats_json)});
  return o;
}

std::string toml_scalar(const toml::node& node) {
  if (auto s = node.value<std::string>(); s && node.is_string()) return *s;
  if (node.is_integer()) return std::to_string(*node.value<std::int64_t>());
  if (node.is_floating_point()) {
    std::ostringstream s;
    s << *node.value<double>();
    return s.str();
  }
  if (node.is_boolean()) return *node.value<bool>() ? "true" : "false";
  throw std::invalid_argument("not a scalar");
}

}  // namespace

std::vector<OptionsFileEntry> read_options_file(const std::string& flag, const std::string& path) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << flag << " " << path << ": ";
    if (e.source().begin.line > 0) msg << "line " << e.source().begin.line << ": ";
    msg << e.description();
    throw UsageError(msg.str());
  }
  std::vector<OptionsFileEntry> entries;
  for (const auto& [key, node] : table) {
    OptionsFileEntry entry;
    entry.key = std::string(key.str());
    try {
      if (const auto* array = node.as_array()) {
        entry.array = true;
        for (const auto& element : *array) entry.values.push_back(toml_scalar(element));
      } else {
        entry.values.push_back(toml_scalar(node));
      }
    } catch (const std::invalid_argument&) {
      entry.values.clear();
      entry.shape_error = true;
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

ParsedArgs parse_args(int argc, const char* const* argv) {
  OptionTable<Config> table(option_specs());
  CLI::App app{
      "crawl: fetch the URLs in URLS_FILE and the pages they link to, and store every page.\n"
      "URLS_FILE: one URL per line, optional priority after it (lower first), # comments.",
      "crawl"};
  app.set_version_flag("--version", "crawl " CRAWL_VERSION_STRING);
  app.get_formatter()->column_width(34);
  std::string urls_file, config_file;
  app.add_option("URLS_FILE", urls_file, "the URL list to crawl")->required()->type_name("FILE");
  app.add_option("--config", config_file, "TOML file whose keys are the long options (e.g. per-host = 4)")
      ->type_name("FILE")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  table.add_to(app, Config{});
  table.option("mode")->check(CLI::IsMember({"threads", "fibers"}));  // nicer help for the most used choice

  ParsedArgs parsed;
  if (auto early = parse_command_line(app, argc, argv)) {  // --help / --version
    parsed.exit_code = early->exit_code;
    parsed.output = std::move(early->output);
    return parsed;
  }
  Config c;
  c.urls_file = urls_file;
  c.config_file = config_file;
  table.apply(c, config_file, config_file.empty() ? std::vector<OptionsFileEntry>{}
                                                  : read_options_file("--config", config_file));
  // Defaults that depend on other settings.
  if (c.concurrency == 0) c.concurrency = c.mode == Mode::fibers ? kFibersConcurrency : kThreadsConcurrency;
  if (c.revisit_min_s > c.revisit_max_s)
    throw UsageError("--revisit-min (" + std::to_string(static_cast<long long>(c.revisit_min_s)) +
                     " s) must not exceed --revisit-max (" +
                     std::to_string(static_cast<long long>(c.revisit_max_s)) + " s)");
  if (!c.cookies && (!c.load_cookies.empty() || !c.save_cookies.empty()))
    throw UsageError(std::string("--no-cookies keeps no cookies: it cannot go with --") +
                     (c.load_cookies.empty() ? "save-cookies" : "load-cookies"));
  if (c.loops == 0) c.loops = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  parsed.config = std::move(c);
  return parsed;
}

}  // namespace crawl
