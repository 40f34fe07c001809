// `crawl bench`: the real binary end to end on a tiny simulated web and on a
// URL list served by the in-process test server (table, JSON, CSV and SVG
// produced and parsed, one entry per strategy, pages counted == pages
// served); its option errors; and the pure parts (strategy matrix parsing,
// medians, table layout). No timing is asserted.
#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <boost/json.hpp>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "app/run_stats.h"
#include "bench/bench_report.h"
#include "core/child_process.h"
#include "tests/test_util.h"
#include "tools/testserver/test_server.h"

namespace crawl {
namespace {

namespace json = boost::json;
using testing::read_file;
using testing::run_crawl;
using testing::TempDir;
using testing::write_file;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

json::value parse_json_file(const std::filesystem::path& p) {
  boost::system::error_code ec;
  json::value v = json::parse(read_file(p), ec);
  EXPECT_FALSE(ec) << p << ": " << ec.message() << "\n" << read_file(p);
  return v;
}

double number(const json::value& v) { return v.to_number<double>(); }

std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> cells;
    std::string cell;
    std::istringstream fields(line);
    while (std::getline(fields, cell, ',')) cells.push_back(cell);
    if (line.back() == ',') cells.emplace_back();
    rows.push_back(std::move(cells));
  }
  return rows;
}

struct XmlDocDeleter {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};

// Counts elements named `name` under `node`, and collects all text.
void walk(xmlNode* node, const char* name, int& count, std::string& text) {
  for (xmlNode* n = node; n; n = n->next) {
    if (n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST name)) ++count;
    if (n->type == XML_TEXT_NODE && n->content) text += reinterpret_cast<const char*>(n->content);
    walk(n->children, name, count, text);
  }
}

