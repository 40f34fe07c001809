#include "bench/bench_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>

#include "core/json_text.h"
#include "app/text_table.h"

namespace crawl::bench {

std::string Strategy::kind() const { return wget2 ? "wget2" : to_string(mode); }
std::string Strategy::name() const { return fmt::format("{}:{}", kind(), concurrency); }

std::vector<Strategy> parse_strategies(const std::string& text) {
  constexpr long long kMaxConcurrency = 100000;  // as crawl --concurrency
  std::vector<Strategy> out;
  std::string group;
  const auto flush_group = [&] {
    if (group.empty()) return;
    std::optional<Mode> mode;
    std::size_t start = 0;
    while (start <= group.size()) {
      std::size_t end = group.find(',', start);
      if (end == std::string::npos) end = group.size();
      std::string item = group.substr(start, end - start);
      start = end + 1;
      if (item.empty()) throw std::invalid_argument("empty item in '" + group + "'");
      if (const auto colon = item.find(':'); colon != std::string::npos) {
        const std::string name = item.substr(0, colon);
        if (name == "threads") mode = Mode::threads;
        else if (name == "fibers") mode = Mode::fibers;
        else throw std::invalid_argument("unknown mode '" + name + "' in '" + group + "'; modes: threads, fibers");
        item = item.substr(colon + 1);
      }
      if (!mode)
        throw std::invalid_argument("'" + group + "' does not start with a mode; write e.g. threads:8,64 fibers:64,512");
      long long n = 0;
      const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), n);
      if (ec != std::errc() || ptr != item.data() + item.size() || item.empty() || n < 1 || n > kMaxConcurrency)
        throw std::invalid_argument("bad concurrency '" + item + "' in '" + group +
                                    "'; allowed: integers from 1 to 100000");
      const Strategy s{*mode, static_cast<int>(n)};
      if (std::find(out.begin(), out.end(), s) != out.end())
        throw std::invalid_argument(s.name() + " is listed twice");
      out.push_back(s);
    }
    group.clear();
  };
  for (const char c : text) {
    if (c == ' ' || c == '\t' || c == ';' || c == '\n')
      flush_group();
    else
      group += c;
  }
  flush_group();
  if (out.empty()) throw std::invalid_argument("no strategy given; write e.g. threads:8,64 fibers:64,512");
  return out;
}

namespace {

std::string human_size(std::int64_t bytes) {
  if (bytes >= (1 << 20) && bytes % (1 << 20) == 0) return fmt::format("{} MiB", bytes >> 20);
  if (bytes >= 1024 && bytes % 1024 == 0) return fmt::format("{} KiB", bytes >> 10);
  return fmt::format("{} B", bytes);
}

std::string percent(double fraction) {
  return fmt::format("{:g}%", std::round(fraction * 1000) / 10);
}

}  // namespace

std::string Workload::describe() const {
  if (!simulated) {
    std::string s = fmt::format("{} URLs from {}, max-depth {}", urls, urls_file, max_depth);
    if (max_pages > 0) s += fmt::format(", max-pages {}", max_pages);
    return s + fmt::format(", per-host {}", per_host);
  }
  std::string s = fmt::format("{} hosts × {} pages × {}, ", hosts, pages_per_host, human_size(page_size));
  s += delay_max_ms > delay_ms ? fmt::format("delay {}–{} ms", delay_ms, delay_max_ms)
                               : fmt::format("delay {} ms", delay_ms);
  if (error_rate > 0) s += fmt::format(", {} errors", percent(error_rate));
  return s + fmt::format(", per-host {}", per_host);
}

std::optional<double> Workload::ideal_s(int concurrency) const {
  const double delay_s = (delay_ms + std::max(delay_ms, delay_max_ms)) / 2.0 / 1000;
  const long long slots = std::min<long long>(concurrency, static_cast<long long>(hosts) * per_host);
  if (!simulated || delay_s <= 0 || slots <= 0) return std::nullopt;
  return static_cast<double>(expected_pages) * delay_s / static_cast<double>(slots);
}

