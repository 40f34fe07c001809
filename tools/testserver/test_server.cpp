#include "tools/testserver/test_server.h"

#include <sys/resource.h>
#include <brotli/encode.h>
#include <zlib.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace crawl::testserver {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using Request = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;

constexpr auto kIdleTimeout = std::chrono::seconds(60);
// The longest a ?together=N response waits for the others (then it goes anyway).
constexpr auto kTogetherTimeout = std::chrono::seconds(30);
constexpr auto kAcceptRetry = std::chrono::milliseconds(50);
constexpr std::size_t kChunkSize = 64 * 1024;
constexpr std::uint64_t kDefaultBigBytes = 1024 * 1024;
constexpr std::string_view kHtml = "text/html; charset=utf-8";

// splitmix64 finalizer: cheap, deterministic, well-spread link targets.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t pick(int host, int page, int k, std::uint64_t n) {
  const auto seed = (std::uint64_t(host) << 42) ^ (std::uint64_t(page) << 16) ^ std::uint64_t(k);
  return mix(seed) % n;
}

// Whole-string unsigned parse; nullopt on anything else ("", "+1", "007x").
std::optional<std::uint64_t> parse_uint(std::string_view s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// The raw (still percent-encoded) value of the first `key=` in a query.
std::optional<std::string_view> query_value(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    if (pair.size() > key.size() && pair.starts_with(key) && pair[key.size()] == '=')
      return pair.substr(key.size() + 1);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
  }
  return std::nullopt;
}

std::optional<std::uint64_t> query_uint(std::string_view query, std::string_view key) {
  const auto value = query_value(query, key);
  return value ? parse_uint(*value) : std::nullopt;
}

// A header value must not smuggle in a line break or other controls.
bool is_field_value(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; });
}

// `bytes` zero bytes compressed for Content-Encoding `encoding` (gzip,
// deflate, br or zstd), from a small zero buffer so the server never holds
// the decoded size. gzip and deflate (zlib, RFC 1950) reach about 1000:1,
// brotli far more; zstd is written by hand as 128 KiB RLE blocks (RFC 8878
// 3.1.1.2: 3 block header bytes + 1 byte each), so no zstd encoder library
// is needed.
std::string compressed_zeros(std::string_view encoding, std::uint64_t bytes) {
  static const std::string zeros(1 << 20, '\0');
  std::string out;
  char buf[64 * 1024];
  if (encoding == "gzip" || encoding == "deflate") {
    z_stream zs{};
    if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, encoding == "gzip" ? 31 : 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      throw std::runtime_error("deflateInit2 failed");
    int rc = Z_OK;
    do {
      const std::uint64_t in = std::min<std::uint64_t>(bytes, zeros.size());
      bytes -= in;
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zeros.data()));
      zs.avail_in = static_cast<uInt>(in);
      const int flush = bytes == 0 ? Z_FINISH : Z_NO_FLUSH;
      do {
        zs.next_out = reinterpret_cast<Bytef*>(buf);
        zs.avail_out = sizeof buf;
        rc = deflate(&zs, flush);
        out.append(buf, sizeof buf - zs.avail_out);
      } while (zs.avail_out == 0 && rc != Z_STREAM_END);
    } while (bytes > 0);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
  } else if (encoding == "br") {
    std::unique_ptr<BrotliEncoderState, void (*)(BrotliEncoderState*)> enc(
        BrotliEncoderCreateInstance(nullptr, nullptr, nullptr), &BrotliEncoderDestroyInstance);
    if (!enc) throw std::runtime_error("BrotliEncoderCreateInstance failed");
    BrotliEncoderSetParameter(enc.get(), BROTLI_PARAM_QUALITY, 5);
    for (;;) {
      const std::uint64_t in = std::min<std::uint64_t>(bytes, zeros.size());
      bytes -= in;
      std::size_t avail_in = static_cast<std::size_t>(in);
      const auto* next_in = reinterpret_cast<const std::uint8_t*>(zeros.data());
      const auto op = bytes == 0 ? BROTLI_OPERATION_FINISH : BROTLI_OPERATION_PROCESS;
      do {
        std::size_t avail_out = sizeof buf;
        auto* next_out = reinterpret_cast<std::uint8_t*>(buf);
        if (!BrotliEncoderCompressStream(enc.get(), op, &avail_in, &next_in, &avail_out, &next_out, nullptr))
          throw std::runtime_error("BrotliEncoderCompressStream failed");
        out.append(buf, sizeof buf - avail_out);
      } while (avail_in > 0 || BrotliEncoderHasMoreOutput(enc.get()));
      if (bytes == 0 && BrotliEncoderIsFinished(enc.get())) break;
    }
  } else if (encoding == "zstd") {
    // Magic, Frame_Header_Descriptor 0 (no content size, not single
    // segment), Window_Descriptor 0x38 (window 2^17 = 128 KiB).
    out.assign("\x28\xb5\x2f\xfd\x00\x38", 6);
    constexpr std::uint32_t kBlock = 128 * 1024;
    do {
      const auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>(bytes, kBlock));
      bytes -= n;
      const std::uint32_t header = (n << 3) | (1u << 1) | (bytes == 0 ? 1u : 0u);  // RLE block, last?
      out.push_back(static_cast<char>(header & 0xff));
      out.push_back(static_cast<char>((header >> 8) & 0xff));
      out.push_back(static_cast<char>((header >> 16) & 0xff));
      out.push_back('\0');
    } while (bytes > 0);
  } else {
    throw std::invalid_argument("unknown encoding");
  }
  return out;
}

// kChunkSize bytes of printable filler lines for /big*.
const std::string& big_filler() {
  static const std::string text = [] {
    std::string s;
    for (int line = 0; s.size() < kChunkSize; ++line)
      s += "crawl-testserver filler line " + std::to_string(line) + " abcdefghijklmnopqrstuvwxyz\n";
    s.resize(kChunkSize);
    return s;
  }();
  return text;
}

std::string small_page(std::string_view title, std::string_view text = {}) {
  std::string s = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>";
  s.append(title).append("</title></head>\n<body><h1>").append(title).append("</h1>\n");
  if (!text.empty()) s.append("<p>").append(text).append("</p>\n");
  return s + "</body></html>\n";
}

HttpResponse make(http::status status, std::string body, std::string_view type = kHtml) {
  HttpResponse res{status, 11};
  if (!type.empty()) res.set(http::field::content_type, type);
  res.body() = std::move(body);
  return res;
}

std::string status_page(unsigned code) {
  return small_page(std::to_string(code) + " " + std::string(http::obsolete_reason(http::int_to_status(code))));
}

// <?xml …?> + a sitemap protocol root element around `entries`.
std::string sitemap_xml(std::string_view root, const std::string& entries) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<" + std::string(root) +
         " xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n" + entries + "</" + std::string(root) + ">\n";
}

std::string_view mime_type(const fs::path& file) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".html" || ext == ".htm") return kHtml;
  if (ext == ".css") return "text/css";
  if (ext == ".js") return "text/javascript";
  if (ext == ".png") return "image/png";
  if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
  if (ext == ".gif") return "image/gif";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    unsigned v = 0;
    if (i + 2 >= s.size()) return std::nullopt;
    auto [end, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
    if (ec != std::errc{} || end != s.data() + i + 3 || v == 0) return std::nullopt;
    out += static_cast<char>(v);
    i += 2;
  }
  return out;
}

