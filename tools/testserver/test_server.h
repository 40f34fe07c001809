// The project's own test web server: a deterministic generated site on H
// loopback hosts, plus routes that misbehave on request, for crawler tests.
//
// Every host is a distinct IPv4 loopback address (127.0.1.1, 127.0.1.2, …),
// each with its own listening port. The server never binds or sends to an
// address outside 127.0.0.0/8. It runs in-process (background io_context
// threads) or as the `crawl-testserver` executable.
//
// Routes of the generated site (every host):
//   /                      index, links to /page/0.html
//   /page/N.html           0 <= N < pages_per_host; see "Generated pages" below
//                          (error pages, see error_rate: 500, small HTML body)
//   /sitemap.xml           <urlset> of the host's pages in site_urls() (absolute)
//   /sitemap.xml.gz        the same, gzip-compressed, served as application/gzip
//                          (no Content-Encoding)
//   /sitemap_index.xml     <sitemapindex> → /sitemap-a.xml and /sitemap-b.xml.gz
//   /sitemap-a.xml         first half of /sitemap.xml's pages (by N)
//   /sitemap-b.xml.gz      second half, gzip-compressed, application/gzip
//   /status/NNN            status NNN (200..599), small HTML body; 429 and 503
//                          carry `Retry-After: 1`. Query `retry_after=S` (any
//                          status): `Retry-After: S`; `retry_after=date:S`: an
//                          HTTP-date S seconds ahead; `retry_after=none`: none
//   /redirect/K            302 to /redirect/{K-1}; /redirect/0 → /page/0.html
//   /redirect-to?url=U     302 to U, percent-decoded (400 without a valid url=);
//                          percent-encode at least '&' and '#' in U
//   /loop                  302 to /loop, forever
//   /big?bytes=N           N bytes of text/plain with Content-Length (streamed)
//   /big-chunked?bytes=N   same, Transfer-Encoding: chunked (64 KiB chunks)
//   /gzip                  HTML containing "gzip-ok", Content-Encoding: gzip
//   /bad-gzip              Content-Encoding: gzip over a non-gzip body
//   /gzip-bomb?bytes=N     Content-Encoding: gzip of N zero bytes (default
//                          256 MiB, at most 4 GiB; about N/1000 bytes sent)
//   /deflate-bomb?bytes=N  the same as deflate (zlib), /br-bomb as br
//                          (brotli), /zstd-bomb as zstd
//   /endless               text/plain, chunked, a body that never ends; ?together=N: held
//                          until N requests with together= arrived (at most 30 s), so that N
//                          such bodies are all in flight at once
//   /reset                 connection closed (RST) right after the request
//   /cut                   a 200 with Content-Length 1000 whose body ends after 21 bytes (connection closed)
//   /http09                an HTTP/0.9 answer: a page with no status line or headers, then close
//   /content-length/KIND   a 200 (links /page/3.html) framed by Content-Length fields, then close:
//                          conflict ("5", then the right length), list ("5, N"), junk ("Nx"),
//                          same (the right length twice, which is valid)
//   /early-hints           a 103 Early Hints, then the 200 (a page linking /page/1.html), then close
//   /redirect-twice        a 302 with two Location fields (/page/1.html, /page/2.html), then close
//   /redirect-same         a 302 with Location /page/1.html twice, then close
//   /interim-flood         8,000 interim responses (103, 500 KB in all) before a 200, then close
//   /bare-lf               a 200 whose status and header lines end in LF alone (links /page/2.html), then close
//   /slow?ms=N             waits N ms, then a small HTML page
//   /cookie-gate           with a Cookie holding gate=open: a page ("cookie-ok", a link to /page/0.html);
//                          without: 302 to itself with Set-Cookie: gate=open; Path=/
//   /cookies               text/plain "Cookie: <the request's Cookie field>" ("(none)" without one)
//   /cookie-flood?n=N&count=C  a page with C (50; at most 1000) Set-Cookie fields, names fN_0 … fN_{C-1}
//   /links?n=N             N distinct hrefs "/page/{i mod P}.html#l{i}"
//   anything else          404 HTML (including /robots.txt)
// The special routes are not linked from generated pages. GET and HEAD are
// served; other methods get 405. A response set with set_response() overrides
// the route of exactly its request-target (path?query) on its host, for GET
// and HEAD, in both modes; this is how tests serve robots.txt, sitemaps of
// their own, nofollow/noindex pages and flaky targets.
//
// Every response waits `delay` first, or, when delay_max > delay, a delay
// drawn uniformly from [delay, delay_max]: the n-th request (in arrival
// order since start; reset_stats() does not restart n) on host h waits
// f(seed, h, n), and the response then carries `X-Test-Delay-Ms: <ms>`.
// /slow adds its own wait on top.
//
// Generated pages: page i links to pages 2i+1 and 2i+2 (when < P), so every
// page is reachable from the index; plus links_per_page pseudo-random pages of
// the same host and cross_links pages of other hosts (absolute URLs). Href
// spellings vary ("7.html", "./7.html", "../page/7.html", "/page/7.html",
// "http://127.0.1.1:PORT/page/7.html", "7.html#top"); every page also has a
// mailto: link, a javascript:void(0) link and "/page/0.html#frag". Once
// resolved and de-fragmented, no href leaves site_urls(). Page bodies are
// exactly page_size bytes when page_size exceeds the markup, else larger.
//
// Error pages: with error_rate = r > 0, page N of host h answers 500 when a
// hash of (seed, h, N) falls below r, so about r of all pages do, the same
// ones on every run with the same seed. Their links are not served, so pages
// only they link to may become unreachable: site_urls() is then what a crawl
// from the roots reaches (a BFS over the generated links), error pages
// included; error_urls() is the part of it that answers 500.
//
// Validators and conditional requests (RFC 9110 8.8, 13.1): a GET or HEAD
// whose response carries validators may be answered `304 Not Modified`
// instead: ETag and Last-Modified (and a set_response() response's extra
// header fields), no Content-Type, no Content-Length, no body; the
// connection stays open for the next request. Only a response that would be
// 2xx is ever turned into a 304 this way (RFC 9110 13.2.2). The request
// matches when
//   - If-None-Match is present: one of its entity-tags (a comma-separated
//     list; several header lines count as one list) equals the ETag by weak
//     comparison (RFC 9110 8.8.3.2: opaque-tags compared, W/ ignored), or it
//     is `*` (there is an ETag);
//   - otherwise, If-Modified-Since is string-equal to Last-Modified, or both
//     parse as HTTP-dates (IMF-fixdate, RFC 850 or asctime) and
//     If-Modified-Since is not earlier.
// Generated pages carry validators with SiteOptions::validators (ETag
// "<16 hex digits of a hash of the body>", Last-Modified = 2026-01-01
// 00:00:00 UTC plus the page's version in seconds) or rotating ETags with
// SiteOptions::rotate_etags; set_response() responses with Response::etag,
// last_modified, conditional, rotate_etag and always_304. Error pages,
// removed pages and all other routes carry none.
//
// Page versions and removals (set_page_version(), remove_page()): version V
// of a generated page (the index or /page/N.html) has the same links, the
// same size and a body that differs by a "version V" paragraph; version 0 is
// the page as described above. A removed page answers its status (404, 410,
// …) with a small HTML body and no validators, so its links are gone; pages
// only it links to become unreachable, which site_urls() does not reflect.
//
// Static-root mode (static_root non-empty): a single host serving files under
// static_root (index.html for directories; paths escaping the root → 404).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crawl::testserver {