namespace {

std::optional<double> per_page_ms(double cpu_s, std::int64_t pages) {
  if (pages <= 0) return std::nullopt;
  return cpu_s * 1000 / static_cast<double>(pages);
}

}  // namespace

const std::vector<Metric>& metrics(const Workload& workload) {
  using R = const RunMeasure&;
  using W = const Workload&;
  static const std::vector<Metric> common = {
      {"wall_s", "wall s", 2, [](R r, W) -> std::optional<double> { return r.wall_s; }, true},
      {"pages_per_s", "pages/s", 1,
       [](R r, W) -> std::optional<double> {
         if (r.wall_s <= 0) return std::nullopt;
         return static_cast<double>(r.pages) / r.wall_s;
       }, true},
      {"mb_per_s", "MB/s", 1,
       [](R r, W) -> std::optional<double> {
         if (r.wall_s <= 0) return std::nullopt;
         return static_cast<double>(r.bytes) / 1e6 / r.wall_s;
       }, true},
      {"latency_p50_ms", "p50 ms", 1, [](R r, W) { return r.latency_p50_ms; }, true},
      {"latency_p95_ms", "p95 ms", 1, [](R r, W) { return r.latency_p95_ms; }, true},
      {"latency_p99_ms", "p99 ms", 1, [](R r, W) { return r.latency_p99_ms; }, true},
      {"cpu_s", "CPU s", 2, [](R r, W) -> std::optional<double> { return r.cpu_user_s + r.cpu_sys_s; }, true},
      {"cpu_ms_per_page", "CPU ms/page", 3,
       [](R r, W) { return per_page_ms(r.cpu_user_s + r.cpu_sys_s, r.pages); }, true},
      {"peak_rss_mib", "peak MiB", 1,
       [](R r, W) -> std::optional<double> { return static_cast<double>(r.peak_rss_bytes) / (1 << 20); }, true},
      {"errors", "errors", 0,
       [](R r, W) -> std::optional<double> {
         if (r.external) return std::nullopt;
         return static_cast<double>(r.errors);
       }, true},
      {"pages", "pages", 0, [](R r, W) -> std::optional<double> { return static_cast<double>(r.pages); }, true},
  };
  static const std::vector<Metric> simulated = [] {
    auto m = common;
    m.push_back({"served", "served", 0, [](R r, W) -> std::optional<double> {
                   if (!r.served) return std::nullopt;
                   return static_cast<double>(*r.served);
                 }, true});
    m.push_back({"x_ideal", "x ideal", 2, [](R r, W w) -> std::optional<double> {
                   const auto ideal = w.ideal_s(r.concurrency);
                   if (!ideal) return std::nullopt;
                   return r.wall_s / *ideal;
                 }, true});
    m.push_back({"server_cpu_s", "server CPU s", 2, [](R r, W) { return r.server_cpu_s; }, false});
    return m;
  }();
  return workload.simulated ? simulated : common;
}

std::optional<Spread> spread(const StrategyResult& s, const Metric& metric, const Workload& workload) {
  std::vector<double> values;
  for (const auto& run : s.runs)
    if (auto v = metric.of(run, workload); v && std::isfinite(*v)) values.push_back(*v);
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  Spread out;
  out.median = n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  out.min = values.front();
  out.max = values.back();
  return out;
}

bool pages_agree(const StrategyResult& s, const Workload& workload) {
  if (!workload.simulated) return true;
  for (const auto& run : s.runs)
    if (!run.served || *run.served != run.pages || run.pages != workload.expected_pages) return false;
  return !s.runs.empty();
}

namespace {

std::string fixed(double v, int decimals) { return fmt::format("{:.{}f}", v, decimals); }

}  // namespace