// Every value of a header field, joined by ", " (RFC 9110 5.3); "" if absent.
std::string field_values(const Request& req, http::field field) {
  std::string out;
  const auto range = req.equal_range(field);
  for (auto i = range.first; i != range.second; ++i) {
    if (!out.empty()) out += ", ";
    out.append(i->value());
  }
  return out;
}

// The ETag of a generated body: 16 hex digits of FNV-1a 64, mixed.
std::string body_etag(std::string_view body) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : body) h = (h ^ c) * 0x100000001b3ULL;
  char text[24];
  std::snprintf(text, sizeof text, "\"%016llx\"", static_cast<unsigned long long>(mix(h)));
  return text;
}

// `etag` with "-n" before its closing quote, or appended without one.
std::string rotated_etag(std::string etag, std::uint64_t n) {
  const auto at = etag.ends_with('"') && etag.size() >= 2 ? etag.size() - 1 : etag.size();
  return etag.insert(at, "-" + std::to_string(n));
}

// An HTTP-date (RFC 9110 5.6.7): IMF-fixdate, or the obsolete RFC 850 and
// asctime forms, which recipients must accept too.
std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view text) {
  namespace chrono = std::chrono;
  static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  const std::string s(text);
  char weekday[16] = {}, month[4] = {};
  int day = 0, year = 0, hour = 0, minute = 0, second = 0, end = -1;
  // Each form must match to the last character (%n), "GMT" included.
  auto whole = [&](int fields) { return fields == 7 && end == static_cast<int>(s.size()); };
  bool parsed = whole(std::sscanf(s.c_str(), "%3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d GMT%n", weekday, &day, month,
                                  &year, &hour, &minute, &second, &end));
  if (!parsed) {  // RFC 850: two-digit year, read as 1970..2069
    end = -1;
    parsed = whole(std::sscanf(s.c_str(), "%15[A-Za-z], %2d-%3[A-Za-z]-%2d %2d:%2d:%2d GMT%n", weekday, &day, month,
                               &year, &hour, &minute, &second, &end));
    if (parsed) year += year < 70 ? 2000 : 1900;
  }
  if (!parsed) {  // asctime
    end = -1;
    parsed = whole(std::sscanf(s.c_str(), "%3[A-Za-z] %3[A-Za-z] %2d %2d:%2d:%2d %4d%n", weekday, month, &day, &hour,
                               &minute, &second, &year, &end));
  }
  const auto m = std::strlen(month) == 3 ? kMonths.find(month) : std::string_view::npos;
  if (!parsed || m == std::string_view::npos || m % 3 != 0) return std::nullopt;
  const chrono::year_month_day date{chrono::year(year), chrono::month(unsigned(m / 3 + 1)), chrono::day(unsigned(day))};
  if (!date.ok() || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60)
    return std::nullopt;
  return chrono::sys_days(date) + chrono::hours(hour) + chrono::minutes(minute) + chrono::seconds(second);
}

// If-None-Match (RFC 9110 13.1.2): `*`, or a list of entity-tags of which
// one equals `etag` by weak comparison (8.8.3.2: opaque-tags, W/ ignored).
bool none_match_hits(std::string_view list, std::string_view etag) {
  const auto opaque = [](std::string_view tag) { return tag.starts_with("W/") ? tag.substr(2) : tag; };
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!list.empty() && blank(list.front())) list.remove_prefix(1);
  while (!list.empty() && blank(list.back())) list.remove_suffix(1);
  if (etag.empty()) return false;
  if (list == "*") return true;
  const auto mine = opaque(etag);
  for (std::size_t i = 0; i < list.size();) {
    if (blank(list[i]) || list[i] == ',') {
      ++i;
      continue;
    }
    // Quoted opaque-tags may contain commas: find the closing quote first.
    const std::size_t start = i;
    if (list.substr(i).starts_with("W/")) i += 2;
    std::size_t end = list.find(',', i);
    if (i < list.size() && list[i] == '"') {
      const auto close = list.find('"', i + 1);
      end = close == std::string_view::npos ? list.size() : close + 1;
    }
    if (end == std::string_view::npos) end = list.size();
    auto tag = list.substr(start, end - start);
    while (!tag.empty() && blank(tag.back())) tag.remove_suffix(1);
    if (opaque(tag) == mine) return true;
    i = end;
  }
  return false;
}

// The validators of a response and whether conditional requests may turn it
// into a 304 (see "Validators and conditional requests" in the header).
struct Validators {
  std::string etag;           // sent verbatim; empty: none
  std::string last_modified;  // sent verbatim; empty: none
  bool conditional = false;   // a matching If-None-Match / If-Modified-Since gets 304
  bool always_304 = false;    // every request gets 304
};

// Whether the request's preconditions say the client's copy is current.
// If-Modified-Since counts only without If-None-Match (RFC 9110 13.1.3).
bool not_modified(const Request& req, const Validators& v) {
  if (req.count(http::field::if_none_match) > 0)
    return none_match_hits(field_values(req, http::field::if_none_match), v.etag);
  if (req.count(http::field::if_modified_since) == 0 || v.last_modified.empty()) return false;
  const auto since = field_values(req, http::field::if_modified_since);
  if (since == v.last_modified) return true;
  const auto since_time = parse_http_date(since);
  const auto modified = parse_http_date(v.last_modified);
  return since_time && modified && *since_time >= *modified;
}

// What a request gets. Decided by Router (pure), carried out by Session.
struct Reply {
  enum class Kind { message, big, reset, raw } kind = Kind::message;
  HttpResponse response;
  Validators validators;  // Kind::message only; applied by apply_validators()
  std::uint64_t big_bytes = 0;  // Kind::big: body length
  bool chunked = false;         // Kind::big: chunked instead of Content-Length
  std::string raw;              // Kind::raw: these bytes as they are, then the connection closes
  std::chrono::milliseconds extra_delay{0};
  std::uint64_t together = 0;  // held until this many such requests arrived (Router::arrived_together)
};

// A set_response() response; `failing` for one of its first fail_first
// requests; `n`: the target's requests so far (Response::rotate_etag).
Reply custom_response(const Response& custom, bool failing, std::uint64_t n) {
  Reply reply;
  auto& res = reply.response;
  if (failing) {
    res = make(http::status::ok, status_page(static_cast<unsigned>(custom.fail_status)));
    res.result(static_cast<unsigned>(custom.fail_status));
    if (!custom.fail_retry_after.empty()) res.set(http::field::retry_after, custom.fail_retry_after);
    return reply;
  }
  res = make(http::status::ok, custom.body, custom.content_type);
  res.result(static_cast<unsigned>(custom.status));
  for (const auto& [name, value] : custom.headers) res.insert(name, value);
  reply.validators.etag = custom.rotate_etag && !custom.etag.empty() ? rotated_etag(custom.etag, n) : custom.etag;
  reply.validators.last_modified = custom.last_modified;
  reply.validators.conditional = custom.conditional && !custom.rotate_etag;
  reply.validators.always_304 = custom.always_304;
  return reply;
}

