#include "bench/bench_options.h"

#include <fmt/format.h>

#include <climits>

#include "bench/bench_report.h"
#include "config/config.h"
#include "config/option_table.h"
#include "core/child_process.h"

namespace crawl::bench {
namespace {

// Where an option applies: the spec's tag.
enum Applies { kBoth = 0, kSimulated = 1, kUrls = 2 };

using Spec = OptionSpec<BenchOptions>;
using O = BenchOptions;

std::function<std::string(const O&)> none_shown() {
  return [](const O&) { return std::string(); };
}

std::vector<Spec> simulated_web_specs() {
  return {
      {"hosts", "an integer from 1 to 10000", "simulated web: hosts (127.0.1.1, 127.0.1.2, …)", "N", shown(&O::hosts),
       integer_in(&O::hosts, 1, 10000), OptionKind::value, "", kSimulated},
      {"pages", "an integer from 1 to 1000000", "simulated web: pages per host (plus a root page)", "N",
       shown(&O::pages), integer_in(&O::pages, 1, 1000000), OptionKind::value, "", kSimulated},
      {"page-size", "bytes from 0 to 64M, optionally with k or M (binary)", "simulated web: body size of a page",
       "BYTES", shown(&O::page_size),
       [](O& o, const std::string& v) {
         std::int64_t n = 0;
         try {
           n = parse_size(v);
         } catch (const std::invalid_argument&) {
           throw std::invalid_argument(v);
         }
         if (n > (64 << 20)) throw std::invalid_argument(v);
         o.page_size = n;
       },
       OptionKind::value, "", kSimulated},
      {"links", "an integer from 0 to 1000",
       "simulated web: extra same-host links per page (how fast pages are discovered)", "N", shown(&O::links),
       integer_in(&O::links, 0, 1000), OptionKind::value, "", kSimulated},
      {"delay", "milliseconds, an integer from 0 to 60000",
       "simulated web: response delay (the lower bound when --delay-max is larger)", "MS", shown(&O::delay_ms),
       integer_in(&O::delay_ms, 0, 60000), OptionKind::value, "", kSimulated},
      {"delay-max", "milliseconds, an integer from 0 to 60000 (0 or <= --delay: fixed delay)",
       "simulated web: response delays drawn uniformly from [--delay, --delay-max]", "MS", shown(&O::delay_max_ms),
       integer_in(&O::delay_max_ms, 0, 60000), OptionKind::value, "", kSimulated},
      {"error-rate", "a number from 0 to 0.99", "simulated web: fraction of pages answering HTTP 500", "F",
       shown(&O::error_rate), number_in(&O::error_rate, 0, 0.99), OptionKind::value, "", kSimulated},
      {"seed", "an integer from 0 to 2^63", "simulated web: seed of the delays and of the error pages", "N",
       shown(&O::seed), integer_in(&O::seed, 0, INT64_MAX), OptionKind::value, "", kSimulated},
      {"server-threads", "an integer from 1 to 64", "simulated web: threads of crawl-testserver", "N",
       shown(&O::server_threads), integer_in(&O::server_threads, 1, 64), OptionKind::value, "", kSimulated},
      {"wget2", "true|false",
       "simulated web: also run `wget2 -r --max-threads=<the matrix's highest concurrency>` as an extra row "
       "(wget2 must be on PATH)",
       "", none_shown(), [](O& o, const std::string& v) {
         if (v != "true" && v != "false") throw std::invalid_argument(v);
         o.wget2 = v == "true";
       }, OptionKind::flag, "",
       kSimulated},
      {"scale", "an integer from 2 to 1000000",
       "simulated web, instead of the matrix: N transfers in flight at once (fibers), memory per transfer", "N",
       none_shown(), integer_in(&O::scale, 2, 1000000), OptionKind::value, "", kSimulated},
  };
}

std::vector<Spec> crawl_specs() {
  return {
      {"strategies", "MODE:N[,N…] groups, e.g. \"threads:8,64 fibers:64,512\"; modes: threads, fibers",
       "the matrix: modes × --concurrency values", "LIST", shown(&O::strategies),
       [](O& o, const std::string& v) {
         parse_strategies(v);  // throws with the reason
         o.strategies = v;
       },
       OptionKind::joined},
      {"repeat", "an integer from 1 to 100", "runs of every strategy (order reversed every other time)", "R",
       shown(&O::repeat), integer_in(&O::repeat, 1, 100)},
      {"per-host", "an integer from 1 to 1000", "crawl --per-host of every run (politeness)", "N",
       shown(&O::per_host), integer_in(&O::per_host, 1, 1000)},
      {"timeout", "seconds, a number from 0.001 to 86400", "crawl --timeout of every run", "SECONDS",
       shown(&O::timeout_s), number_in(&O::timeout_s, 0.001, 86400)},
      {"max-depth", "an integer from 0 to 1000000",
       "URL list: crawl --max-depth of every run (0: the listed URLs only)", "N", shown(&O::max_depth),
       integer_in(&O::max_depth, 0, 1000000), OptionKind::value, "", kUrls},
      {"max-pages", "an integer >= 0 (0: no limit)", "URL list: crawl --max-pages of every run", "N",
       shown(&O::max_pages), integer_in(&O::max_pages, 0, INT64_MAX), OptionKind::value, "", kUrls},
      {"store", "sqlite|disk|none", "crawl --store of every run (none: measure fetching only)", "KIND",
       shown(&O::store),
       [](O& o, const std::string& v) {
         if (v != "sqlite" && v != "disk" && v != "none") throw std::invalid_argument(v);
         o.store = v;
       }},
      {"out", "a path", "with --store: where every run stores (default: a temporary path, deleted)", "PATH",
       [](const O& o) { return o.out.empty() ? std::string("a temporary path") : o.out; }, non_empty_into(&O::out)},
  };
}

std::vector<Spec> output_specs() {
  return {
      {"json", "a path", "also write the figures, every run included, as JSON", "FILE", none_shown(),
       non_empty_into(&O::json)},
      {"csv", "a path", "also write one CSV line per strategy (median, min, max of every figure)", "FILE",
       none_shown(), non_empty_into(&O::csv)},
      {"chart", "a path", "also draw pages/s and CPU per page against concurrency as an SVG chart", "FILE.svg",
       none_shown(), non_empty_into(&O::chart)},
  };
}

std::vector<Spec> bench_specs() {
  std::vector<Spec> s = simulated_web_specs();
  for (auto&& group : {crawl_specs(), output_specs()}) s.insert(s.end(), group.begin(), group.end());
  return s;
}

std::string help_footer() {
  return fmt::format(
      "\nWithout URLS_FILE the workload is the simulated web, served on 127.0.1.x by crawl-testserver\n"
      "(next to this program) in a process of its own; with it, the URLs of that list (politely:\n"
      "--per-host, robots.txt obeyed).\n"
      "Every run is `crawl` in a child process with --mode, --concurrency, --per-host, --timeout,\n"
      "--store none (unless --store), --stats-json and --quiet; on the simulated web also\n"
      "--max-depth 1000000 and, unless given after --, --ignore-robots --retries 0\n"
      "--max-crawl-delay 0: every page fetched once, its 500s causing no back-off.\n"
      "x ideal: wall time ÷ (pages × delay ÷ min(concurrency, hosts × per-host)); with --delay-max\n"
      "the delay is the mean of the range.\n"
      "--scale N: N seeds over N/per-host hosts, each response delayed --delay (default {} ms here),\n"
      "crawled by fibers at --concurrency N and at the host count; prints memory per in-flight transfer.\n"
      "Crawl options after `--` are given to every run, e.g. `crawl bench -- --loops 1`.\n"
      "--workload FILE.toml sets any option above by its long name (hosts = 50,\n"
      "strategies = \"threads:8,64 fibers:64,512\"); the command line wins; given twice, the last wins.\n"
      "Default matrix: {}.\n"
      "Exit codes: 0 done, 1 a run failed or pages counted != pages served, 2 bad option,\n"
      "3 an output file cannot be written or crawl-testserver is missing, 130/143 interrupted\n"
      "(runs so far are reported).\n",
      kScaleDelayMs, kDefaultStrategies);
}

// Crawl options the bench sets itself, refused after "--".
const char* const kManagedCrawlOptions[] = {"--mode",  "--concurrency", "--per-host", "--timeout",   "--store",
                                            "--out",   "--stats-json",  "--quiet",    "-q",          "--config",
                                            "--max-depth", "--max-pages", "--help", "-h", "--version"};

// Options that mean nothing to --scale (it prints its own table).
const char* const kNotWithScale[] = {"strategies", "repeat", "store", "out", "json", "csv", "chart", "wget2",
                                     "delay-max", "error-rate"};

void check_crawl_args(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    const std::string name = a.substr(0, a.find('='));
    for (const char* managed : kManagedCrawlOptions)
      if (name == managed)
        throw UsageError("after --: " + name +
                         " is set by crawl bench itself (see --strategies, --per-host, --timeout, --store, --out, "
                         "--max-depth, --max-pages)");
  }
  // Parse them as crawl would, so a typo fails now rather than in every run.
  std::vector<const char*> argv{"crawl", "urls.txt"};
  for (const auto& a : args) argv.push_back(a.c_str());
  try {
    parse_args(static_cast<int>(argv.size()), argv.data());
  } catch (const UsageError& e) {
    throw UsageError(std::string("after --: ") + e.what());
  }
}

// Checks across options, once all are applied.
void check_combination(const BenchOptions& o) {
  if (o.scale == 0 && o.delay_max_ms > 0 && o.delay_max_ms < o.delay_ms)  // --scale: a fixed delay
    throw UsageError(fmt::format("--delay-max {} is below --delay {}; allowed: 0 (a fixed delay) or >= --delay",
                                 o.delay_max_ms, o.delay_ms));
  if (!o.out.empty() && o.store == "none") throw UsageError("--out " + o.out + " needs --store sqlite or --store disk");
  if (o.scale > 0)
    for (const char* name : kNotWithScale)
      if (o.given.count(name))
        throw UsageError(std::string("--") + name + " does not apply to --scale (it runs fibers only and prints its "
                                                    "own table)");
  if (o.wget2 && !on_path("wget2"))
    throw UsageError("--wget2: no wget2 on PATH; install it (apt-get install wget2) or leave --wget2 out");
  check_crawl_args(o.crawl_args);
}

}  // namespace