TEST(BenchEndToEnd, SimulatedWebGivesTableJsonCsvAndSvgWithOneEntryPerStrategy) {
  TempDir dir;
  const auto json_path = dir / "bench.json";
  const auto csv_path = dir / "bench.csv";
  const auto svg_path = dir / "bench.svg";
  auto r = run_crawl({"bench", "--hosts", "2", "--pages", "10", "--page-size", "2k", "--delay", "1", "--delay-max",
                      "4", "--error-rate", "0.2", "--strategies", "threads:2 fibers:4", "--repeat", "2", "--json",
                      json_path.string(), "--csv", csv_path.string(), "--chart", svg_path.string()},
                     dir.path());
  ASSERT_EQ(r.code, 0) << r.out << r.err;

  // The table: a header, a median row and a min-max row per strategy.
  EXPECT_TRUE(contains(r.out, "strategy")) << r.out;
  EXPECT_TRUE(contains(r.out, "pages/s")) << r.out;
  EXPECT_TRUE(contains(r.out, "p95 ms")) << r.out;
  EXPECT_TRUE(contains(r.out, "\nthreads:2 ")) << r.out;
  EXPECT_TRUE(contains(r.out, "\nfibers:4 ")) << r.out;
  EXPECT_TRUE(contains(r.out, "min-max")) << r.out;
  EXPECT_TRUE(contains(r.out, "pages counted = pages served = ")) << r.out;

  // JSON: one entry per strategy, every run measured and consistent.
  const json::value doc = parse_json_file(json_path);
  ASSERT_TRUE(doc.is_object());
  const auto& workload = doc.at("workload").as_object();
  EXPECT_EQ(workload.at("kind").as_string(), "simulated");
  EXPECT_EQ(workload.at("hosts").to_number<int>(), 2);
  const auto expected = workload.at("expected_pages").to_number<std::int64_t>();
  EXPECT_GT(expected, 2);
  EXPECT_GT(workload.at("error_pages").to_number<std::int64_t>(), 0);  // 20% of 20 pages, seed 1: 4
  const auto& strategies = doc.at("strategies").as_array();
  ASSERT_EQ(strategies.size(), 2u);
  std::vector<std::string> names;
  std::vector<int> positions_of_first;
  for (const auto& sv : strategies) {
    const auto& s = sv.as_object();
    names.emplace_back(s.at("name").as_string().c_str());
    EXPECT_TRUE(s.at("pages_agree").as_bool());
    const auto& runs = s.at("runs").as_array();
    ASSERT_EQ(runs.size(), 2u);
    for (const auto& rv : runs) {
      const auto& run = rv.as_object();
      EXPECT_EQ(run.at("pages").to_number<std::int64_t>(), expected);
      EXPECT_EQ(run.at("served").to_number<std::int64_t>(), expected);
      EXPECT_GT(run.at("errors").to_number<std::int64_t>(), 0);  // the 500s
      EXPECT_EQ(run.at("exit_code").to_number<int>(), 8);       // an HTTP error, as wget
      EXPECT_GT(number(run.at("cpu_user_s")) + number(run.at("cpu_sys_s")), 0);
      EXPECT_GT(run.at("peak_rss_bytes").to_number<std::int64_t>(), 0);
      EXPECT_GT(number(run.at("wall_s")), 0);
      const auto& latency = run.at("latency_ms").as_object();
      EXPECT_GT(number(latency.at("p50")), 0);
      EXPECT_LE(number(latency.at("p50")), number(latency.at("p95")));
      EXPECT_LE(number(latency.at("p95")), number(latency.at("p99")));
    }
    const auto& median = s.at("median").as_object();
    EXPECT_EQ(number(median.at("pages")), static_cast<double>(expected));
    EXPECT_GT(number(median.at("pages_per_s")), 0);
    EXPECT_GT(number(median.at("cpu_s")), 0);
    EXPECT_GT(number(median.at("peak_rss_mib")), 0);
    EXPECT_LE(number(s.at("min").at("wall_s")), number(median.at("wall_s")));
    EXPECT_LE(number(median.at("wall_s")), number(s.at("max").at("wall_s")));
    positions_of_first.push_back(runs[0].at("position").to_number<int>());
    positions_of_first.push_back(runs[1].at("position").to_number<int>());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"threads:2", "fibers:4"}));
  // The order alternates: threads, fibers, then fibers, threads.
  EXPECT_EQ(positions_of_first, (std::vector<int>{1, 4, 2, 3}));

  // CSV: a header and one line per strategy, all with the same columns.
  const auto csv = parse_csv(read_file(csv_path));
  ASSERT_EQ(csv.size(), 3u);
  const auto& header = csv[0];
  for (const auto& row : csv) EXPECT_EQ(row.size(), header.size());
  const auto col = [&](const std::string& name) {
    for (std::size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return i;
    ADD_FAILURE() << "no CSV column " << name;
    return std::size_t{0};
  };
  EXPECT_EQ(csv[1][col("strategy")], "threads:2");
  EXPECT_EQ(csv[2][col("strategy")], "fibers:4");
  for (std::size_t i = 1; i < csv.size(); ++i) {
    EXPECT_EQ(std::stod(csv[i][col("pages_median")]), static_cast<double>(expected));
    EXPECT_EQ(std::stod(csv[i][col("served_median")]), static_cast<double>(expected));
    EXPECT_GT(std::stod(csv[i][col("cpu_s_median")]), 0);
    EXPECT_GT(std::stod(csv[i][col("peak_rss_mib_min")]), 0);
    EXPECT_EQ(csv[i][col("pages_agree")], "true");
  }

  // SVG: well-formed XML, an <svg> root with a viewBox, a line per mode.
  const std::string svg = read_file(svg_path);
  std::unique_ptr<xmlDoc, XmlDocDeleter> xml(
      xmlReadMemory(svg.data(), static_cast<int>(svg.size()), "bench.svg", nullptr, XML_PARSE_NONET));
  ASSERT_TRUE(xml) << "not well-formed XML:\n" << svg;
  xmlNode* root = xmlDocGetRootElement(xml.get());
  ASSERT_TRUE(root);
  EXPECT_TRUE(xmlStrEqual(root->name, BAD_CAST "svg"));
  xmlChar* view_box = xmlGetProp(root, BAD_CAST "viewBox");
  EXPECT_TRUE(view_box);
  xmlFree(view_box);
  int paths = 0;
  std::string text;
  walk(root, "path", paths, text);
  EXPECT_GE(paths, 4);  // two modes × two panels
  EXPECT_TRUE(contains(text, "threads")) << text;
  EXPECT_TRUE(contains(text, "fibers")) << text;
  EXPECT_TRUE(contains(text, "pages/s")) << text;
  EXPECT_TRUE(contains(text, "CPU ms per page")) << text;
  EXPECT_TRUE(contains(text, "2 hosts × 10 pages")) << text;
}