// Sends the reply's validators and turns it into a 304 when asked to. Only a
// 2xx is answered 304 on a match (RFC 9110 13.2.2: other responses ignore
// preconditions); always_304 is a broken server and answers 304 regardless.
void apply_validators(const Request& req, Reply& reply) {
  const auto& v = reply.validators;
  auto& res = reply.response;
  if (reply.kind != Reply::Kind::message) return;
  if (!v.etag.empty()) res.set(http::field::etag, v.etag);
  if (!v.last_modified.empty()) res.set(http::field::last_modified, v.last_modified);
  const bool success = res.result_int() >= 200 && res.result_int() < 300;
  if (!v.always_304 && !(v.conditional && success && not_modified(req, v))) return;
  res.result(http::status::not_modified);
  res.body().clear();  // Session::send drops Content-Type and Content-Length
}

// The run-time state of one generated page (set_page_version(), remove_page(),
// rotate_etags), kept by its Host.
struct PageState {
  int version = 0;
  int removed_status = 0;     // 0: served
  std::uint64_t requests = 0;  // since start; counted only with rotate_etags
};
// Counts a request of page N (-1: the index) and returns the page's state.
using PageLookup = std::function<PageState(int page)>;

// Last-Modified of version 0 of every generated page; version V is V s later.
constexpr std::chrono::sys_seconds kFirstVersionTime{std::chrono::sys_days{std::chrono::year(2026) / 1 / 1}};

// Maps requests to replies. Immutable after construction, so sessions on any
// thread share it without locking.
class Router {
 public:
  Router(SiteOptions options, std::vector<std::string> authorities, fs::path static_root)
      : options_(std::move(options)), authorities_(std::move(authorities)),
        static_root_(std::move(static_root)) {
    if (static_root_.empty() && options_.error_rate > 0) find_reachable();
  }

  const SiteOptions& options() const { return options_; }
  const std::string& authority(int host) const { return authorities_.at(host); }
  bool random_delays() const { return options_.delay_max > options_.delay; }
  // ?together=N: `go` is called (on any thread) once N requests have
  // joined, at once for those that join later.
  void join_together(std::uint64_t n, std::function<void()> go) const {
    std::vector<std::function<void()>> ready;
    {
      std::lock_guard lock(together_mutex_);
      if (++together_arrived_ < n) {
        together_waiting_.push_back(std::move(go));
        return;
      }
      ready.swap(together_waiting_);
    }
    for (auto& f : ready) f();
    go();
  }

  // The delay before the n-th response (arrival order) of a host.
  std::chrono::milliseconds delay(int host, std::uint64_t n) const {
    if (!random_delays()) return options_.delay;
    const auto span = std::uint64_t((options_.delay_max - options_.delay).count()) + 1;
    return options_.delay + std::chrono::milliseconds(mix(mix(mix(options_.seed) ^ std::uint64_t(host)) ^ n) % span);
  }

  bool is_error_page(int host, int page) const {
    if (options_.error_rate <= 0) return false;
    const auto h = mix(mix(options_.seed) ^ (std::uint64_t(host) << 32 | std::uint32_t(page)));
    return double(h >> 11) * 0x1.0p-53 < options_.error_rate;  // top 53 bits → [0, 1)
  }

  // Whether a crawl from the roots reaches the page (see "Error pages").
  bool in_site(int host, int page) const {
    return reachable_.empty() || reachable_[std::size_t(host) * std::size_t(options_.pages_per_host) + std::size_t(page)];
  }

