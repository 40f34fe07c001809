// Config: every setting of a crawl, from the command line and an optional
// TOML file (--config). The only place where options are named, defaulted and
// validated; knows nothing of curl or SQLite.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace crawl {

enum class Mode { threads, fibers };
enum class StoreKind { sqlite, disk, none };
enum class Scope { host, domain, any };
// --html-parser: which link extractor of web/links.h reads pages.
enum class HtmlParser { html5, libxml2, gumbo };

const char* to_string(Mode m);
const char* to_string(StoreKind s);
const char* to_string(Scope s);
const char* to_string(HtmlParser p);

inline constexpr int kThreadsConcurrency = 16;
inline constexpr int kFibersConcurrency = 512;

struct Config {
  std::string urls_file;
  std::string config_file;                 // --config, "" if none
  Mode mode = Mode::fibers;
  int concurrency = 0;                     // 0 until parsed: then 16 (threads) or 512 (fibers)
  int loops = 0;                           // fibers' event loops; 0 until parsed: then the core count
  StoreKind store = StoreKind::sqlite;
  std::string out;                         // "" → crawl.db (sqlite) / crawl-out (disk)
  int max_depth = 5;                       // wget's -l default
  std::int64_t max_url_length = 2083;      // longer links are not followed (Scrapy's and Heritrix's bound)
  int max_redirects = 10;                  // --max-redirect: hops of one redirect chain (wget's name)
  int max_path_depth = 20;                 // path segments (Heritrix's TooManyPathSegmentsDecideRule)
  int max_path_repeats = 2;                // consecutive repeats of a segment run (Heritrix's PathologicalPath)
  std::int64_t max_links_per_page = 6000;  // links taken from one page (Heritrix's CrawlURI max outlinks)
  std::int64_t max_sitemap_urls = 50000;   // URLs taken from one sitemap (the sitemap protocol's limit)
  std::int64_t max_urls_per_host = 1000000;  // URLs queued per host in one crawl (0 = unlimited)
  std::int64_t max_pages = 0;              // 0 = unlimited
  Scope scope = Scope::host;
  std::vector<std::string> include;        // --include REGEX: follow only links matching one (if any given)
  std::vector<std::string> exclude;        // --exclude REGEX: never follow links matching one
  std::int64_t max_pages_per_host = 0;     // 0 = unlimited
  int per_host = 2;
  int delay_ms = 0;
  bool ignore_robots = false;
  bool sitemaps = false;                   // seed the Sitemap: URLs of each host's robots.txt
  double max_crawl_delay_s = 30;           // cap on Crawl-delay, Retry-After and back-off
  bool ignore_nofollow = false;
  HtmlParser html_parser = HtmlParser::html5;  // --html-parser
  int retries = 2;                         // extra attempts after a retryable failure
  int max_host_failures = 5;               // consecutive connection failures before a host is given up
  double timeout_s = 30;
  double connect_timeout_s = 10;
  std::int64_t max_size = 10 * 1024 * 1024;
  std::string user_agent = "crawl/0.1";
  bool cookies = true;                     // keep and send cookies (wget's default); --no-cookies: none
  std::string load_cookies;                // --load-cookies FILE: a Netscape cookie file read first ("" = none)
  std::string save_cookies;                // --save-cookies FILE: the jar written there at the end ("" = no)
  bool allow_private = false;              // --allow-private: connect to loopback/private/special addresses too
  std::vector<std::string> resolve;        // --resolve HOST:PORT:ADDR[,ADDR…] (curl's), each as given
  std::int64_t max_body_memory = 256 * 1024 * 1024;  // --max-body-memory: body bytes held in memory at once (0: no limit)
  std::string warc;                        // --warc PREFIX: also write PREFIX-00000.warc.gz, … ("" = no)
  std::int64_t warc_max_size = 1LL << 30;  // --warc-max-size: a WARC file is closed past this many bytes
  int warc_gzip_level = 1;                 // --warc-gzip-level: 0 stored, 1 ISA-L's fastest, 2–12 libdeflate's levels (… 12 smallest)
  std::string log_level = "info";
  std::string log_file;
  bool quiet = false;
  std::string stats_json;                  // write the run's figures as JSON here at the end ("" = no)
  std::string state;                       // --state PATH: the crawl state's database ("" = the default)
  bool restart = false;                    // --restart: discard an unfinished crawl instead of resuming it
  std::int64_t memory_queue = 100000;      // queued URLs held in memory when a state is kept
  bool revisit_adaptive = false;           // --revisit adaptive (default: all)
  double revisit_min_s = 3600;             // --revisit-min
  double revisit_max_s = 30 * 86400.0;     // --revisit-max
  double every_s = 0;                      // --every: start a batch every this many seconds (0: one batch)
  std::int64_t keep_versions = 0;          // --keep-versions: newest versions kept per page (0: all)
  double keep_newer_than_s = 0;            // --keep-newer-than: versions younger than this kept (0: all)
  // Not an option: the batch's clock for revisit intervals, when set (the
  // CRAWL_BATCH_TIME environment variable: tests move time with it).
  std::optional<std::chrono::system_clock::time_point> batch_time;