TEST(BenchEndToEnd, UrlListIsCrawledPolitelyAndStoresNothing) {
  testserver::SiteOptions site;
  site.hosts = 2;
  site.pages_per_host = 6;
  testserver::TestServer server(site);
  TempDir dir;
  std::string list;
  for (const auto& url : server.root_urls()) list += url + "\n";
  write_file(dir / "urls.txt", list);
  const auto json_path = dir / "bench.json";
  auto r = run_crawl({"bench", (dir / "urls.txt").string(), "--strategies", "fibers:3,8", "--repeat", "1",
                      "--max-depth", "100", "--json", json_path.string()},
                     dir.path());
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "\nfibers:3 ")) << r.out;
  EXPECT_TRUE(contains(r.out, "\nfibers:8 ")) << r.out;

  const json::value doc = parse_json_file(json_path);
  EXPECT_EQ(doc.at("workload").at("kind").as_string(), "urls");
  EXPECT_EQ(doc.at("workload").at("urls").to_number<int>(), 2);
  const auto& strategies = doc.at("strategies").as_array();
  ASSERT_EQ(strategies.size(), 2u);
  for (const auto& s : strategies) {
    const auto& run = s.at("runs").as_array().at(0).as_object();
    EXPECT_EQ(run.at("pages").to_number<std::size_t>(), server.site_urls().size());
    EXPECT_EQ(run.at("errors").to_number<int>(), 0);
    EXPECT_FALSE(run.contains("served"));  // a URL list has no server of ours to ask
  }
  // Politeness: robots.txt was asked for on both hosts, in both runs.
  for (int h = 0; h < server.host_count(); ++h) {
    const auto stats = server.stats(h);
    const auto it = stats.requests_by_target.find("/robots.txt");
    ASSERT_NE(it, stats.requests_by_target.end()) << "host " << h;
    EXPECT_EQ(it->second, 2) << "host " << h;
    EXPECT_LE(stats.peak_concurrent_requests, 2) << "host " << h;  // --per-host 2
  }
  // Nothing stored: no crawl.db appeared in the working directory.
  EXPECT_FALSE(std::filesystem::exists(dir / "crawl.db"));
}

TEST(BenchEndToEnd, WorkloadFileSetsTheMatrixAndTheCommandLineWins) {
  TempDir dir;
  write_file(dir / "w.toml",
             "hosts = 3\npages = 2\npage-size = \"1k\"\nerror-rate = 0\nstrategies = [\"threads:2\", \"fibers:2\"]\nrepeat = 2\n");
  const auto json_path = dir / "bench.json";
  auto r = run_crawl({"bench", "--workload", (dir / "w.toml").string(), "--repeat", "1", "--json", json_path.string()},
                     dir.path());
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const json::value doc = parse_json_file(json_path);
  EXPECT_EQ(doc.at("workload").at("hosts").to_number<int>(), 3);
  EXPECT_EQ(doc.at("workload").at("page_size").to_number<int>(), 1024);
  EXPECT_EQ(doc.at("workload").at("expected_pages").to_number<int>(), 9);  // 3 × (2 + root)
  EXPECT_EQ(doc.at("repeat").to_number<int>(), 1);
  ASSERT_EQ(doc.at("strategies").as_array().size(), 2u);
  EXPECT_EQ(doc.at("strategies").at(1).at("name").as_string(), "fibers:2");
}

