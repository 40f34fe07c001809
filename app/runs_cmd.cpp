#include "app/runs_cmd.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <iostream>
#include <optional>
#include <string>

#include "core/json_text.h"
#include "app/subcommand.h"
#include "app/text_table.h"
#include "storage/sqlite_sink.h"

namespace crawl {
namespace {

template <class T>
std::string cell(const std::optional<T>& v, int decimals = 0) {
  if (!v) return "-";
  if constexpr (std::is_floating_point_v<T>) return fmt::format("{:.{}f}", *v, decimals);
  else return fmt::format("{}", *v);
}

std::string render_table(const std::vector<RunRecord>& runs) {
  using A = TextTable::Align;
  TextTable t({{"id", A::right},
               {"started (UTC)", A::left},
               {"mode", A::left},
               {"conc", A::right},
               {"outcome", A::left},
               {"resumes", A::right},
               {"pages", A::right},
               {"errors", A::right},
               {"skipped", A::right},
               {"wall s", A::right},
               {"pages/s", A::right},
               {"CPU s", A::right},
               {"peak MiB", A::right},
               {"p50 ms", A::right},
               {"p95 ms", A::right}});
  for (const auto& r : runs) {
    std::optional<double> mib;
    if (r.peak_rss_bytes) mib = static_cast<double>(*r.peak_rss_bytes) / (1 << 20);
    t.add_row({std::to_string(r.id), short_time(r.started_at), r.mode.value_or("-"), cell(r.concurrency),
               r.outcome.value_or("unfinished"), r.resumed_from ? std::to_string(*r.resumed_from) : "", cell(r.pages), cell(r.errors), cell(r.skipped), cell(r.elapsed_s, 2),
               cell(r.pages_per_s, 1), cell(r.cpu_s, 2), cell(mib, 1), cell(r.latency_p50_ms, 1),
               cell(r.latency_p95_ms, 1)});
  }
  return t.render();
}

template <class T>
boost::json::value or_null(const std::optional<T>& v) {
  if (!v) return nullptr;
  return boost::json::value(*v);
}

std::string render_json(const std::vector<RunRecord>& runs) {
  boost::json::array a;
  for (const auto& r : runs) {
    boost::json::object o;
    o["id"] = r.id;
    o["started_at"] = r.started_at;
    o["finished_at"] = or_null(r.finished_at);
    o["mode"] = or_null(r.mode);
    o["concurrency"] = or_null(r.concurrency);
    o["urls_file"] = or_null(r.urls_file);
    o["settings"] = or_null(r.settings);
    o["outcome"] = or_null(r.outcome);
    o["resumed_from"] = or_null(r.resumed_from);
    o["requeued"] = or_null(r.requeued);
    o["pages"] = or_null(r.pages);
    o["bytes"] = or_null(r.bytes);
    o["errors"] = or_null(r.errors);
    boost::system::error_code ec;
    // Stored as JSON text by the sink; embedded as an object when it parses.
    o["errors_by_kind"] = r.errors_by_kind ? boost::json::parse(*r.errors_by_kind, ec) : boost::json::value(nullptr);
    if (ec) o["errors_by_kind"] = nullptr;
    o["skipped"] = or_null(r.skipped);
    o["elapsed_s"] = or_null(r.elapsed_s);
    o["pages_per_s"] = or_null(r.pages_per_s);
    o["cpu_s"] = or_null(r.cpu_s);
    o["peak_rss_bytes"] = or_null(r.peak_rss_bytes);
    boost::json::object latency;
    latency["p50"] = or_null(r.latency_p50_ms);
    latency["p95"] = or_null(r.latency_p95_ms);
    latency["p99"] = or_null(r.latency_p99_ms);
    o["latency_ms"] = std::move(latency);
    a.push_back(std::move(o));
  }
  return to_json_text(a);
}

}  // namespace

int runs_main(int argc, const char* const* argv) {
  CLI::App app{"crawl runs: list the crawls recorded in a SQLite output file, oldest first", "crawl runs"};
  app.get_formatter()->column_width(30);
  std::string db = "crawl.db";
  bool json = false;
  std::int64_t limit = 0;
  app.add_option("DB", db, "the SQLite file written by crawl (--store sqlite)")->type_name("FILE")->capture_default_str();
  app.add_flag("--json", json, "print a JSON array (every column, latency p99 too) instead of the table");
  app.add_option("--limit", limit, "only the last N runs (0: all)")
      ->type_name("N")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.footer("\nExit codes: 0 listed, 2 bad option or no such file, 3 the file cannot be read or has no runs table.");
  if (auto exit = parse_subcommand(app, "runs", argc, argv)) return *exit;
  if (!db_exists_or_say("runs", db)) return 2;
  std::vector<RunRecord> runs;
  try {
    runs = read_runs(db, limit);
  } catch (const std::exception& e) {
    std::cerr << "crawl runs: " << e.what() << "\n";
    return 3;
  }
  if (json) {
    std::cout << render_json(runs);
  } else if (runs.empty()) {
    std::cout << db << ": no runs recorded yet\n";
  } else {
    std::cout << render_table(runs);
  }
  return 0;
}

}  // namespace crawl