  // The effective output path (out, or the default for the store kind).
  std::string out_path() const;
  // Where the crawl state lives: --state, else the database (sqlite), else
  // OUT/.crawl/state.db (disk); "" when none is kept (--store none).
  std::string state_path() const;
  // One line "mode=threads concurrency=16 …" for logs and the runs table.
  std::string summary() const;
};

// Bad command line or config file. what() names the flag or key and what is
// allowed; the program prints it and exits with exit_code (2, like curl/wget
// usage errors).
class UsageError : public std::runtime_error {
 public:
  explicit UsageError(const std::string& msg) : std::runtime_error(msg) {}
  int exit_code = 2;
};

// Result of parsing: either a config to run, or an exit (after --help,
// --version) with what to print.
struct ParsedArgs {
  std::optional<Config> config;
  int exit_code = 0;
  std::string output;  // help/version text to print on stdout
};

// Parses argv (argv[0] is the program name). The command line wins over the
// --config file. Throws UsageError on any invalid flag, key, value or a
// missing/unparsable file.
ParsedArgs parse_args(int argc, const char* const* argv);

// One top-level key of a TOML options file (--config, crawl bench's
// --workload) with its value as text: a scalar gives one value, an array of
// scalars several (`array` set). Any other shape (a table, nested arrays) gives
// no values and `shape_error`, for the caller to say what it allows.
struct OptionsFileEntry {
  std::string key;
  std::vector<std::string> values;
  bool array = false;
  bool shape_error = false;
};

// Reads a TOML options file, keys in file order. Throws UsageError naming
// `flag` and `path` (and the line of a syntax error) when it cannot be read.
std::vector<OptionsFileEntry> read_options_file(const std::string& flag, const std::string& path);

// Whole-string numbers for option values ("12", "0.5"); anything else, or
// trailing characters, throws std::invalid_argument.
long long parse_integer(const std::string& text);
double parse_number(const std::string& text);

// Parses "10M", "512k", "2G", "1000" (bytes; binary multiples). Throws
// std::invalid_argument on anything else.
std::int64_t parse_size(const std::string& text);

// Parses a duration into seconds: a number with an optional unit, s
// (default), m, h, d or w: "90", "90s", "30m", "6h", "1.5d", "2w". Throws
// std::invalid_argument on anything else (negative included).
double parse_duration(const std::string& text);

// A duration as parse_duration() reads it back, in the largest unit that
// holds it whole (d, h, m, else s; weeks are left as days): 2592000 ->
// "30d", 5400 -> "90m", 1.5 -> "1.5s".
std::string duration_text(double seconds);

}  // namespace crawl