TEST(BenchOptions, BadValuesExitWith2NamingTheFlagAndWhatIsAllowed) {
  TempDir dir;
  write_file(dir / "urls.txt", "http://127.0.0.1:1/\n");
  write_file(dir / "bad.toml", "hosts = 2\nhostz = 3\n");
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> in_message;
  };
  const std::vector<Case> cases = {
      {{"bench", "--strategies", "fiber:8"}, {"--strategies", "fiber", "threads, fibers"}},
      {{"bench", "--strategies", "threads:0"}, {"--strategies", "from 1 to 100000"}},
      {{"bench", "--strategies", "threads:8 threads:8"}, {"--strategies", "listed twice"}},
      {{"bench", "--repeat", "0"}, {"--repeat", "from 1 to 100"}},
      {{"bench", "--error-rate", "2"}, {"--error-rate", "0 to 0.99"}},
      {{"bench", "--delay", "50", "--delay-max", "10"}, {"--delay-max", "--delay"}},
      {{"bench", "--page-size", "12q"}, {"--page-size"}},
      {{"bench", "--max-depth", "2"}, {"--max-depth", "URLS_FILE"}},
      {{"bench", (dir / "urls.txt").string(), "--hosts", "3"}, {"--hosts", "simulated web"}},
      {{"bench", "--workload", (dir / "bad.toml").string()}, {"hostz", "allowed keys"}},
      {{"bench", "--workload", (dir / "none.toml").string()}, {"none.toml"}},
      {{"bench", "--", "--mode", "threads"}, {"--mode", "set by crawl bench"}},
      {{"bench", "--", "--per-hots", "3"}, {"after --", "per-hots"}},
      {{"bench", "--nope"}, {"--nope"}},
      {{"bench", (dir / "missing.txt").string()}, {"missing.txt"}},
  };
  for (const auto& c : cases) {
    auto r = run_crawl(c.args, dir.path());
    std::string cmd;
    for (const auto& a : c.args) cmd += a + " ";
    EXPECT_EQ(r.code, 2) << cmd << "\n" << r.err;
    for (const auto& word : c.in_message) EXPECT_TRUE(contains(r.err, word)) << cmd << "\n" << r.err;
  }
}

TEST(BenchOptions, UnwritableOutputExitsWith3BeforeAnyRun) {
  TempDir dir;
  auto r = run_crawl({"bench", "--json", (dir / "no" / "such" / "bench.json").string()}, dir.path());
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_TRUE(contains(r.err, "bench.json")) << r.err;
  EXPECT_FALSE(contains(r.out, "strategy")) << r.out;  // no run happened
}

// An unknown option: one line naming it, then one hint to `crawl bench --help` (not CLI11's too).
TEST(BenchOptions, AnUnknownOptionGetsOneHint) {
  TempDir dir;
  auto r = run_crawl({"bench", "--mode", "fibers"}, dir.path());
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(r.err, "crawl bench: The following argument was not expected: --mode\n"
                   "Run crawl bench --help for more information.\n");
}

TEST(BenchOptions, HelpDocumentsEveryOption) {
  TempDir dir;
  auto r = run_crawl({"bench", "--help"}, dir.path());
  EXPECT_EQ(r.code, 0);
  for (const char* flag : {"--workload", "--hosts", "--pages", "--page-size", "--links", "--delay", "--delay-max",
                           "--error-rate", "--seed", "--server-threads", "--strategies", "--repeat", "--per-host",
                           "--timeout", "--max-depth", "--max-pages", "--store", "--out", "--json", "--csv",
                           "--chart", "--wget2", "--scale", "URLS_FILE"})
    EXPECT_TRUE(contains(r.out, flag)) << flag << "\n" << r.out;
}

