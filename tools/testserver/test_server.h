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
//   /status/NNN            status NNN (200..599), small HTML body; 429 and 503
//                          carry `Retry-After: 1`
//   /redirect/K            302 to /redirect/{K-1}; /redirect/0 → /page/0.html
//   /loop                  302 to /loop, forever
//   /big?bytes=N           N bytes of text/plain with Content-Length (streamed)
//   /big-chunked?bytes=N   same, Transfer-Encoding: chunked (64 KiB chunks)
//   /gzip                  HTML containing "gzip-ok", Content-Encoding: gzip
//   /bad-gzip              Content-Encoding: gzip over a non-gzip body
//   /reset                 connection closed (RST) right after the request
//   /slow?ms=N             waits N ms, then a small HTML page
//   /links?n=N             N distinct hrefs "/page/{i mod P}.html#l{i}"
//   anything else          404 HTML (including /robots.txt)
// The special routes are not linked from generated pages. GET and HEAD are
// served; other methods get 405.
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
#include <vector>

namespace crawl::testserver {

struct SiteOptions {
  int hosts = 3;                       // H hosts (ignored in static-root mode: 1)
  int pages_per_host = 20;             // P >= 1 pages per host: /page/0.html … /page/{P-1}.html
  std::size_t page_size = 2048;        // body size of a generated page, bytes (filler-padded)
  int links_per_page = 3;              // extra within-host links per page (deterministic)
  int cross_links = 1;                 // links per page to other hosts (only when hosts > 1)
  std::chrono::milliseconds delay{0};  // delay before every response (async timer)
  std::string first_address = "127.0.1.1";  // host i gets first_address + i (IPv4, with carry)
  unsigned short port = 0;             // 0 = ephemeral port per host; else all hosts use it
  std::string static_root;             // non-empty: ONE host serving files from this directory
  int threads = 1;                     // io_context threads
};

struct HostStats {
  std::uint64_t requests = 0;        // requests received (all paths), counted once read
  int peak_concurrent_requests = 0;  // max requests in flight (read complete → response write begins)
  int peak_connections = 0;          // max open TCP connections at once
  std::map<std::string, int> requests_by_target;  // request-target (path?query) → count
};

// Thread safety: all const methods and reset_stats() may be called from any
// thread while the server runs; stop() may be called from any thread except
// one of the server's own io_context threads.
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
  // default port, no fragment). Static-root mode: just {root_url(0)}.
  std::set<std::string> site_urls() const;

  HostStats stats(int host) const;  // consistent snapshot of one host
  // Zeroes counters; peaks restart from the number currently in flight/open.
  void reset_stats();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Raises this process's soft RLIMIT_NOFILE to the hard limit, so thousands of
// simultaneous connections fit. Returns the new soft limit.
std::uint64_t raise_fd_limit();

}  // namespace crawl::testserver
