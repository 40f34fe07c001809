// What the `crawl` subcommands that read a SQLite output file share (runs,
// changes, history, prune): parsing their command line with CLI11 and the
// message for a missing file.
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

namespace crawl {

// Parses argv into `app`; nullopt to go on, else the exit code after
// printing --help (0) or the error and a hint (2).
inline std::optional<int> parse_subcommand(CLI::App& app, const char* name, int argc, const char* const* argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    std::ostringstream out, err;
    const int code = app.exit(e, out, err);
    std::cout << out.str() << err.str();
    return code;
  } catch (const CLI::ParseError& e) {
    std::ostringstream out, err;
    app.exit(e, out, err);
    std::cerr << "crawl " << name << ": " << err.str() << "Run crawl " << name << " --help for more information.\n";
    return 2;
  }
  return std::nullopt;
}

// Whether `db` exists; if not, says so (the caller exits 2).
inline bool db_exists_or_say(const char* name, const std::string& db) {
  std::error_code ec;
  if (std::filesystem::exists(db, ec)) return true;
  std::cerr << "crawl " << name << ": " << db << ": no such file (give the --out of a crawl with --store sqlite)\n";
  return false;
}

}  // namespace crawl
