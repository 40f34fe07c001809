// Plain value types that cross the fetch / crawler / storage boundary.
// No curl here: storage and the crawler include this without knowing curl.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "core/ascii.h"

namespace crawl {

class BodyHold;  // fetch/body_budget.h

// What a request is for: a page to crawl, or a file the crawler reads to
// crawl politely (robots.txt) or to find pages (a sitemap).
enum class RequestKind : std::uint8_t { page, robots, sitemap };

// How much of a robots.txt is read and parsed: RFC 9309 §2.5 asks for at
// least 500 KiB; the rest of a larger file is ignored (not an error), and
// --max-size does not apply to it.
inline constexpr std::size_t kRobotsParseLimit = 500 * 1024;

// What the crawl knows of a URL stored in an earlier batch (a good copy:
// a response under 400), read back with its queued URL.
struct KnownCopy {
  std::string etag;           // the stored copy's ETag, as the server sent it ("" if none)
  std::string last_modified;  // its Last-Modified, as sent ("" if none)
  bool due = true;            // false: --revisit adaptive says not yet; not requested, its links are followed
  // Whether the request can be conditional (If-None-Match / If-Modified-Since).
  bool has_validators() const { return !etag.empty() || !last_modified.empty(); }
};

struct FetchRequest {
  std::string url;       // absolute, normalized http(s) URL
  int depth = 0;         // 0 for seeds, parent depth + 1 for discovered links
  double priority = 0;   // lower is fetched first
  std::string referrer;  // page the link was found on; empty for seeds
  RequestKind kind = RequestKind::page;
  int attempt = 0;       // 0 for the first try, n for the n-th retry
  // Redirects that led here: a redirect's target is a request of its own
  // (through the frontier, so robots.txt, scope and per-host leases apply
  // to every hop), counted against --max-redirect.
  int redirects = 0;
  // Set when a good copy of the URL is stored: the request is conditional
  // on its validators (a 304 means unchanged).
  std::shared_ptr<const KnownCopy> known;
  // Whether it was sent with If-None-Match or If-Modified-Since.
  bool conditional() const { return known && known->has_validators(); }
};

// Why a transfer produced no usable response: the kinds of failure the
// crawler tells apart (an std::error_condition enum). HTTP statuses (404,
// 500…) are NOT errors here: they are responses, in FetchResult::status.
// The fetch layer keeps the transport's own code (curl's, in its own error
// category, fetch/curl_error.h) in FetchResult::error; that code compares
// equal to its kind: `result.error == FetchErrc::timeout`.
enum class FetchErrc {
  ok = 0,
  dns = 1,             // could not resolve host
  connect,             // connection refused / unreachable
  timeout,             // connect or total timeout
  tls,                 // TLS handshake or certificate problem
  too_large,           // body exceeded --max-size
  too_many_redirects,  // a redirect chain longer than --max-redirect (or, for a robots.txt, 5)
  unsupported_scheme,  // redirect or URL to a scheme other than http/https
  recv,                // connection broken while receiving
  send,                // connection broken while sending
  protocol,            // malformed response, bad encoding
  aborted,             // cancelled by the crawler (Ctrl-C)
  other,
};

// The category of FetchErrc: as a condition, the kinds above; as a code,
// failures the fetch layer itself decides (aborted, too_large, other).
// message() is the kind's short, stable name ("timeout", "dns", …), used in
// stats and in the `error` column.
const std::error_category& fetch_category() noexcept;
inline std::error_condition make_error_condition(FetchErrc e) noexcept {
  return {static_cast<int>(e), fetch_category()};
}
inline std::error_code make_error_code(FetchErrc e) noexcept { return {static_cast<int>(e), fetch_category()}; }

// The kind of any error code (curl's, ours): FetchErrc::other when it has
// none (e.g. a CrawlDecision).
FetchErrc fetch_errc(const std::error_code& ec) noexcept;

// Not fetched, by the crawler's decision: no transfer was made. Not fetch
// errors; their own category ("crawl"), message() their stable name.
enum class CrawlDecision {
  robots_disallowed = 1,  // the host's robots.txt disallows it: a skip, not an error (FetchResult::skipped())
  robots_unavailable,     // the host's robots.txt could not be fetched (5xx, unreachable): an error
  host_given_up,          // too many connection failures in a row on its host: an error
  private_address,        // every address of its host is private or special-purpose (fetch/address_guard.h):
                          // refused before connecting; a skip, not an error (FetchResult::skipped())
  out_of_scope,           // a redirect's target outside --scope / --include / --exclude: a skip
};
const std::error_category& crawl_decision_category() noexcept;
inline std::error_code make_error_code(CrawlDecision d) noexcept {
  return {static_cast<int>(d), crawl_decision_category()};
}

// Short, stable name of an error's kind ("timeout", "dns",
// "robots_disallowed", …): the message of its default error condition.
std::string error_kind_name(const std::error_code& ec);

// One HTTP exchange as it went over the wire, kept for archiving (--warc):
// the bytes curl sent and received, before any decoding. Filled by the
// fetch layer only when the transfer options ask for it.
struct WireExchange {
  std::string url;       // the URL requested (a robots.txt's redirect hops each have one)
  std::string ip;        // the address connected to ("" if unknown)
  std::chrono::system_clock::time_point sent_at{};  // when the request went out
  std::string request;   // request line, header section (and body) as sent
  std::string response;  // status line and header section as received (the last, after 1xx)
  // The response body as received: Content-Encoding kept, chunked framing
  // (when Transfer-Encoding is chunked) still in; the storage side removes it.
  std::string body;
  // The response carried no Content-Encoding, so the bytes curl delivered
  // (FetchResult::body) are its payload exactly, transfer coding removed:
  // `body` was not copied and stays empty, or, when the transfer failed
  // (the result keeps no body), holds those bytes, de-chunked already.
  // Set only for the last exchange of a page's transfer (not a robots.txt,
  // whose redirect hops curl follows).
  bool payload_from_curl = false;
  // The payload is FetchResult::body (the capture copied none).
  bool payload_in_result() const { return payload_from_curl && body.empty(); }
  // Why the body is incomplete, as WARC-Truncated says it: "length" (over
  // --max-size, or a robots.txt past its parse limit), "time" (timeout),
  // "disconnect" (the transfer failed); "" when complete.
  std::string truncated;
};

struct FetchResult {
  FetchRequest request;
  std::string final_url;               // a redirect's target (normalized); else == request.url
  // A redirect's target, when it is one (the crawler fetches it as a request
  // of its own; the store extends the chain of the URL that led here).
  // A robots.txt's redirects are followed by the transfer: each, in order.
  std::vector<std::string> redirects;
  long status = 0;                     // final HTTP status; 0 when no response
  std::string content_type;            // final response's Content-Type, as sent
  std::vector<std::pair<std::string, std::string>> headers;  // final response
  std::string body;                    // decoded (Content-Encoding removed)
  std::string body_digest;             // sha1_digest(body) (core/digest.h) when computed; else ""
  // An HTML page's links as extracted (web/links.h serialize_page_links),
  // kept with the stored copy so a 304 needs no parse; "" when none.
  std::string links;
  std::chrono::system_clock::time_point fetched_at{};  // when the transfer started
  double elapsed_ms = 0;               // whole transfer incl. redirects
  double retry_after_s = 0;            // the response's Retry-After, in seconds from now (0: none)
  std::error_code error;               // empty when a response was received; else curl's code (fetch/curl_error.h),
                                       // a FetchErrc or a CrawlDecision
  std::string error_detail;            // libcurl's message, when error is set
  bool answered = false;               // a status line arrived: the host is up, even if the transfer then failed
  // The fetch layer's own, opaque elsewhere: the body's share of the
  // --max-body-memory budget and, when the body went to a temporary file (then
  // `body` is empty), that file. Set from the transfer's end until just
  // before result_ready(), which gets the body in `body` and this null.
  std::shared_ptr<BodyHold> body_hold;
  // The exchanges of the transfer, as sent and received, in order; null
  // unless archiving. Kept for a failed transfer too (a body over --max-size
  // is archived truncated). Shared, not copied, by the copies of a result
  // the sinks queue.
  std::shared_ptr<const std::vector<WireExchange>> wire;

