// The one place where curl options are set. Both fetch strategies configure
// every transfer through Transfer::attach(), so they differ only in how they
// wait for a transfer, never in what they ask for.
#pragma once

#include <curl/curl.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/fetch_types.h"
#include "fetch/address_guard.h"
#include "fetch/body_budget.h"
#include "fetch/cookie_jar.h"
#include "fetch/curl_handles.h"
#include "fetch/header_line.h"  // kMaxHeaderBytes, kMaxHeaderFields

namespace crawl {

struct TransferOptions {
  double timeout_s = 30;          // whole transfer (a robots.txt's redirects included)
  double connect_timeout_s = 10;
  std::int64_t max_size = 10 * 1024 * 1024;  // decoded body bytes
  std::string user_agent;
  // Refuses connections to special-purpose addresses (address_guard.h); null:
  // every address is allowed (--allow-private; the fetch layer's own tests).
  std::shared_ptr<const AddressGuard> address_guard;
  std::vector<std::string> resolve;  // --resolve HOST:PORT:ADDR entries, as CURLOPT_RESOLVE
  // Bodies past it go to temporary files (body_budget.h); null: bodies are
  // held in memory whole (the fetch layer's own tests).
  std::shared_ptr<BodyBudget> body_budget;
  // --warc: keep every exchange's bytes as sent and received
  // (FetchResult::wire), taken from curl's debug callback, and speak
  // HTTP/1.1 only, so that what is kept is the HTTP/1.1 message the archive
  // records (no HTTP/2 framing to translate).
  bool archive = false;
  // The crawl's cookie jar, shared by every transfer; null: no cookies are
  // kept or sent (--no-cookies; the fetch layer's own tests).
  std::shared_ptr<CookieJar> cookies;
};

// The options of a crawl's transfers. `seed_urls` are the crawl's seeds, for
// the address guard's exemptions (none with --allow-private).
TransferOptions transfer_options(const Config& config, const std::vector<std::string>& seed_urls);

// One transfer's state. curl's callbacks write into it (CURLOPT_PRIVATE and
// the callbacks' user pointers point at it), so it must stay at a fixed
// address from attach() until finish(). Not thread-safe: one transfer is
// driven by one thread at a time.
class Transfer {
 public:
  // cancel may be null; when it becomes true the transfer aborts at curl's
  // next progress callback and finishes with FetchErrc::aborted.
  Transfer(FetchRequest request, const TransferOptions& options, const std::atomic<bool>* cancel);
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  // Resets `easy` (keeping its connection cache) and sets every option for
  // this transfer. Returns the failing CURLcode's text if an option was
  // refused (then the transfer must not be started).
  CURLcode attach(CURL* easy);

  // Builds the result once curl reports `code` for this transfer. Call once.
  FetchResult finish(CURLcode code);

  // Result for a transfer that could not even start (attach failed, cancelled
  // before start).
  FetchResult fail(std::error_code error, std::string detail);

  const FetchRequest& request() const { return result_.request; }

  // CURLOPT_OPENSOCKETFUNCTION with the Transfer as its data: the address
  // guard's check when there is a guard (attach() installs it then), then a
  // socket. A fetcher that keeps track of its sockets installs its own
  // callback and calls this one from it.
  static curl_socket_t on_open_socket(void* self, curlsocktype purpose, curl_sockaddr* address) noexcept;

 private:
  static size_t on_write(char* data, size_t size, size_t n, void* self) noexcept;
  // Keeps `bytes` of the body: in memory within the budget, else in the
  // spill file. false when they cannot be kept (the transfer then ends).
  bool keep(const char* data, size_t bytes) noexcept;
  // Sizes the body for the Content-Length announced (within --max-size),
  // before its first bytes: one allocation instead of a doubling series.
  void reserve_announced() noexcept;
  static size_t on_header(char* data, size_t size, size_t n, void* self) noexcept;
  static int on_progress(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t) noexcept;
  // --warc: curl's debug callback (CURLOPT_VERBOSE), the only place curl
  // shows the bytes as they went over the wire: the request as sent
  // (HEADER_OUT, DATA_OUT), the response's header lines (HEADER_IN) and its
  // body before any decoding (DATA_IN: chunked framing and Content-Encoding
  // still in, in libcurl 7.88 and later).
  static int on_debug(CURL* easy, curl_infotype type, char* data, size_t size, void* self) noexcept;
  void capture(curl_infotype type, std::string_view bytes);
  // Frees curl's list of cookie files set by attach() (see the .cpp).
  void drop_cookie_files() noexcept;

  const TransferOptions& options_;
  const std::atomic<bool>* cancel_;
  CURL* easy_ = nullptr;
  Slist headers_;  // the request's extra header fields (conditional requests)
  Slist resolve_;  // options_.resolve as curl's list
  std::string refused_;  // why the guard refused the last address it refused ("" if none)
  FetchResult result_;
  long last_status_ = 0;  // status of the response whose headers are being read
  bool too_large_ = false;
  std::int64_t body_bytes_ = 0;       // decoded body bytes received (in memory or spilled)
  std::shared_ptr<BodyHold> hold_;    // the body's share of options_.body_budget; null without one
  std::string spill_error_;           // why the body could not be kept ("" if it could)
  bool warned_spill_ = false;
  bool robots_cut_ = false;  // a robots.txt past kRobotsParseLimit: the rest is not read
  std::size_t header_bytes_ = 0;   // of the response being read
  bool header_flood_ = false;      // past kMaxHeaderBytes / kMaxHeaderFields: aborted
  std::string framing_error_;      // a Content-Length that cannot frame the body, or two Locations: aborted, and why
  char errbuf_[CURL_ERROR_SIZE] = {};
  std::vector<WireExchange> wire_;  // options_.archive: the exchanges so far
  bool wire_failed_ = false;        // out of memory while capturing: nothing is kept
  bool cookie_files_ = false;       // attach() set CURLOPT_COOKIEFILE (drop_cookie_files() undoes it)
};


}  // namespace crawl
