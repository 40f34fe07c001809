// OptionTable: one table of options serving the command line (CLI11) and a
// TOML options file (read_options_file) alike, for any options struct:
// crawl's Config (config.cpp) and crawl bench's BenchOptions
// (bench/bench_options.cpp). Each row names an option, says what is allowed,
// shows its default and sets it through one setter, so a bad value gets the
// same message wherever it came from:
//   "--per-host: invalid value 'x'; allowed: an integer from 1 to 1000"
//   "w.toml: key 'per-host': invalid value 'x'; allowed: …"
// A single-valued option given twice on the command line takes the last
// value, as in curl and wget; the command line wins over the file.
//
// Not thread-safe; used once per parse. add_to() binds CLI11 to this
// object's storage: keep the table alive and in place until apply().
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "config/config.h"

namespace crawl {

enum class OptionKind {
  value,       // one value; given again, the last one wins
  flag,        // no value on the command line ("true"); true/false in a file
  repeatable,  // every value counts (--include A --include B); a file may give an array
  joined,      // one value; a file may give an array, its elements joined by spaces
};

template <class Options>
struct OptionSpec {
  std::string name;     // long option without "--"; also the TOML key
  std::string allowed;  // what is allowed, for help and error messages
  std::string help;
  std::string metavar;  // placeholder shown in --help
  std::function<std::string(const Options&)> get;         // the default shown by --help ("": none)
  std::function<void(Options&, const std::string&)> set;  // throws std::invalid_argument
  OptionKind kind = OptionKind::value;
  std::string short_name = {};  // e.g. "-q"; "": none
  int tag = 0;             // the caller's own classification (crawl bench: where it applies)
};

// Throws UsageError("WHERE: invalid value 'VALUE'[ (REASON)]; allowed: ALLOWED");
// the reason is left out when it is the value itself.
[[noreturn]] void throw_invalid_value(const std::string& where, const std::string& value, const std::string& reason,
                                      const std::string& allowed);

// Throws UsageError("PATH: unknown key 'KEY'; allowed keys: a, b, …").
[[noreturn]] void throw_unknown_key(const std::string& path, const std::string& key,
                                    const std::vector<std::string>& names);

// "PATH: key 'KEY'": where a file's value came from, for messages.
std::string file_key_where(const std::string& path, const std::string& key);

// Setters and getters for common rows.
template <class Options, class T>
std::function<void(Options&, const std::string&)> integer_in(T Options::*member, long long lo, long long hi) {
  return [=](Options& o, const std::string& v) {
    const long long n = parse_integer(v);
    if (n < lo || n > hi) throw std::invalid_argument(v);
    o.*member = static_cast<T>(n);
  };
}

template <class Options>
std::function<void(Options&, const std::string&)> number_in(double Options::*member, double lo, double hi) {
  return [=](Options& o, const std::string& v) {
    const double n = parse_number(v);
    if (n < lo || n > hi) throw std::invalid_argument(v);
    o.*member = n;
  };
}

template <class Options>
std::function<void(Options&, const std::string&)> non_empty_into(std::string Options::*member) {
  return [=](Options& o, const std::string& v) {
    if (v.empty()) throw std::invalid_argument(v);
    o.*member = v;
  };
}

// The member's value as text ("30", "0.01"), for --help.
template <class Options, class T>
std::function<std::string(const Options&)> shown(T Options::*member) {
  return [=](const Options& o) {
    std::ostringstream s;
    s << o.*member;
    return s.str();
  };
}

// What the command line asked for instead of a run: --help or --version.
struct EarlyExit {
  int exit_code = 0;
  std::string output;  // for stdout
};

// Parses argv with `app`. Returns the early exit CLI11 ended the parse with
// (--help, --version), or nullopt to go on; throws UsageError with CLI11's
// message on a parse error (unknown option, missing value).
std::optional<EarlyExit> parse_command_line(CLI::App& app, int argc, const char* const* argv);

template <class Options>
void apply_option(const OptionSpec<Options>& spec, Options& o, const std::string& value, const std::string& where) {
  try {
    spec.set(o, value);
  } catch (const std::invalid_argument& e) {
    throw_invalid_value(where, value, e.what(), spec.allowed);
  }
}

template <class Options>
class OptionTable {
 public:
  using Spec = OptionSpec<Options>;
  // Called before a value is applied, with its row and where it comes from
  // ("--hosts", "w.toml: key 'hosts'"); may throw UsageError.
  using Check = std::function<void(const Spec&, const std::string& where)>;