TEST(BenchEndToEnd, FixedDelayGivesTheIdealTimeAndEachStrategysMultipleOfIt) {
  TempDir dir;
  const auto json_path = dir / "bench.json";
  auto r = run_crawl({"bench", "--hosts", "2", "--pages", "4", "--page-size", "1k", "--delay", "20", "--delay-max",
                      "0", "--error-rate", "0", "--strategies", "fibers:1,8", "--repeat", "1", "--json",
                      json_path.string()},
                     dir.path());
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "ideal time: pages × delay ÷ (hosts × per-host) = ")) << r.out;
  EXPECT_TRUE(contains(r.out, "x ideal")) << r.out;
  const json::value doc = parse_json_file(json_path);
  // 2 × (4 + root) pages × 20 ms ÷ (2 hosts × per-host 2).
  EXPECT_DOUBLE_EQ(number(doc.at("workload").at("ideal_s")), 10 * 0.020 / 4);
  for (const auto& s : doc.at("strategies").as_array()) {
    // A crawler cannot beat the ideal of its own concurrency:
    // fibers:1 waits pages × delay at least.
    EXPECT_GE(number(s.at("median").at("x_ideal")), 1.0) << s;
  }
}

TEST(BenchEndToEnd, Wget2RowRunsWget2OnTheSameSite) {
  // A stand-in wget2 on PATH that records its arguments: the row, its
  // place in the matrix and the arguments are what is checked here.
  TempDir dir;
  const auto bin = dir / "bin";
  std::filesystem::create_directories(bin);
  write_file(bin / "wget2", "#!/bin/sh\necho \"$@\" >> " + (dir / "wget2-args.txt").string() + "\nexit 0\n");
  std::filesystem::permissions(bin / "wget2", std::filesystem::perms::owner_all);
  const std::string path = "PATH=" + bin.string() + ":" + std::getenv("PATH");
  const auto json_path = dir / "bench.json";
  auto r = run_crawl({"bench", "--hosts", "2", "--pages", "3", "--delay", "0", "--delay-max", "0", "--strategies",
                      "fibers:2,4", "--repeat", "1", "--wget2", "--json", json_path.string()},
                     dir.path(), {path});
  ASSERT_EQ(r.code, 0) << r.out << r.err;  // wget2's count is reported, not held against crawl
  EXPECT_TRUE(contains(r.out, "\nwget2:4 ")) << r.out;
  EXPECT_TRUE(contains(r.out, "note: wget2:4 run 3 fetched 0 of the site's")) << r.out;
  const std::string args = read_file(dir / "wget2-args.txt");
  EXPECT_TRUE(contains(args, "-r -l inf --no-robots --max-threads=4")) << args;
  EXPECT_TRUE(contains(args, "roots.txt")) << args;
  const json::value doc = parse_json_file(json_path);
  const auto& strategies = doc.at("strategies").as_array();
  ASSERT_EQ(strategies.size(), 3u);
  EXPECT_EQ(strategies[2].at("name").as_string(), "wget2:4");
  EXPECT_EQ(strategies[2].at("mode").as_string(), "wget2");
}

TEST(BenchEndToEnd, ScaleMeasuresMemoryPerInFlightTransfer) {
  TempDir dir;
  auto r = run_crawl({"bench", "--scale", "8", "--delay", "300"}, dir.path());
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "scale: 8 transfers over 4 hosts (per-host 2), each response delayed 300 ms")) << r.out;
  EXPECT_TRUE(contains(r.out, "\nfibers:4 ")) << r.out;
  EXPECT_TRUE(contains(r.out, "\nfibers:8 ")) << r.out;
  EXPECT_TRUE(contains(r.out, "memory per in-flight transfer: ")) << r.out;
}