std::string render_table(const BenchReport& report) {
  const auto& ms = metrics(report.workload);
  std::vector<TextTable::Column> columns{{"strategy", TextTable::Align::left}, {"runs", TextTable::Align::right}};
  for (const auto& m : ms)
    if (m.in_table) columns.push_back({m.label, TextTable::Align::right});
  TextTable table(std::move(columns));
  for (const auto& s : report.strategies) {
    std::vector<std::string> median{s.strategy.name(), std::to_string(s.runs.size())};
    std::vector<std::string> range{"  min-max", ""};
    for (const auto& m : ms) {
      if (!m.in_table) continue;
      const auto sp = spread(s, m, report.workload);
      median.push_back(sp ? fixed(sp->median, m.decimals) : "-");
      range.push_back(sp ? fixed(sp->min, m.decimals) + "-" + fixed(sp->max, m.decimals) : "-");
    }
    table.add_row(std::move(median));
    if (s.runs.size() > 1) table.add_row(std::move(range));
  }
  return table.render();
}

namespace {

boost::json::object workload_json(const Workload& w) {
  boost::json::object o;
  if (w.simulated) {
    o["kind"] = "simulated";
    o["hosts"] = w.hosts;
    o["pages_per_host"] = w.pages_per_host;
    o["page_size"] = w.page_size;
    o["links_per_page"] = w.links_per_page;
    o["delay_ms"] = w.delay_ms;
    o["delay_max_ms"] = std::max(w.delay_ms, w.delay_max_ms);
    o["error_rate"] = w.error_rate;
    o["seed"] = w.seed;
    o["expected_pages"] = w.expected_pages;
    o["error_pages"] = w.error_pages;
    o["ideal_s"] = json_number_or_null(w.ideal_s(std::numeric_limits<int>::max()));
  } else {
    o["kind"] = "urls";
    o["urls_file"] = w.urls_file;
    o["urls"] = w.urls;
    o["max_depth"] = w.max_depth;
    o["max_pages"] = w.max_pages;
  }
  o["per_host"] = w.per_host;
  o["description"] = w.describe();
  return o;
}

boost::json::object run_json(const RunMeasure& r) {
  boost::json::object o;
  o["repeat"] = r.repeat;
  o["position"] = r.position;
  o["exit_code"] = r.exit_code;
  o["outcome"] = r.outcome;
  o["wall_s"] = r.wall_s;
  o["pages"] = r.pages;
  o["results"] = r.results;
  o["bytes"] = r.bytes;
  o["errors"] = r.errors;
  o["skipped"] = r.skipped;
  o["cpu_user_s"] = r.cpu_user_s;
  o["cpu_sys_s"] = r.cpu_sys_s;
  o["peak_rss_bytes"] = r.peak_rss_bytes;
  boost::json::object latency;
  latency["p50"] = json_number_or_null(r.latency_p50_ms);
  latency["p95"] = json_number_or_null(r.latency_p95_ms);
  latency["p99"] = json_number_or_null(r.latency_p99_ms);
  o["latency_ms"] = std::move(latency);
  if (r.served) o["served"] = *r.served;
  if (r.server_cpu_s) o["server_cpu_s"] = *r.server_cpu_s;
  return o;
}

}  // namespace

std::string render_json(const BenchReport& report) {
  boost::json::object root;
  root["tool"] = "crawl bench";
  root["started_at"] = report.started_at;
  root["command"] = report.command;
  root["cores"] = report.cores;
  root["repeat"] = report.repeat;
  root["workload"] = workload_json(report.workload);
  boost::json::array strategies;
  for (const auto& s : report.strategies) {
    boost::json::object o;
    o["name"] = s.strategy.name();
    o["mode"] = s.strategy.kind();
    o["concurrency"] = s.strategy.concurrency;
    boost::json::object median, min, max;
    for (const auto& m : metrics(report.workload)) {
      const auto sp = spread(s, m, report.workload);
      median[m.key] = sp ? boost::json::value(sp->median) : boost::json::value(nullptr);
      min[m.key] = sp ? boost::json::value(sp->min) : boost::json::value(nullptr);
      max[m.key] = sp ? boost::json::value(sp->max) : boost::json::value(nullptr);
    }
    o["median"] = std::move(median);
    o["min"] = std::move(min);
    o["max"] = std::move(max);
    o["pages_agree"] = pages_agree(s, report.workload);
    boost::json::array runs;
    for (const auto& r : s.runs) runs.push_back(run_json(r));
    o["runs"] = std::move(runs);
    strategies.push_back(std::move(o));
  }
  root["strategies"] = std::move(strategies);
  return to_json_text(root);
}