std::vector<std::string> simulated_web_crawl_defaults(const std::vector<std::string>& crawl_args) {
  // The site has no robots.txt; its 500s are to be counted, not retried; and
  // the back-off they would cause measures the politeness policy rather than
  // the fetch strategy.
  static const std::pair<const char*, const char*> kDefaults[] = {
      {"--ignore-robots", ""}, {"--retries", "0"}, {"--max-crawl-delay", "0"}};
  std::vector<std::string> out;
  for (const auto& [name, value] : kDefaults) {
    bool given = false;
    for (const auto& a : crawl_args) given = given || a == name || a.rfind(std::string(name) + "=", 0) == 0;
    if (given) continue;
    out.push_back(name);
    if (*value) out.push_back(value);
  }
  return out;
}

ParsedBench parse_bench_args(int argc, const char* const* argv) {
  // Everything after the first "--" is for the crawls.
  std::vector<const char*> own{argv, argv + argc};
  std::vector<std::string> crawl_args;
  for (std::size_t i = 1; i < own.size(); ++i)
    if (std::string_view(own[i]) == "--") {
      crawl_args.assign(own.begin() + static_cast<std::ptrdiff_t>(i) + 1, own.end());
      own.resize(i);
      break;
    }

  OptionTable<BenchOptions> table(bench_specs());
  CLI::App app{
      "crawl bench: compare fetch strategies (--mode × --concurrency) on the simulated web or on a URL list.\n"
      "Prints per strategy the median and min-max over the repeats of wall time, pages/s, MB/s, fetch\n"
      "latency p50/p95/p99, CPU (user+sys), peak RSS and errors.",
      "crawl bench"};
  app.get_formatter()->column_width(36);
  app.footer(help_footer());
  BenchOptions o;
  app.add_option("URLS_FILE", o.urls_file, "a URL list to crawl instead of the simulated web")->type_name("FILE");
  app.add_option("--workload", o.workload_file, "TOML file setting any of the options below by long name")
      ->type_name("FILE.toml")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  table.add_to(app, BenchOptions{});

  ParsedBench parsed;
  if (auto early = parse_command_line(app, static_cast<int>(own.size()), own.data())) {
    parsed.exit_code = early->exit_code;
    parsed.output = std::move(early->output);
    return parsed;
  }
  o.crawl_args = crawl_args;
  const auto check_scope = [&](const Spec& spec, const std::string& where) {
    if (spec.tag == kSimulated && !o.simulated())
      throw UsageError(where + " describes the simulated web; it cannot be used with a URLS_FILE");
    if (spec.tag == kUrls && o.simulated())
      throw UsageError(where + " applies to a URLS_FILE bench only (the simulated web is always crawled whole)");
    o.given.insert(spec.name);
  };
  table.apply(o, o.workload_file,
              o.workload_file.empty() ? std::vector<OptionsFileEntry>{}
                                      : read_options_file("--workload", o.workload_file),
              check_scope);
  check_combination(o);
  parsed.options = std::move(o);
  return parsed;
}

}  // namespace crawl::bench