  Reply route(int host, const Request& req, const PageLookup& page_states) const {
    Reply reply;
    const std::string_view target = req.target();
    const auto q = target.find('?');
    const auto path = target.substr(0, q);
    const auto query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      reply.response = make(http::status::method_not_allowed, small_page("405 Method Not Allowed"));
      reply.response.set(http::field::allow, "GET, HEAD");
    } else if (!static_root_.empty()) {
      serve_file(path, reply);
    } else if (path == "/cookie-gate") {
      // A site that hands out a session cookie and redirects to itself.
      const std::string_view cookie = req[http::field::cookie];
      if (cookie.find("gate=open") != std::string_view::npos) {
        reply.response = make(http::status::ok, small_page("Cookie gate", "cookie-ok <a href=\"/page/0.html\">in</a>"));
      } else {
        reply.response = make(http::status::found, small_page("302 Found", "a cookie first"));
        reply.response.set(http::field::location, "/cookie-gate");
        reply.response.set(http::field::set_cookie, "gate=open; Path=/");
      }
    } else if (path == "/cookie-flood") {
      // A page that sets `count` cookies of names it never used before (n= tells pages apart).
      const auto n = query_uint(query, "n").value_or(0);
      const auto count = std::min<std::uint64_t>(query_uint(query, "count").value_or(50), 1000);
      reply.response = make(http::status::ok, small_page("Cookie flood", std::to_string(count) + " cookies"));
      for (std::uint64_t i = 0; i < count; ++i)
        reply.response.insert(http::field::set_cookie,
                              "f" + std::to_string(n) + "_" + std::to_string(i) + "=x; Path=/");
    } else if (path == "/cookies") {
      const std::string_view cookie = req[http::field::cookie];
      reply.response = make(http::status::ok, "Cookie: " + std::string(cookie.empty() ? "(none)" : cookie) + "\n",
                            "text/plain; charset=utf-8");
    } else {
      generated(host, path, query, reply, page_states);
    }
    return reply;
  }

  std::string index_html(int host, int version) const {
    std::string text = "<a href=\"/page/0.html\">first page</a>";
    if (version != 0) text += " version " + std::to_string(version);
    return small_page("Host " + std::to_string(host), text);
  }

  // Version V != 0 adds a paragraph and takes its size from the filler.
  std::string page_html(int host, int page, int version) const {
    const std::string title = "Host " + std::to_string(host) + " page " + std::to_string(page);
    std::string s = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + title +
                    "</title></head>\n<body>\n<h1>" + title + "</h1>\n";
    if (version != 0) s += "<p>version " + std::to_string(version) + "</p>\n";
    s += "<ul>\n";
    auto link = [&s](const std::string& href, const std::string& text) {
      s += "<li><a href=\"" + href + "\">" + text + "</a></li>\n";
    };
    int same = 0;   // same-host link index on this page; picks the href spelling
    int cross = 0;  // cross-host link index; picks the href spelling
    for (const auto& to : links(host, page)) {
      const std::string number = std::to_string(to.page);
      if (to.host == host) {
        link(same_host_href(host, to.page, page + same++), "page " + number);
        continue;
      }
      static constexpr std::string_view kPrefix[] = {"http://", "//", "http://"};
      static constexpr std::string_view kSuffix[] = {"", "", "#cross"};
      const int v = (page + cross++) % 3;
      link(std::string(kPrefix[v]) + authorities_[to.host] + "/page/" + number + ".html" + std::string(kSuffix[v]),
           "host " + std::to_string(to.host) + " page " + number);
    }
    link("mailto:webmaster@localhost", "mail");
    link("javascript:void(0)", "script");
    link("/page/0.html#frag", "first page");
    s += "</ul>\n";
    constexpr std::string_view kTail = "</body></html>\n";
    constexpr std::string_view kFiller = "lorem ipsum dolor sit amet consectetur adipiscing elit\n";
    const std::size_t used = s.size() + kTail.size();
    if (options_.page_size >= used + 8) {  // 8 = "<p>" + "</p>\n"
      const std::size_t n = options_.page_size - used - 8;
      s += "<p>";
      for (std::size_t i = 0; i < n; ++i) s += kFiller[i % kFiller.size()];
      s += "</p>\n";
    } else if (options_.page_size > used) {
      s.append(options_.page_size - used, '\n');
    }
    return s.append(kTail);
  }

 private:
  struct PageRef {
    int host;
    int page;
  };

  // The generated pages that page `page` of `host` links to, in page order:
  // its children, then links_per_page same-host picks, then cross links.
  std::vector<PageRef> links(int host, int page) const {
    std::vector<PageRef> out;
    const int pages = options_.pages_per_host;
    for (int child : {2 * page + 1, 2 * page + 2})
      if (child < pages) out.push_back({host, child});
    for (int i = 0; i < options_.links_per_page; ++i) {
      const int k = static_cast<int>(out.size());
      out.push_back({host, static_cast<int>(pick(host, page, k, pages))});
    }
    const int hosts = static_cast<int>(authorities_.size());
    for (int i = 0; hosts > 1 && i < options_.cross_links; ++i) {
      const int other = (host + 1 + static_cast<int>(pick(host, page, 1000 + i, hosts - 1))) % hosts;
      out.push_back({other, static_cast<int>(pick(host, page, 2000 + i, pages))});
    }
    return out;
  }

  // Error pages serve no links: walk the link graph from every root (which
  // links to its page 0) without passing through them.
  void find_reachable() {
    const auto pages = std::size_t(options_.pages_per_host);
    const int hosts = static_cast<int>(authorities_.size());
    reachable_.assign(std::size_t(hosts) * pages, false);
    std::vector<PageRef> stack;
    for (int h = 0; h < hosts; ++h) {
      reachable_[std::size_t(h) * pages] = true;
      stack.push_back({h, 0});
    }
    while (!stack.empty()) {
      const auto from = stack.back();
      stack.pop_back();
      if (is_error_page(from.host, from.page)) continue;
      for (const auto& to : links(from.host, from.page)) {
        auto&& seen = reachable_[std::size_t(to.host) * pages + std::size_t(to.page)];
        if (!seen) {
          seen = true;
          stack.push_back(to);
        }
      }
    }
  }

  // Sitemap <urlset> of the host's site pages with from <= N < to.
  std::string urlset(int host, int from, int to) const {
    std::string entries;
    for (int page = from; page < to; ++page)
      if (in_site(host, page))
        entries += "  <url><loc>http://" + authorities_[host] + "/page/" + std::to_string(page) + ".html</loc></url>\n";
    return sitemap_xml("urlset", entries);
  }

  // Spellings that all resolve (against /page/N.html) to /page/{to}.html.
  std::string same_host_href(int host, int to, int variant) const {
    const std::string n = std::to_string(to);
    switch (variant % 6) {
      case 0: return n + ".html";
      case 1: return "./" + n + ".html";
      case 2: return "../page/" + n + ".html";
      case 3: return "/page/" + n + ".html";
      case 4: return "http://" + authorities_[host] + "/page/" + n + ".html";
      default: return n + ".html#top";
    }
  }

  // /status/NNN[?retry_after=S|date:S|none]: that status, with Retry-After
  // as asked (1 s by default on a 429 or 503).
  static HttpResponse status_response(unsigned code, std::string_view query) {
    const bool no_body = code == 204 || code == 304;
    auto res = make(http::status::ok, no_body ? "" : small_page("Status " + std::to_string(code)));
    res.result(code);
    const auto retry_after = query_value(query, "retry_after");
    std::optional<std::uint64_t> seconds;
    if (!retry_after) {
      if (code == 429 || code == 503) res.set(http::field::retry_after, "1");
    } else if (retry_after->starts_with("date:") && (seconds = parse_uint(retry_after->substr(5)))) {
      res.set(http::field::retry_after, http_date(std::chrono::system_clock::now() + std::chrono::seconds(*seconds)));
    } else if (*retry_after != "none") {
      res.set(http::field::retry_after, *retry_after);  // verbatim, malformed values included
    }
    return res;
  }

  // The index or a page, as its state says, with validators if asked for.
  void generated_page(int host, int page, const PageState& state, Reply& reply) const {
    auto& res = reply.response;
    if (state.removed_status != 0) {
      res = make(http::status::ok, status_page(static_cast<unsigned>(state.removed_status)));
      res.result(static_cast<unsigned>(state.removed_status));
      return;
    }
    if (page >= 0 && is_error_page(host, page)) {
      res = make(http::status::internal_server_error, small_page("500 Internal Server Error", "error page"));
      return;
    }
    res = make(http::status::ok, page < 0 ? index_html(host, state.version) : page_html(host, page, state.version));
    if (options_.rotate_etags) {
      reply.validators.etag = rotated_etag(body_etag(res.body()), state.requests);
    } else if (options_.validators) {
      reply.validators.etag = body_etag(res.body());
      reply.validators.last_modified = http_date(kFirstVersionTime + std::chrono::seconds(state.version));
      reply.validators.conditional = true;
    }
  }

  void generated(int host, std::string_view path, std::string_view query, Reply& reply,
                 const PageLookup& page_states) const {
    auto& res = reply.response;
    auto redirect = [&res](std::string location) {
      res = make(http::status::found, small_page("302 Found", "Moved to " + location));
      res.set(http::field::location, location);
    };
    std::optional<std::uint64_t> n;
    if (path == "/") {
      generated_page(host, -1, page_states(-1), reply);
    } else if (path.starts_with("/page/") && path.ends_with(".html") &&
               (n = parse_uint(path.substr(6, path.size() - 11))) && *n < std::uint64_t(options_.pages_per_host) &&
               std::to_string(*n) == path.substr(6, path.size() - 11)) {
      const int page = static_cast<int>(*n);
      generated_page(host, page, page_states(page), reply);
    } else if (path == "/sitemap.xml" || path == "/sitemap.xml.gz" || path == "/sitemap-a.xml" ||
               path == "/sitemap-b.xml.gz") {
      const int pages = options_.pages_per_host;
      const int half = (pages + 1) / 2;
      const std::string xml = urlset(host, path == "/sitemap-b.xml.gz" ? half : 0, path == "/sitemap-a.xml" ? half : pages);
      res = path.ends_with(".gz") ? make(http::status::ok, gzip(xml), "application/gzip")
                                  : make(http::status::ok, xml, "application/xml");
    } else if (path == "/sitemap_index.xml") {
      std::string entries;
      for (const char* name : {"/sitemap-a.xml", "/sitemap-b.xml.gz"})
        entries += "  <sitemap><loc>http://" + authorities_[host] + name + "</loc></sitemap>\n";
      res = make(http::status::ok, sitemap_xml("sitemapindex", entries), "application/xml");
    } else if (path.starts_with("/status/") && (n = parse_uint(path.substr(8))) && *n >= 200 && *n <= 599) {
      res = status_response(static_cast<unsigned>(*n), query);
    } else if (path.starts_with("/redirect/") && (n = parse_uint(path.substr(10)))) {
      redirect(*n == 0 ? "/page/0.html" : "/redirect/" + std::to_string(*n - 1));
    } else if (path == "/redirect-to") {
      const auto encoded = query_value(query, "url");
      const auto location = encoded ? percent_decode(*encoded) : std::nullopt;
      if (location && !location->empty() && is_field_value(*location))
        redirect(*location);
      else
        res = make(http::status::bad_request, small_page("400 Bad Request", "need /redirect-to?url=U"));
    } else if (path == "/loop") {
      redirect("/loop");
    } else if (path == "/big" || path == "/big-chunked") {
      reply.kind = Reply::Kind::big;
      reply.big_bytes = query_uint(query, "bytes").value_or(kDefaultBigBytes);
      reply.chunked = path == "/big-chunked";
      res = make(http::status::ok, "", "text/plain; charset=utf-8");
    } else if (path == "/gzip" || path == "/bad-gzip") {
      const std::string body = small_page("Compressed", "gzip-ok");
      res = make(http::status::ok, path == "/gzip" ? gzip(body) : "this is not gzip data \x01\x02\x03");
      res.set(http::field::content_encoding, "gzip");
      res.set(http::field::vary, "Accept-Encoding");
    } else if (path == "/gzip-bomb" || path == "/deflate-bomb" || path == "/br-bomb" || path == "/zstd-bomb") {
      const auto bytes = std::min<std::uint64_t>(query_uint(query, "bytes").value_or(256ull << 20), 4ull << 30);
      const auto encoding = path.substr(1, path.find('-') - 1);
      res = make(http::status::ok, compressed_zeros(encoding, bytes), "text/plain; charset=utf-8");
      res.set(http::field::content_encoding, encoding);
    } else if (path == "/endless") {
      if (const auto together = query_uint(query, "together")) reply.together = *together;
      reply.kind = Reply::Kind::big;
      reply.big_bytes = std::numeric_limits<std::uint64_t>::max();  // 2^64 bytes: not in this test's lifetime
      reply.chunked = true;
      res = make(http::status::ok, "", "text/plain; charset=utf-8");
    } else if (path == "/reset") {
      reply.kind = Reply::Kind::reset;
    } else if (path == "/cut") {
      // A response whose body is cut short: Content-Length 1000, 21 bytes, then close.
      reply.kind = Reply::Kind::raw;
      reply.raw = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n<html><body>cut short";
    } else if (path == "/early-hints") {
      // A 103 Early Hints (an interim response) before the final 200.
      const std::string body = small_page("Early hints", "early-ok") + "<a href=\"/page/1.html\">one</a>";
      reply.kind = Reply::Kind::raw;
      reply.raw = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\n"
                  "Content-Type: text/html\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    } else if (path == "/redirect-twice" || path == "/redirect-same") {
      // A 302 with two Location fields: /page/1.html and /page/2.html, or
      // /page/1.html twice (then close).
      reply.kind = Reply::Kind::raw;
      reply.raw = std::string("HTTP/1.1 302 Found\r\nLocation: /page/1.html\r\nLocation: ") +
                  (path == "/redirect-twice" ? "/page/2.html" : "/page/1.html") + "\r\nContent-Length: 0\r\n\r\n";
    } else if (path == "/interim-flood") {
      // 8,000 interim responses (103 Early Hints, 500 KB of header lines)
      // before a final 200: each section is small, together they flood.
      constexpr std::string_view kInterim = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n";
      const std::string body = small_page("Interim flood", "flood-ok");
      reply.kind = Reply::Kind::raw;
      reply.raw.reserve(8000 * kInterim.size() + body.size() + 100);
      for (int i = 0; i < 8000; ++i) reply.raw += kInterim;
      reply.raw += "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " + std::to_string(body.size()) +
                   "\r\n\r\n" + body;
    } else if (path == "/bare-lf") {
      // A header section whose lines end in LF alone (RFC 9112 lets a recipient accept it).
      const std::string body = small_page("Bare LF", "bare-lf-ok") + "<a href=\"/page/2.html\">two</a>";
      reply.kind = Reply::Kind::raw;
      reply.raw = "HTTP/1.1 200 OK\nContent-Type: text/html\nContent-Length: " + std::to_string(body.size()) +
                  "\n\n" + body;
    } else if (path.starts_with("/content-length/")) {
      // Content-Length fields as named, N the body's length (then the
      // connection closes): /content-length/conflict: "5" then "N" (curl
      // would take the last); /content-length/list: one field "5, N";
      // /content-length/junk: "Nx" (curl would read N); /content-length/same:
      // "N" twice, which frames the body (RFC 9110 8.6).
      const std::string body = small_page("Content-Length", "cl-ok") + "<a href=\"/page/3.html\">three</a>";
      const std::string length = std::to_string(body.size());
      const std::string kind = std::string(path.substr(16));
      std::string fields;
      if (kind == "conflict") fields = "Content-Length: 5\r\nContent-Length: " + length + "\r\n";
      else if (kind == "list") fields = "Content-Length: 5, " + length + "\r\n";
      else if (kind == "junk") fields = "Content-Length: " + length + "x\r\n";
      else fields = "Content-Length: " + length + "\r\nContent-Length: " + length + "\r\n";
      reply.kind = Reply::Kind::raw;
      reply.raw = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" + fields + "\r\n" + body;
    } else if (path == "/http09") {
      // An HTTP/0.9 answer: the body alone, no status line or headers.
      reply.kind = Reply::Kind::raw;
      reply.raw = small_page("HTTP/0.9", "no status line");
    } else if (path == "/slow") {
      const auto ms = query_uint(query, "ms").value_or(1000);
      reply.extra_delay = std::chrono::milliseconds(std::min<std::uint64_t>(ms, 3'600'000));
      res = make(http::status::ok, small_page("Slow", std::to_string(ms) + " ms"));
    } else if (path == "/links") {
      std::string body = "<!DOCTYPE html>\n<html><head><title>Links</title></head><body>\n";
      const auto count = query_uint(query, "n").value_or(10);
      for (std::uint64_t i = 0; i < count; ++i) {
        const auto to = std::to_string(i % std::uint64_t(options_.pages_per_host));
        body += "<a href=\"/page/" + to + ".html#l" + std::to_string(i) + "\">" + to + "</a>\n";
      }
      res = make(http::status::ok, body + "</body></html>\n");
    } else {
      res = make(http::status::not_found, small_page("404 Not Found"));
    }
  }

  void serve_file(std::string_view path, Reply& reply) const {
    auto& res = reply.response;
    res = make(http::status::not_found, small_page("404 Not Found"));
    const auto decoded = percent_decode(path);
    if (!decoded || !decoded->starts_with('/')) return;
    fs::path file = static_root_;
    for (std::string_view rest = *decoded; !rest.empty();) {
      const auto slash = rest.find('/');
      const auto segment = rest.substr(0, slash);
      rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
      if (segment == "..") return;
      if (!segment.empty() && segment != ".") file /= segment;
    }
    std::error_code ec;
    // Symlinks may still point outside: compare canonical paths too.
    file = fs::weakly_canonical(file, ec);
    const auto [root_end, file_it] = std::mismatch(static_root_.begin(), static_root_.end(), file.begin(), file.end());
    if (ec || root_end != static_root_.end()) return;
    if (fs::is_directory(file, ec)) {
      if (!decoded->ends_with('/')) {
        res = make(http::status::moved_permanently, small_page("301 Moved Permanently"));
        res.set(http::field::location, std::string(path) + "/");
        return;
      }
      file /= "index.html";
    }
    if (!fs::is_regular_file(file, ec)) return;
    std::ifstream in(file, std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    if (!in) return;
    res = make(http::status::ok, std::move(body).str(), mime_type(file));
  }

  SiteOptions options_;
  std::vector<std::string> authorities_;  // "127.0.1.1:PORT" per host
  fs::path static_root_;                  // canonical; empty = generated site
  std::vector<bool> reachable_;           // [host * P + page]; empty = all (no error pages)
  mutable std::mutex together_mutex_;
  mutable std::uint64_t together_arrived_ = 0;
  mutable std::vector<std::function<void()>> together_waiting_;
};