std::string render_csv(const BenchReport& report) {
  const auto& ms = metrics(report.workload);
  std::string out = "strategy,mode,concurrency,runs";
  for (const auto& m : ms) out += fmt::format(",{0}_median,{0}_min,{0}_max", m.key);
  out += ",pages_expected,pages_agree\r\n";  // RFC 4180 line ends
  for (const auto& s : report.strategies) {
    out += fmt::format("{},{},{},{}", s.strategy.name(), s.strategy.kind(), s.strategy.concurrency,
                       s.runs.size());
    for (const auto& m : ms) {
      const auto sp = spread(s, m, report.workload);
      // More digits than the table: the CSV is for further computation.
      if (sp)
        out += fmt::format(",{},{},{}", fixed(sp->median, m.decimals + 3), fixed(sp->min, m.decimals + 3),
                           fixed(sp->max, m.decimals + 3));
      else
        out += ",,,";
    }
    out += report.workload.simulated ? fmt::format(",{}", report.workload.expected_pages) : ",";
    out += pages_agree(s, report.workload) ? ",true\r\n" : ",false\r\n";
  }
  return out;
}

// ---------------------------------------------------------------------------
// SVG chart

namespace {

std::string xml_escape(const std::string& s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 forbids most control characters, even escaped.
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n') out += c;
    }
  }
  return out;
}

// A step of 1, 2, 2.5 or 5 × 10^k giving about `ticks` ticks from 0 to max.
double nice_step(double max, int ticks) {
  if (!(max > 0)) return 1;
  const double raw = max / ticks;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double f : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (raw <= f * mag) return f * mag;
  return 10 * mag;
}

std::string tick_label(double v, double step) {
  if (step >= 1 && std::abs(v) >= 1e4) return fmt::format("{:.0f}k", v / 1000);
  if (step >= 1) return fmt::format("{:.0f}", v);
  const int decimals = std::clamp(static_cast<int>(std::ceil(-std::log10(step))) + 1, 1, 4);
  std::string s = fmt::format("{:.{}f}", v, decimals);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

struct ModeStyle {
  const char* color;
  const char* marker;  // "circle" | "square"
};

ModeStyle style_of(Mode m) {
  // Colour-blind-safe pair (Okabe–Ito), and different markers too.
  return m == Mode::fibers ? ModeStyle{"#0072B2", "circle"} : ModeStyle{"#D55E00", "square"};
}

std::string marker(const ModeStyle& st, double x, double y) {
  if (std::string_view(st.marker) == "circle")
    return fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="4.5" fill="{}" stroke="#fff" stroke-width="1.5"/>)", x,
                       y, st.color);
  return fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="9" height="9" fill="{}" stroke="#fff" stroke-width="1.5"/>)",
                     x - 4.5, y - 4.5, st.color);
}

struct Point {
  int concurrency;
  Spread value;
};

using ModePoints = std::map<Mode, std::vector<Point>>;

// The chart's page geometry and its shared log-scale x axis: every
// concurrency tested is a tick.
class Chart {
 public:
  static constexpr double kWidth = 960, kLeft = 90, kRight = 40, kPlotW = kWidth - kLeft - kRight;
  static constexpr double kTop1 = 120, kH1 = 300, kTop2 = kTop1 + kH1 + 70, kH2 = 180, kHeight = kTop2 + kH2 + 80;

  explicit Chart(std::set<int> xs) : xs_(std::move(xs)) {
    const double xmin = xs_.empty() ? 1 : *xs_.begin();
    const double xmax = xs_.empty() ? 10 : *xs_.rbegin();
    // Half a decade of margin on each side of the log axis (at least).
    lx0_ = std::log10(xmin) - 0.25;
    lx1_ = std::max(std::log10(xmax) + 0.25, lx0_ + 1);
  }