TEST(BenchEndToEnd, MissingTestServerIsAClearErrorWithExitCode3) {
  // A crawl binary alone in a directory: no crawl-testserver beside it.
  TempDir dir;
  const auto lone = dir / "crawl";
  std::filesystem::copy_file(CRAWL_BIN, lone);
  ChildOptions o;
  o.argv = {lone.string(), "bench", "--hosts", "1", "--pages", "1", "--repeat", "1"};
  o.out = ChildStream::file(dir / "out.txt");
  o.err = ChildStream::file(dir / "err.txt");
  ChildProcess p(o);
  EXPECT_EQ(p.wait().exit_code, 3);
  const std::string err = read_file(dir / "err.txt");
  EXPECT_TRUE(contains(err, "crawl-testserver is missing")) << err;
}

TEST(BenchOptions, LastValueWinsAsInCurlAndWget) {
  TempDir dir;
  const auto json_path = dir / "bench.json";
  auto r = run_crawl({"bench", "--hosts", "2", "--pages", "2", "--hosts", "1", "--repeat", "3", "--repeat", "1",
                      "--strategies", "threads:2", "--strategies", "fibers:2", "--json", json_path.string()},
                     dir.path());
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  const json::value doc = parse_json_file(json_path);
  EXPECT_EQ(doc.at("workload").at("hosts").to_number<int>(), 1);
  EXPECT_EQ(doc.at("repeat").to_number<int>(), 1);
  ASSERT_EQ(doc.at("strategies").as_array().size(), 1u);
  EXPECT_EQ(doc.at("strategies").at(0).at("name").as_string(), "fibers:2");
}

TEST(BenchOptions, Wget2AndScaleMistakesExitWith2) {
  TempDir dir;
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string in_message;
  };
  const std::vector<Case> cases = {
      {{"bench", "--wget2"}, {"PATH=" + (dir / "empty").string()}, "no wget2 on PATH"},
      {{"bench", "--scale", "100", "--repeat", "2"}, {}, "--repeat does not apply to --scale"},
      {{"bench", "--scale", "100", "--json", "x.json"}, {}, "--json does not apply to --scale"},
      {{"bench", "--scale", "1"}, {}, "--scale"},
  };
  for (const auto& c : cases) {
    auto r = run_crawl(c.args, dir.path(), c.env);
    EXPECT_EQ(r.code, 2) << c.in_message << "\n" << r.err;
    EXPECT_TRUE(contains(r.err, c.in_message)) << r.err;
  }
}

TEST(BenchStatsJson, WhatCrawlWritesIsWhatBenchReads) {
  RunStats s;
  s.outcome = "completed";
  s.pages = 10;
  s.results = 11;
  s.bytes = 1234;
  s.errors = 2;
  s.transport_errors = 1;
  s.errors_by_kind = {{"http_500", 1}, {"timeout", 1}};
  s.peak_rss_bytes = 1 << 20;
  s.latency_count = 9;
  s.latency_p50_ms = 2.5;
  s.mode = "fibers";
  s.concurrency = 64;
  const RunStats back = run_stats_from_json(to_json(s));
  EXPECT_EQ(back.pages, 10);
  EXPECT_EQ(back.errors_by_kind, s.errors_by_kind);
  EXPECT_EQ(back.latency_p50_ms, 2.5);
  EXPECT_FALSE(back.latency_p95_ms);  // written as null, read as unknown
  EXPECT_EQ(back.mode, "fibers");
  EXPECT_EQ(back.concurrency, 64);
  try {
    run_stats_from_json(R"({"outcome": "completed"})");
    ADD_FAILURE() << "no error for a stats JSON without pages";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), "pages")) << e.what();
  }
  EXPECT_THROW(run_stats_from_json("not json"), std::runtime_error);
}

TEST(BenchStrategies, GroupsOfConcurrencyValuesPerMode) {
  const auto s = bench::parse_strategies("threads:8,64,256 fibers:64,512;fibers:4096");
  ASSERT_EQ(s.size(), 6u);
  EXPECT_EQ(s[0].name(), "threads:8");
  EXPECT_EQ(s[2].name(), "threads:256");
  EXPECT_EQ(s[3].name(), "fibers:64");
  EXPECT_EQ(s[5].name(), "fibers:4096");
}