// Identifies a request read by a Host until it is finished.
struct RequestTicket {
  std::uint64_t epoch = 0;     // Host::epoch when read; log_index is stale once it changes
  std::size_t log_index = 0;   // its entry in HostStats::log
  std::uint64_t sequence = 0;  // arrival order on the host since start, never reset
  std::chrono::steady_clock::time_point received;  // as logged (LoggedRequest::received)
};

// One listening address, its counters and its set_response() responses.
struct Host {
  struct Custom {
    std::shared_ptr<const Response> response;  // shared: built into a reply outside the lock
    int served = 0;                            // requests so far, for fail_first
  };

  int index = 0;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<asio::steady_timer> retry_timer;  // re-arms accept after EMFILE and the like

  mutable std::mutex mutex;  // guards every member below
  HostStats stats;
  int in_flight = 0;
  int open = 0;
  std::uint64_t epoch = 0;      // bumped by reset_stats(), which empties the log
  std::uint64_t sequence = 0;   // requests read since start
  std::map<std::string, Custom, std::less<>> responses;  // by request-target
  // Requests since start that found a set_response() response, by target;
  // never reset (Response::rotate_etag).
  std::map<std::string, std::uint64_t, std::less<>> custom_requests;
  std::map<int, PageState> pages;  // by page (-1: index); absent = version 0, served
  bool count_page_requests = false;  // rotate_etags; set before serving, then read-only

