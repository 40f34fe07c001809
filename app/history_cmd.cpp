#include "app/history_cmd.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "app/subcommand.h"
#include "app/text_table.h"
#include "config/config.h"
#include "core/json_text.h"
#include "web/url.h"

namespace crawl {
namespace {

constexpr const char* kKinds[] = {"new", "changed", "unchanged", "recovered", "failing", "gone"};

template <class T>
boost::json::value or_null(const std::optional<T>& v) {
  return v ? boost::json::value(*v) : boost::json::value(nullptr);
}

}  // namespace

std::map<std::string, std::int64_t> count_changes(const RunChangeCounts& changes) {
  std::map<std::string, std::int64_t> counts;
  for (const char* kind : kKinds) counts[kind] = 0;
  for (const auto& [kind, n] : changes.counts) counts[kind] = n;
  return counts;
}

std::string changes_line(const std::map<std::string, std::int64_t>& counts) {
  std::string out;
  for (const char* kind : kKinds) {
    const auto it = counts.find(kind);
    out += fmt::format("{}{} {}", out.empty() ? "" : ", ", it == counts.end() ? 0 : it->second, kind);
  }
  return out;
}

int changes_main(int argc, const char* const* argv) {
  CLI::App app{"crawl changes: what a run did to the pages it reached — new, changed, unchanged, recovered, "
               "failing, gone — counts first",
               "crawl changes"};
  app.get_formatter()->column_width(30);
  std::string db = "crawl.db";
  std::int64_t run = 0;
  bool json = false, all = false;
  app.add_option("DB", db, "the SQLite file written by crawl (--store sqlite)")->type_name("FILE")->capture_default_str();
  app.add_option("--run", run, "the run (an id of `crawl runs`); default: the last")->type_name("N")->check(CLI::PositiveNumber);
  app.add_flag("--json", json, "print one JSON object: run, counts and every page");
  app.add_flag("--all", all, "list unchanged pages too");
  app.footer("\nA page fetched twice in one run (a resumed run, a cookie wall) counts once, with its last fetch;\n"
             "one first stored by that run is new.\n"
             "Exit codes: 0 listed, 2 bad option, no such file or no such run, 3 the file cannot be read.");
  if (auto exit = parse_subcommand(app, "changes", argc, argv)) return *exit;
  if (!db_exists_or_say("changes", db)) return 2;
  std::optional<RunChanges> changes;
  try {
    changes = read_changes(db, run);
  } catch (const std::exception& e) {
    std::cerr << "crawl changes: " << e.what() << "\n";
    return 3;
  }
  if (!changes) {
    std::cerr << "crawl changes: " << db << ": " << (run > 0 ? fmt::format("no run {}", run) : "no runs recorded yet")
              << "\n";
    return 2;
  }
  const auto counts = count_changes(*changes);
  if (json) {
    boost::json::object o;
    o["run"] = changes->run;
    o["started_at"] = changes->started_at;
    o["outcome"] = or_null(changes->outcome);
    boost::json::object c;
    for (const char* kind : kKinds) c[kind] = counts.at(kind);
    o["counts"] = std::move(c);
    boost::json::array pages;
    for (const auto& p : changes->pages) {
      boost::json::object e;
      e["url"] = p.url;
      e["change"] = p.change;
      e["status"] = or_null(p.status);
      e["digest"] = or_null(p.digest);
      e["previous_digest"] = or_null(p.previous_digest);
      e["error"] = or_null(p.error);
      pages.push_back(std::move(e));
    }
    o["pages"] = std::move(pages);
    std::cout << to_json_text(o);
    return 0;
  }
  std::cout << fmt::format("run {} ({} UTC, {}): {}\n", changes->run, changes->started_at.substr(0, 19),
                           changes->outcome.value_or("unfinished"), changes_line(counts));
  std::int64_t hidden = 0;
  for (const auto& p : changes->pages) {
    if (p.change == "unchanged" && !all) {
      ++hidden;
      continue;
    }
    std::string note;
    if (p.error) note = "  " + *p.error;
    std::cout << fmt::format("{:<10} {}{}\n", p.change, p.url, note);
  }
  if (hidden > 0) std::cout << fmt::format("({} unchanged pages not listed; --all lists them)\n", hidden);
  return 0;
}

int history_main(int argc, const char* const* argv) {
  CLI::App app{"crawl history: every fetch of one page, oldest first (the SQL to read an old version's body is in "
               "the README)",
               "crawl history"};
  app.get_formatter()->column_width(30);
  std::string url;
  std::string db = "crawl.db";
  bool json = false;
  app.add_option("URL", url, "the page's URL (normalized as the crawl stores it)")->required();
  app.add_option("DB", db, "the SQLite file written by crawl (--store sqlite)")->type_name("FILE")->capture_default_str();
  app.add_flag("--json", json, "print a JSON array of the fetches");
  app.footer("\nExit codes: 0 listed, 2 bad option, no such file or URL never fetched, 3 the file cannot be read.");
  if (auto exit = parse_subcommand(app, "history", argc, argv)) return *exit;
  {
    // `crawl history crawl.db URL`: the two the other way round.
    std::error_code ec;
    if (!std::filesystem::exists(db, ec) && std::filesystem::is_regular_file(url, ec) && normalize_url(db)) {
      std::cerr << "crawl history: the URL comes first, then the file: crawl history " << db << " " << url << "\n";
      return 2;
    }
  }
  if (!db_exists_or_say("history", db)) return 2;
  std::vector<PageVersion> versions;
  try {
    versions = read_history(db, url);
    if (versions.empty()) {  // as the user typed it: try its normalized form
      if (auto normalized = normalize_url(url); normalized && *normalized != url) {
        versions = read_history(db, *normalized);
        url = *normalized;
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "crawl history: " << e.what() << "\n";
    return 3;
  }
  if (versions.empty()) {
    std::cerr << "crawl history: " << url << ": never fetched into " << db << "\n";
    return 2;
  }
  if (json) {
    boost::json::array a;
    for (const auto& v : versions) {
      boost::json::object o;
      o["fetch"] = v.fetch_id;
      o["run"] = or_null(v.run_id);
      o["fetched_at"] = v.fetched_at;
      o["status"] = or_null(v.status);
      o["change"] = v.change;
      o["digest"] = or_null(v.digest);
      o["size"] = or_null(v.size);
      o["etag"] = or_null(v.etag);
      o["last_modified"] = or_null(v.last_modified);
      o["error"] = or_null(v.error);
      a.push_back(std::move(o));
    }
    std::cout << to_json_text(a);
    return 0;
  }
  using A = TextTable::Align;
  TextTable t({{"fetch", A::right},
               {"run", A::right},
               {"fetched (UTC)", A::left},
               {"status", A::right},
               {"change", A::left},
               {"size", A::right},
               {"digest", A::left},
               {"etag / error", A::left}});
  for (const auto& v : versions) {
    t.add_row({std::to_string(v.fetch_id), v.run_id ? std::to_string(*v.run_id) : "-", short_time(v.fetched_at),
               v.status ? std::to_string(*v.status) : "-", v.change, v.size ? std::to_string(*v.size) : "-",
               v.digest.value_or("-"), v.error ? *v.error : v.etag.value_or("")});
  }
  std::cout << url << "\n" << t.render();
  return 0;
}

int prune_main(int argc, const char* const* argv) {
  CLI::App app{"crawl prune: delete old versions from a crawl's history (the latest copy of every page is kept)",
               "crawl prune"};
  app.get_formatter()->column_width(30);
  std::string db = "crawl.db";
  std::int64_t versions = 0;
  std::string newer_than;
  app.add_option("DB", db, "the SQLite file written by crawl (--store sqlite)")->type_name("FILE")->capture_default_str();
  auto* keep = app.add_option("--keep-versions", versions, "keep the newest N versions of each page")
                   ->type_name("N")
                   ->check(CLI::PositiveNumber);
  auto* newer = app.add_option("--keep-newer-than", newer_than,
                               "keep the versions fetched within DURATION (s, m, h, d, w: 30d); with --keep-versions, "
                               "either keeps a version")
                    ->type_name("DURATION");
  app.footer("\nA version is a fetch that brought a new body. Exit codes: 0 pruned, 2 bad option or no such file, "
             "3 the file cannot be written.");
  if (auto exit = parse_subcommand(app, "prune", argc, argv)) return *exit;
  if (keep->count() == 0 && newer->count() == 0) {
    std::cerr << "crawl prune: give --keep-versions N or --keep-newer-than DURATION (or both)\n";
    return 2;
  }
  Retention retention;
  retention.versions = versions;
  if (newer->count() > 0) {
    try {
      retention.newer_than_s = parse_duration(newer_than);
    } catch (const std::exception&) {
      std::cerr << "crawl prune: --keep-newer-than " << newer_than
                << ": not a duration (a number with s, m, h, d or w, e.g. 30d)\n";
      return 2;
    }
  }
  if (!db_exists_or_say("prune", db)) return 2;
  try {
    const auto [fetches, bodies] = prune_history(db, retention, std::chrono::system_clock::now());
    std::cout << fmt::format("crawl prune: {}: {} history rows and {} bodies deleted\n", db, fetches, bodies);
  } catch (const std::exception& e) {
    std::cerr << "crawl prune: " << e.what() << "\n";
    return 3;
  }
  return 0;
}

}  // namespace crawl