struct SiteOptions {
  int hosts = 3;                       // H hosts (ignored in static-root mode: 1)
  int pages_per_host = 20;             // P >= 1 pages per host: /page/0.html … /page/{P-1}.html
  std::size_t page_size = 2048;        // body size of a generated page, bytes (filler-padded)
  int links_per_page = 3;              // extra within-host links per page (deterministic)
  int cross_links = 1;                 // links per page to other hosts (only when hosts > 1)
  std::chrono::milliseconds delay{0};  // delay before every response (async timer)
  std::chrono::milliseconds delay_max{0};  // > delay: each delay drawn from [delay, delay_max]
  double error_rate = 0;               // 0..1: fraction of /page/N.html answering 500
  std::uint64_t seed = 1;              // drives the delay draws and the choice of error pages
  std::string first_address = "127.0.1.1";  // host i gets first_address + i (IPv4, with carry)
  unsigned short port = 0;             // 0 = ephemeral port per host; else all hosts use it
  std::string static_root;             // non-empty: ONE host serving files from this directory
  int threads = 1;                     // io_context threads
  // Generated pages (index and /page/N.html, not error or removed pages)
  // carry ETag and Last-Modified and answer conditional requests with 304;
  // see "Validators and conditional requests".
  bool validators = false;
  // Generated pages carry an ETag that differs on every request, as
  // Response::rotate_etag (N counts the requests of that page since start),
  // no Last-Modified, and are never answered 304. Overrides `validators`.
  bool rotate_etags = false;
};