  void connection_opened() {
    std::lock_guard lock(mutex);
    stats.peak_connections = std::max(stats.peak_connections, ++open);
  }
  void connection_closed() {
    std::lock_guard lock(mutex);
    --open;
  }
  RequestTicket request_started(const Request& req) {
    const std::string target(req.target());
    const auto received = std::chrono::steady_clock::now();
    LoggedRequest entry{target, received, {}, 0,
                        field_values(req, http::field::if_none_match),
                        field_values(req, http::field::if_modified_since)};
    std::lock_guard lock(mutex);
    ++stats.requests;
    ++stats.requests_by_target[target];
    stats.peak_concurrent_requests = std::max(stats.peak_concurrent_requests, ++in_flight);
    stats.log.push_back(std::move(entry));
    return {epoch, stats.log.size() - 1, sequence++, received};
  }
  // status 0: ended without a response.
  void request_finished(const RequestTicket& ticket, int status, std::uint64_t body_bytes = 0) {
    std::lock_guard lock(mutex);
    --in_flight;
    if (ticket.epoch != epoch) return;
    auto& entry = stats.log[ticket.log_index];
    entry.responded = std::chrono::steady_clock::now();
    entry.status = status;
    if (status == 304) ++stats.not_modified;
    stats.body_bytes += body_bytes;
  }

  PageState page_request(int page) {
    std::lock_guard lock(mutex);
    if (count_page_requests) {
      auto& state = pages[page];
      ++state.requests;
      return state;
    }
    const auto it = pages.find(page);
    return it == pages.end() ? PageState{} : it->second;
  }

  // The set_response() reply for this request, if there is one.
  std::optional<Reply> custom_reply(const Request& req) {
    if (req.method() != http::verb::get && req.method() != http::verb::head) return std::nullopt;
    std::shared_ptr<const Response> response;
    bool failing = false;
    std::uint64_t n = 0;
    {
      std::lock_guard lock(mutex);
      const std::string_view target = req.target();
      const auto it = responses.find(target);
      if (it == responses.end()) return std::nullopt;
      response = it->second.response;
      failing = it->second.served < response->fail_first;
      if (failing) ++it->second.served;  // stop counting once past fail_first
      auto counted = custom_requests.find(target);
      if (counted == custom_requests.end()) counted = custom_requests.emplace(std::string(target), 0).first;
      n = ++counted->second;
    }
    return custom_response(*response, failing, n);
  }
};

