#include "crawler/seeds.h"

#include "core/printable.h"
#include "web/url.h"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace crawl {
namespace {

constexpr std::string_view kSpace = " \t\v\f\r";

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  for (std::size_t begin = line.find_first_not_of(kSpace); begin != std::string_view::npos;
       begin = line.find_first_not_of(kSpace, begin)) {
    const std::size_t end = std::min(line.find_first_of(kSpace, begin), line.size());
    fields.push_back(line.substr(begin, end - begin));
    begin = end;
  }
  return fields;
}

// "3", "-2", "+0.5", ".5", "10." — no exponent, no inf/nan.
std::optional<double> parse_priority(std::string_view field) {
  if (field.starts_with("+-")) return std::nullopt;
  if (field.starts_with('+')) field.remove_prefix(1);  // from_chars takes only '-'
  double value = 0;
  const auto [end, ec] =
      std::from_chars(field.data(), field.data() + field.size(), value, std::chars_format::fixed);
  if (ec != std::errc() || end != field.data() + field.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::string why_not_a_seed(std::string_view url) {
  const auto parsed = boost::urls::parse_uri(url);
  if (parsed && parsed->scheme_id() != boost::urls::scheme::http &&
      parsed->scheme_id() != boost::urls::scheme::https) {
    return "not an http(s) URL";
  }
  return "invalid URL";
}


}  // namespace

SeedList parse_seed_list(std::string_view text, std::string_view filename) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  SeedList list;
  std::unordered_map<std::string, int> first_line;  // normalized URL → line listing it first
  for (int number = 1; !text.empty(); ++number) {
    const std::size_t newline = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(std::min(newline + 1, text.size()));
    if (line.ends_with('\r')) line.remove_suffix(1);

    const std::vector<std::string_view> fields = split_fields(line);
    if (fields.empty() || fields[0].starts_with('#')) continue;
    const auto warn = [&](std::string_view reason) {
      list.warnings.push_back(std::string(filename) + ":" + std::to_string(number) + ": " +
                              std::string(reason) + ": '" + printable(line, 300) + "'");
    };
    if (fields.size() > 2) {
      warn("extra field after URL and priority");
      continue;
    }
    std::optional<std::string> url = normalize_url(fields[0]);
    if (!url) {
      warn(why_not_a_seed(fields[0]));
      continue;
    }
    const std::optional<double> priority =
        fields.size() == 2 ? parse_priority(fields[1]) : std::optional(0.0);
    if (!priority) {
      warn("priority is not a number");
      continue;
    }
    if (const auto [it, inserted] = first_line.try_emplace(*url, number); !inserted) {
      warn("duplicate of line " + std::to_string(it->second));
      continue;
    }
    list.seeds.push_back(Seed{std::move(*url), *priority, number});
  }
  return list;
}

SeedList read_seed_file(const std::string& path) {
  const auto fail = [&path](int error) {
    return std::runtime_error("cannot read " + path + ": " + std::strerror(error));
  };
  struct Closer {
    void operator()(std::FILE* file) const { std::fclose(file); }
  };
  const std::unique_ptr<std::FILE, Closer> file(std::fopen(path.c_str(), "rb"));
  if (!file) throw fail(errno);
  std::string text;
  char buffer[1 << 16];
  while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, file.get())) {
    text.append(buffer, n);
  }
  if (std::ferror(file.get())) throw fail(errno);
  return parse_seed_list(text, path);
}

}  // namespace crawl