// One request as the server saw it.
struct LoggedRequest {
  std::string target;                             // request-target (path?query)
  std::chrono::steady_clock::time_point received;  // request fully read
  // When the response write began, or, for status 0, when the request ended
  // without a response (/reset, stop()); default-constructed while pending.
  std::chrono::steady_clock::time_point responded;
  int status = 0;  // status sent; 0 = none (yet)
  // The request's If-None-Match and If-Modified-Since values (several lines
  // of a field joined by ", "); empty when absent.
  std::string if_none_match;
  std::string if_modified_since;
};

struct HostStats {
  std::uint64_t requests = 0;        // requests received (all paths), counted once read
  int peak_concurrent_requests = 0;  // max requests in flight (read complete → response write begins)
  int peak_connections = 0;          // max open TCP connections at once
  std::map<std::string, int> requests_by_target;  // request-target (path?query) → count
  std::uint64_t not_modified = 0;    // 304 responses sent (any route)
  // Response body bytes sent (all responses; none for HEAD, no chunk
  // framing): what a crawler pays for. Counted when a response starts, like
  // LoggedRequest::responded, so a body cut short still counts in full.
  std::uint64_t body_bytes = 0;
  std::vector<LoggedRequest> log;    // every request, in arrival order
};

// A response set at run time with TestServer::set_response().
struct Response {
  int status = 200;  // 200..599
  std::string body;
  std::string content_type = "text/html; charset=utf-8";  // empty: no Content-Type
  // Extra header fields, in order, e.g. {"Location", "/elsewhere"}; a name
  // may repeat. Content-Length is computed; do not set it here.
  std::vector<std::pair<std::string, std::string>> headers;
  // The first fail_first requests of the target get fail_status (small HTML
  // body) instead, with `Retry-After: fail_retry_after` unless that is empty
  // (seconds, e.g. "2", or an HTTP-date, see http_date()).
  int fail_first = 0;
  int fail_status = 503;
  std::string fail_retry_after;
  // Validators, sent verbatim when non-empty (not on the fail_first
  // failures): `ETag: <etag>` (include the quotes: "\"v1\"", "W/\"x\"") and
  // `Last-Modified: <last_modified>` (see http_date()).
  std::string etag;
  std::string last_modified;
  // true: conditional GET/HEAD requests that match the validators get 304
  // (see "Validators and conditional requests"); false: validators are sent
  // but a request is never answered 304.
  bool conditional = true;
  // true: the ETag sent is etag with "-N" inserted before its closing quote
  // (appended when there is none), N = the host's requests of this target
  // since start that found a set_response() response for it (1-based;
  // neither reset_stats() nor set_response() restarts it), so it differs on
  // every request; and the response is never 304 (a server that ignores
  // conditional requests).
  bool rotate_etag = false;
  // true: a broken server: every request of the target (past fail_first)
  // gets 304 with the validators that are set and no body, conditional or
  // not. Wins over rotate_etag's "never 304".
  bool always_304 = false;
};

