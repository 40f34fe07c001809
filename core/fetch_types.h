// Plain value types that cross the fetch / crawler / storage boundary.
// No curl here: storage and the crawler include this without knowing curl.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace crawl {

// What a request is for: a page to crawl, or a file the crawler reads to
// crawl politely (robots.txt) or to find pages (a sitemap).
enum class RequestKind : std::uint8_t { page, robots, sitemap };

struct FetchRequest {
  std::string url;       // absolute, normalized http(s) URL
  int depth = 0;         // 0 for seeds, parent depth + 1 for discovered links
  double priority = 0;   // lower is fetched first
  std::string referrer;  // page the link was found on; empty for seeds
  RequestKind kind = RequestKind::page;
  int attempt = 0;       // 0 for the first try, n for the n-th retry
};

// Why a transfer produced no usable response. HTTP statuses (404, 500…) are
// NOT errors here: they are responses, reported in FetchResult::status.
enum class FetchErrc {
  ok = 0,
  dns = 1,             // could not resolve host
  connect,             // connection refused / unreachable
  timeout,             // connect or total timeout
  tls,                 // TLS handshake or certificate problem
  too_large,           // body exceeded --max-size
  too_many_redirects,  // more than 10 redirects (or a loop)
  unsupported_scheme,  // redirect or URL to a scheme other than http/https
  recv,                // connection broken while receiving
  send,                // connection broken while sending
  protocol,            // malformed response, bad encoding
  aborted,             // cancelled by the crawler (Ctrl-C)
  other,
  // Not fetched: the crawler decided not to try (no transfer was made).
  robots_disallowed,   // the host's robots.txt disallows it: a skip, not an error (see is_skip())
  robots_unavailable,  // the host's robots.txt could not be fetched (5xx, unreachable): an error
  host_given_up,       // too many connection failures in a row on its host: an error
};

// Whether `e` says the URL was skipped on purpose (robots.txt said no)
// rather than failed.
inline bool is_skip(FetchErrc e) noexcept { return e == FetchErrc::robots_disallowed; }

const std::error_category& fetch_category() noexcept;
inline std::error_code make_error_code(FetchErrc e) noexcept {
  return {static_cast<int>(e), fetch_category()};
}

// Short, stable name of an error kind ("timeout", "dns", …) used in stats and
// in the `error` column. message() of a fetch_category code returns the same.
const char* error_kind_name(FetchErrc e) noexcept;

struct FetchResult {
  FetchRequest request;
  std::string final_url;               // after redirects; == request.url if none
  std::vector<std::string> redirects;  // each absolute Location followed, in order
  long status = 0;                     // final HTTP status; 0 when no response
  std::string content_type;            // final response's Content-Type, as sent
  std::vector<std::pair<std::string, std::string>> headers;  // final response
  std::string body;                    // decoded (Content-Encoding removed)
  std::chrono::system_clock::time_point fetched_at{};  // when the transfer started
  double elapsed_ms = 0;               // whole transfer incl. redirects
  double retry_after_s = 0;            // the response's Retry-After, in seconds from now (0: none)
  std::error_code error;               // empty when a response was received
  std::string error_detail;            // libcurl's message, when error is set

  bool ok() const { return !error; }
  // Not fetched on purpose (robots.txt disallows it): not an error.
  bool skipped() const { return error.category() == fetch_category() && is_skip(static_cast<FetchErrc>(error.value())); }
  // "" when ok, else "kind: detail" e.g. "timeout: Operation timed out after…".
  std::string error_string() const {
    if (!error) return {};
    return error_detail.empty() ? error.message() : error.message() + ": " + error_detail;
  }
};

// Called exactly once per submitted request, with a result or an error.
using DoneCallback = std::function<void(FetchResult&&)>;

}  // namespace crawl

template <>
struct std::is_error_code_enum<crawl::FetchErrc> : std::true_type {};