// One TCP connection. Lives as long as one of its handlers is pending; all its
// handlers run on the socket's strand. Counters are balanced in the destructor
// so that errors, resets and shutdown (handlers destroyed unrun) stay exact.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const Router& router, Host& host)
      : stream_(std::move(socket)), timer_(stream_.get_executor()), router_(router), host_(host) {
    host_.connection_opened();
  }
  ~Session() {
    if (in_request_) host_.request_finished(ticket_, 0);
    host_.connection_closed();
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() { do_read(); }

 private:
  void do_read() {
    req_ = {};
    stream_.expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, req_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return close();  // EOF, timeout, malformed request: just hang up
    in_request_ = true;
    ticket_ = host_.request_started(req_);
    try {
      if (auto custom = host_.custom_reply(req_))
        reply_ = std::move(*custom);
      else
        reply_ = router_.route(host_.index, req_, [this](int page) { return host_.page_request(page); });
      apply_validators(req_, reply_);
    } catch (const std::exception& e) {
      reply_ = Reply{};
      reply_.response = HttpResponse{http::status::internal_server_error, 11};
      reply_.response.body() = std::string("internal error: ") + e.what();
    }
    if (reply_.kind == Reply::Kind::reset) return reset();
    if (reply_.kind == Reply::Kind::raw) return send_raw();
    const auto delay = router_.delay(host_.index, ticket_.sequence);
    if (router_.random_delays()) reply_.response.set("X-Test-Delay-Ms", std::to_string(delay.count()));
    if (reply_.together > 0) return wait_together();
    const auto wait = delay + reply_.extra_delay;
    if (wait <= std::chrono::milliseconds::zero()) return send();
    // From the request's arrival (as logged), not from after the response
    // was built: a server "50 ms late" answers 50 ms after the request,
    // whatever its own work costs.
    timer_.expires_at(ticket_.received + wait);
    timer_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec) self->send();
    });
  }

  // ?together=N: the response waits until N such requests have arrived
  // (all its transfers are then in flight at once), or kTogetherTimeout.
  void wait_together() {
    auto self = shared_from_this();
    timer_.expires_after(kTogetherTimeout);
    timer_.async_wait([self](beast::error_code wait_ec) {
      if (!wait_ec) self->release_together();
    });
    router_.join_together(reply_.together, [self] {
      asio::post(self->timer_.get_executor(), [self] { self->release_together(); });
    });
  }

  // On the session's strand: the first of the barrier and the timeout sends.
  void release_together() {
    if (reply_.together == 0) return;
    reply_.together = 0;
    timer_.cancel();
    send();
  }

  void send() {
    // The request stops counting as concurrent when its response starts:
    // a client cannot send its next request before it has the response, so
    // this never hides a politeness violation, while decrementing only in
    // the write's completion handler would (the handler may run after the
    // client already sent its next request on another connection).
    auto& res = reply_.response;
    const bool head = req_.method() == http::verb::head;
    finish_request(res.result_int(), head ? 0 : reply_.kind == Reply::Kind::big ? reply_.big_bytes : res.body().size());
    res.version(req_.version());
    res.keep_alive(req_.keep_alive());
    res.set(http::field::server, "crawl-testserver");
    stream_.expires_after(kIdleTimeout);
    if (reply_.kind == Reply::Kind::big) return send_big_header();
    res.prepare_payload();
    if (res.result() == http::status::no_content || res.result() == http::status::not_modified) {
      res.erase(http::field::content_length);  // RFC 9110 8.6: none on 204, optional on 304
      res.erase(http::field::content_type);
    }
    if (head) res.body().clear();  // keeps Content-Length
    http::message_generator msg(std::move(res));
    beast::async_write(stream_, std::move(msg),
                       [self = shared_from_this()](beast::error_code write_ec, std::size_t) {
                         self->on_written(write_ec);
                       });
  }

  // /big*: the header, then the body streamed from a shared filler buffer so
  // that N may exceed memory.
  void send_big_header() {
    auto& res = reply_.response;
    if (reply_.chunked)
      res.chunked(true);
    else
      res.content_length(reply_.big_bytes);
    std::ostringstream header;
    header << res.base();
    big_header_ = std::move(header).str();
    if (req_.method() == http::verb::head) {
      reply_.big_bytes = 0;
      reply_.chunked = false;
    }
    asio::async_write(stream_, asio::buffer(big_header_),
                      [self = shared_from_this()](beast::error_code write_ec, std::size_t) {
                        if (write_ec) return self->on_written(write_ec);
                        self->send_big_body();
                      });
  }

  void send_big_body() {
    auto next = [self = shared_from_this()](beast::error_code write_ec, std::size_t) {
      if (write_ec) return self->on_written(write_ec);
      self->send_big_body();
    };
    stream_.expires_after(kIdleTimeout);
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(reply_.big_bytes, kChunkSize));
    reply_.big_bytes -= n;
    const auto data = asio::buffer(big_filler().data(), n);
    if (n > 0 && reply_.chunked) return asio::async_write(stream_, http::make_chunk(data), next);
    if (n > 0) return asio::async_write(stream_, data, next);
    if (!reply_.chunked) return on_written({});
    reply_.chunked = false;  // the last chunk goes out once
    asio::async_write(stream_, http::make_chunk_last(), next);
  }

  void finish_request(int status, std::uint64_t body_bytes = 0) {
    if (!in_request_) return;
    in_request_ = false;
    host_.request_finished(ticket_, status, body_bytes);
  }

  void on_written(beast::error_code ec) {
    finish_request(0);  // normally done in send() already
    if (ec) return;
    if (!req_.keep_alive()) return close();
    do_read();
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  // Linger 0 makes close() send RST instead of FIN.
  void send_raw() {
    finish_request(0, reply_.raw.size());
    asio::async_write(stream_.socket(), asio::buffer(reply_.raw), [self = shared_from_this()](beast::error_code, std::size_t) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
      self->stream_.close();
    });
  }

  void reset() {
    finish_request(0);
    beast::error_code ignored;
    stream_.socket().set_option(asio::socket_base::linger(true, 0), ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  asio::steady_timer timer_;
  const Router& router_;
  Host& host_;
  Request req_;
  Reply reply_;
  std::string big_header_;
  RequestTicket ticket_;
  bool in_request_ = false;  // request_started() not yet balanced
};

std::string authority_of(const asio::ip::address_v4& address, unsigned short port) {
  return address.to_string() + (port == 80 ? "" : ":" + std::to_string(port));
}

}  // namespace

