#include "config/option_table.h"

namespace crawl {

void throw_invalid_value(const std::string& where, const std::string& value, const std::string& reason,
                         const std::string& allowed) {
  const std::string why = reason == value ? "" : " (" + reason + ")";
  throw UsageError(where + ": invalid value '" + value + "'" + why + "; allowed: " + allowed);
}

void throw_unknown_key(const std::string& path, const std::string& key, const std::vector<std::string>& names) {
  std::string keys;
  for (const auto& n : names) keys += (keys.empty() ? "" : ", ") + n;
  throw UsageError(path + ": unknown key '" + key + "'; allowed keys: " + keys);
}

std::string file_key_where(const std::string& path, const std::string& key) { return path + ": key '" + key + "'"; }

std::optional<EarlyExit> parse_command_line(CLI::App& app, int argc, const char* const* argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    std::ostringstream out, err;
    EarlyExit early;
    early.exit_code = app.exit(e, out, err);
    early.output = out.str() + err.str();
    return early;
  } catch (const CLI::ParseError& e) {
    std::ostringstream out, err;
    app.exit(e, out, err);
    std::string msg = err.str();
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    throw UsageError(msg);
  }
  return std::nullopt;
}

}  // namespace crawl