  bool ok() const { return !error; }
  // The value of the first header field `name` (any case), or "".
  std::string_view header(std::string_view name) const {
    for (const auto& [n, v] : headers)
      if (ascii_iequals(n, name)) return v;
    return {};
  }
  // Not fetched on purpose (robots.txt disallows it, its address is private,
  // a redirect leaves the crawl's scope): not an error.
  bool skipped() const {
    return error == make_error_code(CrawlDecision::robots_disallowed) ||
           error == make_error_code(CrawlDecision::private_address) ||
           error == make_error_code(CrawlDecision::out_of_scope);
  }
  // A redirect response (301, 302, 303, 307, 308): its target is fetched as
  // a request of its own.
  bool is_redirect() const {
    return !error && (status == 301 || status == 302 || status == 303 || status == 307 || status == 308);
  }
  // "" when ok, else "kind: detail" e.g. "timeout: Operation timed out after…".
  std::string error_string() const {
    if (!error) return {};
    return error_detail.empty() ? error_kind_name(error) : error_kind_name(error) + ": " + error_detail;
  }
};

}  // namespace crawl

template <>
struct std::is_error_condition_enum<crawl::FetchErrc> : std::true_type {};
template <>
struct std::is_error_code_enum<crawl::CrawlDecision> : std::true_type {};