  std::string header(const BenchReport& report) const;
  // One panel: grid, axis labels, a line per mode with min–max bars, and
  // optionally the legend and the x axis label.
  std::string panel(const ModePoints& points, double top, double height, const std::string& ylabel,
                    bool with_legend, bool with_xlabel) const;

 private:
  double xpos(double c) const { return kLeft + (std::log10(c) - lx0_) / (lx1_ - lx0_) * kPlotW; }
  // The modes a few pixels apart, so bars at the same concurrency do not hide each other.
  double mode_x(Mode m, double c) const { return xpos(c) + (m == Mode::threads ? -3.0 : 3.0); }
  std::string grid(double top, double height, double ytop, double step) const;
  std::string series(Mode mode, const std::vector<Point>& list, double top, double height, double ytop) const;
  std::string legend(const ModePoints& points, double top) const;

  std::set<int> xs_;
  double lx0_ = 0, lx1_ = 1;
};

std::string Chart::header(const BenchReport& report) const {
  std::string svg = fmt::format(
      R"(<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {0} {1}" width="{0}" height="{1}" font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="14" fill="#222">
<rect x="0" y="0" width="{0}" height="{1}" fill="#fff"/>
)",
      kWidth, kHeight);
  svg += fmt::format(
      R"(<text x="{}" y="34" font-size="20" font-weight="600">crawl bench: throughput and CPU cost against concurrency</text>
)",
      kLeft);
  svg += fmt::format(R"(<text x="{}" y="60" font-size="14" fill="#444">{}</text>
)",
                     kLeft, xml_escape(report.workload.describe()));
  const std::string runs_text =
      report.repeat > 1 ? fmt::format("median of {} runs, bars span min–max", report.repeat) : "one run each";
  svg += fmt::format(R"(<text x="{}" y="80" font-size="13" fill="#666">{}; {} cores; {}</text>
)",
                     kLeft, runs_text, report.cores, xml_escape(report.started_at));
  return svg;
}

std::string Chart::grid(double top, double height, double ytop, double step) const {
  const auto ypos = [&](double v) { return top + height - v / ytop * height; };
  std::string s = fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="#fafafa" stroke="#ccc"/>
)",
                              kLeft, top, kPlotW, height);
  // Horizontal grid and y labels.
  for (double v = 0; v <= ytop * 1.0001; v += step) {
    const double y = ypos(v);
    s += fmt::format(R"(<line x1="{}" y1="{:.1f}" x2="{}" y2="{:.1f}" stroke="#e3e3e3"/>
<text x="{}" y="{:.1f}" text-anchor="end" font-size="12" fill="#555">{}</text>
)",
                     kLeft, y, kLeft + kPlotW, y, kLeft - 8, y + 4, tick_label(v, step));
  }
  // Vertical grid at each concurrency tested.
  for (const int c : xs_) {
    s += fmt::format(R"(<line x1="{0:.1f}" y1="{1}" x2="{0:.1f}" y2="{2}" stroke="#e3e3e3"/>
<text x="{0:.1f}" y="{3}" text-anchor="middle" font-size="12" fill="#555">{4}</text>
)",
                     xpos(c), top, top + height, top + height + 18, c);
  }
  return s;
}

std::string Chart::series(Mode mode, const std::vector<Point>& list, double top, double height, double ytop) const {
  const auto ypos = [&](double v) { return top + height - v / ytop * height; };
  const ModeStyle st = style_of(mode);
  std::string path;
  for (const auto& p : list)
    path += fmt::format("{}{:.1f},{:.1f}", path.empty() ? "M" : " L", mode_x(mode, p.concurrency), ypos(p.value.median));
  std::string s = fmt::format(R"(<path d="{}" fill="none" stroke="{}" stroke-width="2.5" stroke-linejoin="round"/>
)",
                              path, st.color);
  for (const auto& p : list) {
    const double x = mode_x(mode, p.concurrency);
    if (p.value.max > p.value.min)
      s += fmt::format(
          R"(<path d="M{0:.1f},{1:.1f} V{2:.1f} M{3:.1f},{1:.1f} H{4:.1f} M{3:.1f},{2:.1f} H{4:.1f}" stroke="{5}" stroke-width="1.5" fill="none"/>
)",
          x, ypos(p.value.min), ypos(p.value.max), x - 4, x + 4, st.color);
    // A tooltip with the exact figures when hovering the marker.
    s += fmt::format("<g><title>{}:{}: {} (min {}, max {})</title>{}</g>\n", to_string(mode), p.concurrency,
                     fixed(p.value.median, 2), fixed(p.value.min, 2), fixed(p.value.max, 2),
                     marker(st, x, ypos(p.value.median)));
  }
  return s;
}