  explicit OptionTable(std::vector<Spec> specs)
      : specs_(std::move(specs)), raw_(specs_.size()), raw_list_(specs_.size()), opts_(specs_.size()) {}
  OptionTable(const OptionTable&) = delete;
  OptionTable& operator=(const OptionTable&) = delete;

  // Registers every row on `app`: help "HELP [ALLOWED]", the default from
  // get(defaults).
  void add_to(CLI::App& app, const Options& defaults) {
    for (std::size_t i = 0; i < specs_.size(); ++i) {
      const Spec& s = specs_[i];
      const std::string names = (s.short_name.empty() ? "" : s.short_name + ",") + "--" + s.name;
      if (s.kind == OptionKind::flag) {
        opts_[i] = app.add_flag(names, s.help);
        continue;
      }
      const std::string help = s.help + " [" + s.allowed + "]";
      if (s.kind == OptionKind::repeatable) {
        opts_[i] = app.add_option(names, raw_list_[i], help)
                       ->expected(1)
                       ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
      } else {
        opts_[i] = app.add_option(names, raw_[i], help)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
      }
      opts_[i]->type_name(s.metavar);
      if (const std::string d = s.get(defaults); !d.empty()) opts_[i]->default_str(d);
    }
  }

  // The CLI11 option of row `name` (after add_to), e.g. to add a check.
  CLI::Option* option(const std::string& name) const { return opts_.at(index(name)); }
  bool given_on_command_line(const std::string& name) const { return option(name)->count() > 0; }

  // After the command line is parsed: applies the entries of the options
  // file at `path` (none when `path` is empty), then the command line. An
  // entry the command line also gives is checked, then skipped.
  void apply(Options& o, const std::string& path, const std::vector<OptionsFileEntry>& entries,
             const Check& check = {}) const {
    for (const auto& entry : entries) apply_entry(o, path, entry, check);
    for (std::size_t i = 0; i < specs_.size(); ++i) {
      if (opts_[i]->count() == 0) continue;
      const Spec& s = specs_[i];
      const std::string where = "--" + s.name;
      if (check) check(s, where);
      if (s.kind == OptionKind::repeatable) {
        for (const auto& value : raw_list_[i]) apply_option(s, o, value, where);
      } else {
        apply_option(s, o, s.kind == OptionKind::flag ? "true" : raw_[i], where);
      }
    }
  }

 private:
  std::size_t index(const std::string& name) const {
    for (std::size_t i = 0; i < specs_.size(); ++i)
      if (specs_[i].name == name) return i;
    return specs_.size();
  }

  void apply_entry(Options& o, const std::string& path, const OptionsFileEntry& entry, const Check& check) const {
    const std::size_t i = index(entry.key);
    if (i == specs_.size()) {
      std::vector<std::string> names;
      for (const auto& s : specs_) names.push_back(s.name);
      throw_unknown_key(path, entry.key, names);
    }
    const Spec& s = specs_[i];
    const std::string where = file_key_where(path, entry.key);
    const bool many = s.kind == OptionKind::repeatable || s.kind == OptionKind::joined;
    if (entry.shape_error || (entry.array && !many) || (s.kind != OptionKind::repeatable && entry.values.empty()))
      throw UsageError(where + " must be " + (many ? "a value or an array of values" : "a single value") +
                       "; allowed: " + s.allowed);
    if (check) check(s, where);
    if (opts_[i]->count() > 0) return;  // the command line wins
    if (s.kind == OptionKind::joined) {
      std::string value;
      for (const auto& v : entry.values) value += (value.empty() ? "" : " ") + v;
      apply_option(s, o, value, where);
    } else {
      for (const auto& value : entry.values) apply_option(s, o, value, where);
    }
  }

  std::vector<Spec> specs_;
  std::vector<std::string> raw_;
  std::vector<std::vector<std::string>> raw_list_;
  std::vector<CLI::Option*> opts_;
};

}  // namespace crawl
