#include "crawler/seeds.h"

#include "core/printable.h"
#include "web/url.h"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
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


// Turns lines into seeds and warnings, one line at a time.
class SeedParser {
 public:
  explicit SeedParser(std::string_view filename) : filename_(filename) {}

  std::int64_t next_number() const { return number_ + 1; }

  void line(std::string_view line) {
    ++number_;
    if (number_ == 1 && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
    if (line.ends_with('\r')) line.remove_suffix(1);

    const std::vector<std::string_view> fields = split_fields(line);
    if (fields.empty() || fields[0].starts_with('#')) return;
    if (fields.size() > 2) return warn("extra field after URL and priority", line);
    std::optional<std::string> url = normalize_url(fields[0]);
    if (!url) return warn(why_not_a_seed(fields[0]), line);
    const std::optional<double> priority =
        fields.size() == 2 ? parse_priority(fields[1]) : std::optional(0.0);
    if (!priority) {
      // "http://h/a b.html": the rest of a URL with a space in it, not a priority.
      const bool url_rest = fields[1].find_first_of("/.?=&#") != std::string_view::npos;
      return warn(url_rest ? "priority is not a number (a space inside a URL must be written %20)"
                           : "priority is not a number",
                  line);
    }
    if (const auto [it, inserted] = first_line_.try_emplace(*url, number_); !inserted) {
      return warn("duplicate of line " + std::to_string(it->second), line);
    }
    list_.seeds.push_back(Seed{std::move(*url), *priority, number_});
  }

  // A line of `bytes` bytes, more than `limit`, of which `start` is the beginning.
  void overlong(std::size_t bytes, std::size_t limit, std::string_view start) {
    ++number_;
    std::string shown = printable(start, kShownBytes);
    if (!shown.ends_with("…")) shown += "…";  // printable() marks only its own cut
    warn_shown("line of " + std::to_string(bytes) + " bytes, longer than " + std::to_string(limit) +
             " (" + std::to_string(kSeedLineFactor) + " x the URL length cap)",
         shown);
  }

  [[noreturn]] void not_text() const {
    throw std::runtime_error(std::string(filename_) + ":" + std::to_string(next_number()) +
                             ": NUL byte: a binary file (or UTF-16 text), not a URL list");
  }

  SeedList finish() && {
    if (unshown_ > 0) {
      list_.warnings.push_back(std::string(filename_) + ": " + std::to_string(unshown_) +
                               " more lines skipped");
    }
    return std::move(list_);
  }

 private:
  void warn(std::string_view reason, std::string_view line) {
    warn_shown(reason, printable(line, kShownBytes));
  }
  // `shown`: already made printable.
  void warn_shown(std::string_view reason, const std::string& shown) {
    if (list_.warnings.size() >= kMaxSeedWarnings) {
      ++unshown_;
      return;
    }
    list_.warnings.push_back(std::string(filename_) + ":" + std::to_string(number_) + ": " +
                             std::string(reason) + ": '" + shown + "'");
  }

  static constexpr std::size_t kShownBytes = 300;  // of a line, in a warning

  std::string_view filename_;
  std::int64_t number_ = 0;  // lines seen
  SeedList list_;
  std::unordered_map<std::string, std::int64_t> first_line_;  // normalized URL → line listing it first
  std::size_t unshown_ = 0;                          // warnings beyond kMaxSeedWarnings
};

// Cuts text handed over in chunks into lines, holding at most `limit` bytes of a line: a
// longer one is counted, not kept.
class LineSplitter {
 public:
  LineSplitter(SeedParser& parser, std::size_t max_url_length)
      : parser_(parser), limit_(std::max<std::size_t>(max_url_length, 1) * kSeedLineFactor) {}

  void feed(std::string_view chunk) {
    while (!chunk.empty()) {
      const std::size_t newline = chunk.find('\n');
      const std::string_view piece = chunk.substr(0, newline);
      if (piece.find('\0') != std::string_view::npos) parser_.not_text();
      bytes_ += piece.size();
      if (bytes_ <= limit_) {
        line_.append(piece);
      } else if (line_.size() < limit_) {
        line_.append(piece.substr(0, limit_ - line_.size()));  // the start, for the warning
      }
      if (newline == std::string_view::npos) return;
      end_line();
      chunk.remove_prefix(newline + 1);
    }
  }

  // The text has ended; a last line without a newline is a line.
  void finish() {
    if (bytes_ > 0) end_line();
  }

 private:
  void end_line() {
    if (bytes_ > limit_) {
      parser_.overlong(bytes_, limit_, line_);
    } else {
      parser_.line(line_);
    }
    line_.clear();
    bytes_ = 0;
  }

  SeedParser& parser_;
  const std::size_t limit_;
  std::string line_;       // the current line, or its first limit_ bytes
  std::size_t bytes_ = 0;  // the current line's length so far
};

}  // namespace

SeedList parse_seed_list(std::string_view text, std::string_view filename,
                         std::size_t max_url_length) {
  SeedParser parser(filename);
  LineSplitter lines(parser, max_url_length);
  lines.feed(text);
  lines.finish();
  return std::move(parser).finish();
}

SeedList read_seed_file(const std::string& path, std::size_t max_url_length) {
  const auto fail = [&path](int error) {
    return std::runtime_error("cannot read " + path + ": " + std::strerror(error));
  };
  struct Closer {
    void operator()(std::FILE* file) const { std::fclose(file); }
  };
  const std::unique_ptr<std::FILE, Closer> file(std::fopen(path.c_str(), "rb"));
  if (!file) throw fail(errno);
  SeedParser parser(path);
  LineSplitter lines(parser, max_url_length);
  // Chunks of 64 KiB: whatever the file is, only the chunk and the bounded line are held.
  std::vector<char> buffer(std::size_t{1} << 16);
  while (const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), file.get())) {
    lines.feed(std::string_view(buffer.data(), n));
  }
  if (std::ferror(file.get())) throw fail(errno);
  lines.finish();
  return std::move(parser).finish();
}

}  // namespace crawl