std::string Chart::legend(const ModePoints& points, double top) const {
  // Above the plot's top-right corner, outside the data.
  std::string s;
  double lx = kLeft + kPlotW - 110 * static_cast<double>(points.size());
  const double ly = top - 16;
  for (const auto& [mode, list] : points) {
    const ModeStyle st = style_of(mode);
    s += fmt::format(R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2.5"/>
)",
                     lx, ly, lx + 28, ly, st.color);
    s += marker(st, lx + 14, ly);
    s += fmt::format(R"(<text x="{}" y="{}" font-size="14">{}</text>
)",
                     lx + 36, ly + 5, to_string(mode));
    lx += 110;
  }
  return s;
}

std::string Chart::panel(const ModePoints& points, double top, double height, const std::string& ylabel,
                         bool with_legend, bool with_xlabel) const {
  double ymax = 0;
  for (const auto& [mode, list] : points)
    for (const auto& p : list) ymax = std::max(ymax, p.value.max);
  const double step = nice_step(ymax * 1.05, 5);
  const double ytop = std::max(step, std::ceil(ymax * 1.05 / step) * step);
  std::string s = "<g>\n" + grid(top, height, ytop, step);
  s += fmt::format(
      R"~(<text transform="translate({},{:.1f}) rotate(-90)" text-anchor="middle" font-size="14">{}</text>
)~",
      kLeft - 58, top + height / 2, xml_escape(ylabel));
  if (with_xlabel)
    s += fmt::format(R"(<text x="{:.1f}" y="{}" text-anchor="middle" font-size="14">{}</text>
)",
                     kLeft + kPlotW / 2, top + height + 42, "concurrency: transfers in flight (--concurrency), log scale");
  for (const auto& [mode, list] : points) s += series(mode, list, top, height, ytop);
  if (with_legend) s += legend(points, top);
  return s + "</g>\n";
}

}  // namespace

std::string render_svg(const BenchReport& report) {
  const Workload& w = report.workload;
  const auto& ms = metrics(w);
  const auto metric = [&](std::string_view key) -> const Metric& {
    for (const auto& m : ms)
      if (key == m.key) return m;
    throw std::logic_error("no metric " + std::string(key));
  };
  const Metric& rate = metric("pages_per_s");
  const Metric& cpu = metric("cpu_ms_per_page");

  // Points per mode, in concurrency order.
  ModePoints rate_points, cpu_points;
  std::set<int> xs;
  for (const auto& s : report.strategies) {
    if (s.strategy.wget2) continue;  // a point of its own would need a legend of its own
    xs.insert(s.strategy.concurrency);
    if (auto sp = spread(s, rate, w)) rate_points[s.strategy.mode].push_back({s.strategy.concurrency, *sp});
    if (auto sp = spread(s, cpu, w)) cpu_points[s.strategy.mode].push_back({s.strategy.concurrency, *sp});
  }
  for (auto* points : {&rate_points, &cpu_points})
    for (auto& [mode, list] : *points)
      std::sort(list.begin(), list.end(), [](const Point& a, const Point& b) { return a.concurrency < b.concurrency; });

  const Chart chart(std::move(xs));
  std::string svg = chart.header(report);
  svg += chart.panel(rate_points, Chart::kTop1, Chart::kH1, "pages/s (higher is better)", true, false);
  svg += chart.panel(cpu_points, Chart::kTop2, Chart::kH2, "CPU ms per page (lower is better)", false, true);
  svg += "</svg>\n";
  return svg;
}

}  // namespace crawl::bench