TEST(BenchStrategies, ModeCanSwitchInsideACommaList) {
  const auto s = bench::parse_strategies("threads:16,threads:200,fibers:512");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[1].name(), "threads:200");
  EXPECT_EQ(s[2].name(), "fibers:512");
}

TEST(BenchStrategies, BadListsAreRefusedWithAReason) {
  for (const char* bad : {"", "   ", "8,64", "threads:", "threads:8,,64", "threads:x", "threads:-1", "threads:100001",
                          "coroutines:8", "fibers:8 fibers:8"})
    EXPECT_THROW(bench::parse_strategies(bad), std::invalid_argument) << bad;
}

bench::StrategyResult runs_with_walls(std::vector<double> walls) {
  bench::StrategyResult s{{Mode::fibers, 8}, {}};
  for (const double w : walls) {
    bench::RunMeasure m;
    m.wall_s = w;
    m.pages = 100;
    s.runs.push_back(m);
  }
  return s;
}

const bench::Metric& metric(const bench::Workload& w, const std::string& key) {
  for (const auto& m : bench::metrics(w))
    if (m.key == key) return m;
  throw std::logic_error(key);
}

TEST(BenchFigures, MedianOfOddAndEvenCountsAndTheRange) {
  const bench::Workload w;
  auto odd = bench::spread(runs_with_walls({3, 1, 2}), metric(w, "wall_s"), w);
  ASSERT_TRUE(odd);
  EXPECT_DOUBLE_EQ(odd->median, 2);
  EXPECT_DOUBLE_EQ(odd->min, 1);
  EXPECT_DOUBLE_EQ(odd->max, 3);
  auto even = bench::spread(runs_with_walls({4, 1, 2, 10}), metric(w, "wall_s"), w);
  ASSERT_TRUE(even);
  EXPECT_DOUBLE_EQ(even->median, 3);
  // pages/s is computed per run, then its median taken.
  auto rate = bench::spread(runs_with_walls({1, 2, 4}), metric(w, "pages_per_s"), w);
  EXPECT_DOUBLE_EQ(rate->median, 50);
  // Latency unknown in every run: no figure rather than a zero.
  EXPECT_FALSE(bench::spread(runs_with_walls({1}), metric(w, "latency_p50_ms"), w));
}

TEST(BenchFigures, PagesAgreeOnlyWhenCountedServedAndExpectedAreEqual) {
  bench::Workload w;
  w.expected_pages = 100;
  auto s = runs_with_walls({1, 1});
  s.runs[0].served = 100;
  s.runs[1].served = 100;
  EXPECT_TRUE(bench::pages_agree(s, w));
  s.runs[1].served = 101;
  EXPECT_FALSE(bench::pages_agree(s, w));
  s.runs[1].served = 100;
  w.expected_pages = 99;
  EXPECT_FALSE(bench::pages_agree(s, w));
}

TEST(BenchFigures, TableColumnsAreAligned) {
  bench::BenchReport report;
  report.workload.expected_pages = 100;
  report.repeat = 3;
  report.strategies.push_back(runs_with_walls({1.5, 2, 12.25}));
  report.strategies.push_back(runs_with_walls({0.5, 0.75, 1}));
  report.strategies[1].strategy = {Mode::threads, 1024};
  const std::string table = bench::render_table(report);
  std::istringstream in(table);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 5u) << table;  // header, 2 × (median, min-max)
  // Every right-aligned column ends at the same place on every line: the
  // "wall s" column's last character lines up.
  const auto end_of_wall = lines[0].find("wall s") + std::string("wall s").size();
  for (const auto& line : lines) {
    ASSERT_GE(line.size(), end_of_wall) << table;
    EXPECT_NE(line[end_of_wall - 1], ' ') << table;
    EXPECT_EQ(line[end_of_wall], ' ') << table;
  }
  EXPECT_TRUE(contains(lines[2], "1.50-12.25")) << table;
}

}  // namespace
}  // namespace crawl