// Thread safety: all const methods, reset_stats(), set_response(),
// clear_responses(), set_page_version(), remove_page() and restore_page()
// may be called from any thread while the server runs;
// stop() may be called from any thread except one of the server's own
// io_context threads.
class TestServer {
 public:
  // Binds all hosts and starts serving before returning. Throws
  // std::runtime_error on invalid options (non-loopback address, P < 1, …) or
  // when a host cannot be bound.
  explicit TestServer(SiteOptions options);
  ~TestServer();  // stop()
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  // Idempotent. Closes acceptors and every connection (in-flight requests get
  // no response), joins the threads. Stats stay readable afterwards.
  void stop();

  int host_count() const;
  std::string root_url(int host) const;  // "http://127.0.1.1:PORT/"
  std::vector<std::string> root_urls() const;
  std::string page_url(int host, int page) const;  // "http://127.0.1.1:PORT/page/N.html"
  // Every URL a crawler with unlimited depth and any scope finds from all
  // roots: the roots and all pages of all hosts, normalized (lowercase, no
  // default port, no fragment); with error_rate > 0, only the pages reachable
  // past the error pages (see "Error pages"). Static-root mode: just
  // {root_url(0)}.
  std::set<std::string> site_urls() const;
  // The URLs of site_urls() that answer 500 (error_rate), in the same form.
  std::set<std::string> error_urls() const;

  // From now on, GET/HEAD of exactly `target` (path?query, e.g. "/robots.txt")
  // on `host` gets `response`, replacing any earlier one for that target and
  // restarting its fail_first count. Thread-safe; affects requests read after
  // the call. Throws std::out_of_range for a bad host, std::invalid_argument
  // for a target not starting with '/', a status outside 200..599 or a
  // header field containing a line break.
  void set_response(int host, std::string target, Response response);
  void clear_responses();  // back to the built-in routes on every host

  // Generated pages that change and disappear between crawls (see "Page
  // versions and removals"). `page` is N of /page/N.html, or -1 for the index
  // `/`. Thread-safe; affect requests read after the call; a set_response()
  // response for the same target still wins. Throw std::out_of_range for a
  // bad host or page, std::invalid_argument for a negative version or a
  // status outside 400..599, std::logic_error in static-root mode.
  //
  // From now on the page is version `version` (0 = as at start): a body that
  // differs per version (and hence a different ETag and Last-Modified with
  // SiteOptions::validators), the same links.
  void set_page_version(int host, int page, int version);
  // From now on the page answers `status` (404, 410, …), until restore_page().
  void remove_page(int host, int page, int status = 404);
  // Serves the page again, at the version it had (no-op if not removed).
  void restore_page(int host, int page);

  HostStats stats(int host) const;
  // Requests received so far, over all hosts (robots.txt included).
  std::uint64_t total_requests() const;  // consistent snapshot of one host
  // Zeroes counters and empties the log; peaks restart from the number
  // currently in flight/open. Requests in flight when it is called are not
  // logged when they finish.
  void reset_stats();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// An IMF-fixdate (RFC 9110 5.6.7), e.g. "Sun, 06 Nov 1994 08:49:37 GMT", for
// Retry-After and the like. Sub-second parts are truncated.
std::string http_date(std::chrono::system_clock::time_point time);

// `data` gzip-compressed (RFC 1952) at zlib `level` (1 fast .. 9 small).
std::string gzip(std::string_view data, int level = 9);


}  // namespace crawl::testserver