std::string gzip(std::string_view data, int level) {
  z_stream zs{};
  // windowBits 31 = 15 + 16: gzip wrapper, not zlib.
  if (deflateInit2(&zs, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  std::string out(deflateBound(&zs, data.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
  out.resize(zs.total_out);
  return out;
}

struct TestServer::Impl {
  // Declared first so it is destroyed last: sockets must die before it.
  std::unique_ptr<asio::io_context> ioc;
  std::vector<std::unique_ptr<Host>> hosts;
  std::unique_ptr<Router> router;
  std::vector<std::thread> threads;
  std::mutex stop_mutex;  // serializes stop()

  explicit Impl(SiteOptions options) : ioc(std::make_unique<asio::io_context>(std::max(1, options.threads))) {
    fs::path static_root;
    if (!options.static_root.empty()) {
      std::error_code ec;
      static_root = fs::canonical(options.static_root, ec);
      if (ec || !fs::is_directory(static_root))
        throw std::runtime_error("testserver: static root is not a directory: " + options.static_root);
      options.hosts = 1;
    }
    if (options.hosts < 1 || options.pages_per_host < 1 || options.links_per_page < 0 || options.cross_links < 0)
      throw std::runtime_error("testserver: need hosts >= 1, pages >= 1, links >= 0, cross links >= 0");
    if (options.delay < std::chrono::milliseconds::zero() || options.delay_max < std::chrono::milliseconds::zero() ||
        !(options.error_rate >= 0 && options.error_rate <= 1))
      throw std::runtime_error("testserver: need delay >= 0, delay_max >= 0, 0 <= error_rate <= 1");
    boost::system::error_code ec;
    const auto first = asio::ip::make_address_v4(options.first_address, ec);
    if (ec || !first.is_loopback())
      throw std::runtime_error("testserver: first address must be IPv4 loopback: " + options.first_address);
    std::vector<std::string> authorities;
    for (int i = 0; i < options.hosts; ++i) {
      const auto address = asio::ip::address_v4(first.to_uint() + std::uint32_t(i));
      if (!address.is_loopback() || address.to_uint() < first.to_uint())
        throw std::runtime_error("testserver: too many hosts for 127.0.0.0/8 from " + options.first_address);
      auto host = std::make_unique<Host>();
      host->index = i;
      host->count_page_requests = options.rotate_etags;
      try {
        const tcp::endpoint endpoint(address, options.port);
        host->acceptor = std::make_unique<tcp::acceptor>(asio::make_strand(*ioc));
        host->acceptor->open(endpoint.protocol());
        host->acceptor->set_option(asio::socket_base::reuse_address(true));
        host->acceptor->bind(endpoint);
        host->acceptor->listen(asio::socket_base::max_listen_connections);
      } catch (const boost::system::system_error& e) {
        throw std::runtime_error("testserver: cannot listen on " + address.to_string() + ":" +
                                 std::to_string(options.port) + ": " + e.what());
      }
      host->retry_timer = std::make_unique<asio::steady_timer>(host->acceptor->get_executor());
      authorities.push_back(authority_of(address, host->acceptor->local_endpoint().port()));
      hosts.push_back(std::move(host));
    }
    const int thread_count = std::max(1, options.threads);
    router = std::make_unique<Router>(std::move(options), std::move(authorities), std::move(static_root));
    for (auto& host : hosts) accept(*host);
    try {
      for (int i = 0; i < thread_count; ++i) threads.emplace_back([this] { run(); });
    } catch (...) {
      stop();
      throw;
    }
  }

  ~Impl() { stop(); }

  void run() {
    auto guard = asio::make_work_guard(*ioc);
    for (;;) {
      try {
        ioc->run();
        return;
      } catch (const std::exception& e) {  // a bug in a handler; keep serving
        std::cerr << "crawl-testserver: handler threw: " << e.what() << '\n';
      }
    }
  }

  void accept(Host& host) {
    host.acceptor->async_accept(asio::make_strand(*ioc), [this, &host](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (ec) {  // e.g. out of file descriptors: back off instead of spinning
        host.retry_timer->expires_after(kAcceptRetry);
        host.retry_timer->async_wait([this, &host](beast::error_code wait_ec) {
          if (!wait_ec) accept(host);
        });
        return;
      }
      std::make_shared<Session>(std::move(socket), *router, host)->start();
      accept(host);
    });
  }

  // Stopping the loop first and then destroying it closes every socket from
  // this thread: pending handlers (and the sessions they own) are destroyed
  // unrun, so no handler races with the teardown.
  void stop() {
    std::lock_guard lock(stop_mutex);
    if (!ioc) return;
    ioc->stop();
    for (auto& thread : threads) thread.join();
    threads.clear();
    for (auto& host : hosts) {
      host->retry_timer.reset();
      host->acceptor.reset();
    }
    ioc.reset();
  }

  // Hosts are not part of Impl's constness: their own mutex guards them.
  Host& host(int index) const {
    if (index < 0 || index >= static_cast<int>(hosts.size()))
      throw std::out_of_range("testserver: no host " + std::to_string(index));
    return *hosts[static_cast<std::size_t>(index)];
  }

  // host(index), checking that `page` is a generated page (-1: the index).
  Host& page_host(int index, int page) const {
    Host& h = host(index);
    if (!router->options().static_root.empty())
      throw std::logic_error("testserver: no generated pages in static-root mode");
    if (page < -1 || page >= router->options().pages_per_host)
      throw std::out_of_range("testserver: no page " + std::to_string(page));
    return h;
  }
};

TestServer::TestServer(SiteOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
TestServer::~TestServer() { stop(); }
void TestServer::stop() { impl_->stop(); }
int TestServer::host_count() const { return static_cast<int>(impl_->hosts.size()); }

std::string TestServer::root_url(int host) const {
  impl_->host(host);  // range check
  return "http://" + impl_->router->authority(host) + "/";
}

std::vector<std::string> TestServer::root_urls() const {
  std::vector<std::string> urls;
  for (int i = 0; i < host_count(); ++i) urls.push_back(root_url(i));
  return urls;
}

std::string TestServer::page_url(int host, int page) const {
  return root_url(host) + "page/" + std::to_string(page) + ".html";
}

std::set<std::string> TestServer::site_urls() const {
  const Router& router = *impl_->router;
  std::set<std::string> urls;
  for (int h = 0; h < host_count(); ++h) {
    urls.insert(root_url(h));
    if (!router.options().static_root.empty()) continue;
    for (int p = 0; p < router.options().pages_per_host; ++p)
      if (router.in_site(h, p)) urls.insert(page_url(h, p));
  }
  return urls;
}

std::set<std::string> TestServer::error_urls() const {
  const Router& router = *impl_->router;
  std::set<std::string> urls;
  for (int h = 0; router.options().static_root.empty() && h < host_count(); ++h)
    for (int p = 0; p < router.options().pages_per_host; ++p)
      if (router.in_site(h, p) && router.is_error_page(h, p)) urls.insert(page_url(h, p));
  return urls;
}

void TestServer::set_response(int host, std::string target, Response response) {
  Host& h = impl_->host(host);
  auto valid_status = [](int status) { return status >= 200 && status <= 599; };
  if (!target.starts_with('/')) throw std::invalid_argument("testserver: target must start with '/': " + target);
  if (!valid_status(response.status) || (response.fail_first > 0 && !valid_status(response.fail_status)))
    throw std::invalid_argument("testserver: status must be in 200..599");
  bool valid_fields = is_field_value(response.content_type) && is_field_value(response.fail_retry_after) &&
                      is_field_value(response.etag) && is_field_value(response.last_modified);
  for (const auto& [name, value] : response.headers)
    valid_fields = valid_fields && !name.empty() && is_field_value(name) && is_field_value(value);
  if (!valid_fields) throw std::invalid_argument("testserver: header fields must not contain line breaks");
  auto shared = std::make_shared<const Response>(std::move(response));
  std::lock_guard lock(h.mutex);
  h.responses.insert_or_assign(std::move(target), Host::Custom{std::move(shared), 0});
}

void TestServer::clear_responses() {
  for (auto& host : impl_->hosts) {
    std::lock_guard lock(host->mutex);
    host->responses.clear();
  }
}

void TestServer::set_page_version(int host, int page, int version) {
  if (version < 0) throw std::invalid_argument("testserver: page version must be >= 0");
  Host& h = impl_->page_host(host, page);
  std::lock_guard lock(h.mutex);
  h.pages[page].version = version;
}

void TestServer::remove_page(int host, int page, int status) {
  if (status < 400 || status > 599) throw std::invalid_argument("testserver: removed page status must be in 400..599");
  Host& h = impl_->page_host(host, page);
  std::lock_guard lock(h.mutex);
  h.pages[page].removed_status = status;
}

void TestServer::restore_page(int host, int page) {
  Host& h = impl_->page_host(host, page);
  std::lock_guard lock(h.mutex);
  if (const auto it = h.pages.find(page); it != h.pages.end()) it->second.removed_status = 0;
}

HostStats TestServer::stats(int host) const {
  const Host& h = impl_->host(host);
  std::lock_guard lock(h.mutex);
  return h.stats;
}

std::uint64_t TestServer::total_requests() const {
  std::uint64_t n = 0;
  for (const auto& host : impl_->hosts) {
    std::lock_guard lock(host->mutex);
    n += host->stats.requests;
  }
  return n;
}

void TestServer::reset_stats() {
  for (auto& host : impl_->hosts) {
    std::lock_guard lock(host->mutex);
    host->stats = HostStats{};
    ++host->epoch;
    host->stats.peak_concurrent_requests = host->in_flight;
    host->stats.peak_connections = host->open;
  }
}

std::string http_date(std::chrono::system_clock::time_point time) {
  namespace chrono = std::chrono;
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto seconds = chrono::floor<chrono::seconds>(time);
  const auto day = chrono::floor<chrono::days>(seconds);
  const chrono::year_month_day date(day);
  const chrono::hh_mm_ss clock(seconds - day);
  char text[40];
  std::snprintf(text, sizeof text, "%s, %02u %s %04d %02d:%02d:%02d GMT", kDays[chrono::weekday(day).c_encoding()],
                unsigned(date.day()), kMonths[unsigned(date.month()) - 1], int(date.year()),
                static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                static_cast<int>(clock.seconds().count()));
  return text;
}


}  // namespace crawl::testserver
