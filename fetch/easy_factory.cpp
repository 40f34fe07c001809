#include "fetch/easy_factory.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <algorithm>
#include <mutex>
#include <optional>
#include <string_view>

#include "fetch/curl_error.h"
#include "fetch/curl_handles.h"
#include "core/url_parts.h"

namespace crawl {

void ensure_curl_global_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK) throw std::runtime_error("curl_global_init failed");
  });
}

TransferOptions transfer_options(const Config& config, const std::vector<std::string>& seed_urls) {
  TransferOptions o;
  if (!config.allow_private) o.address_guard = std::make_shared<const AddressGuard>(seed_urls);
  o.resolve = config.resolve;
  if (config.max_body_memory > 0) o.body_budget = std::make_shared<BodyBudget>(config.max_body_memory);
  o.timeout_s = config.timeout_s;
  o.connect_timeout_s = config.connect_timeout_s;
  o.max_size = config.max_size;
  o.user_agent = config.user_agent;
  o.archive = !config.warc.empty();
  return o;
}

Transfer::Transfer(FetchRequest request, const TransferOptions& options, const std::atomic<bool>* cancel)
    : options_(options), cancel_(cancel) {
  result_.request = std::move(request);
}

CURLcode Transfer::attach(CURL* easy) {
  easy_ = easy;
  curl_easy_reset(easy);  // keeps the connection and DNS caches
  body_bytes_ = 0;
  spill_error_.clear();
  hold_.reset();
  if (options_.body_budget) hold_ = std::make_shared<BodyHold>(options_.body_budget);
  result_.fetched_at = std::chrono::system_clock::now();
  errbuf_[0] = '\0';
  auto ms = [](double s) { return static_cast<long>(s * 1000.0 + 0.5); };
  // Each setopt can only fail on a bad argument or an out-of-memory; check them all.
  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption opt, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, opt, value);
  };
  set(CURLOPT_URL, result_.request.url.c_str());
  set(CURLOPT_PRIVATE, static_cast<void*>(this));
  set(CURLOPT_ERRORBUFFER, errbuf_);
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  // A page's or sitemap's redirect comes back as a response: the crawler
  // queues its target as a request of its own, so robots.txt, scope and the
  // per-host leases apply to every hop. A robots.txt's redirects are
  // followed here (RFC 9309 §2.3.1.2: at least five; five it is).
  if (result_.request.kind == RequestKind::robots) {
    set(CURLOPT_FOLLOWLOCATION, 1L);
    set(CURLOPT_MAXREDIRS, 5L);
    set(CURLOPT_AUTOREFERER, 1L);
  }
  set(CURLOPT_ACCEPT_ENCODING, "");  // every encoding curl supports; bodies arrive decoded
  set(CURLOPT_TIMEOUT_MS, ms(options_.timeout_s));
  set(CURLOPT_CONNECTTIMEOUT_MS, ms(options_.connect_timeout_s));
  // A robots.txt is read up to kRobotsParseLimit whatever its size (on_write).
  // With --warc, a body announced larger than --max-size is read up to it
  // (on_write stops it there) rather than refused from its Content-Length,
  // so that the archive holds it truncated (WARC-Truncated: length).
  if (result_.request.kind != RequestKind::robots && !options_.archive)
    set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options_.max_size));
  set(CURLOPT_USERAGENT, options_.user_agent.c_str());
  if (options_.cookies && options_.cookies->admits(url_host(result_.request.url))) {
    // The shared jar; "" turns the engine on for this handle (curl reads
    // Set-Cookie and sends Cookie only then) without a file to read.
    set(CURLOPT_SHARE, options_.cookies->share());
    set(CURLOPT_COOKIEFILE, "");
    cookie_files_ = true;
  } else if (options_.cookies) {
    // A host closed by the jar's bound: off the share (curl_easy_reset
    // keeps it), so the handle neither keeps nor sends cookies.
    set(CURLOPT_SHARE, static_cast<CURLSH*>(nullptr));
  }
  if (!result_.request.referrer.empty()) set(CURLOPT_REFERER, result_.request.referrer.c_str());
  // A copy stored by an earlier batch: ask only for a newer one (RFC 9110
  // 13.1), echoing its validators exactly as the server sent them.
  headers_.reset();
  if (result_.request.conditional()) {
    const KnownCopy& known = *result_.request.known;
    const auto append = [&](std::string_view name, const std::string& value) {
      if (value.empty() || value.find_first_of("\r\n") != std::string::npos) return;
      const std::string line = std::string(name) + ": " + value;
      curl_slist* grown = curl_slist_append(headers_.get(), line.c_str());
      if (grown == nullptr) {
        rc = CURLE_OUT_OF_MEMORY;  // the list so far is still owned by headers_
        return;
      }
      (void)headers_.release();
      headers_.reset(grown);
    };
    append("If-None-Match", known.etag);
    append("If-Modified-Since", known.last_modified);
    if (headers_) set(CURLOPT_HTTPHEADER, headers_.get());
  }
  set(CURLOPT_WRITEFUNCTION, &Transfer::on_write);
  set(CURLOPT_WRITEDATA, static_cast<void*>(this));
  set(CURLOPT_HEADERFUNCTION, &Transfer::on_header);
  set(CURLOPT_HEADERDATA, static_cast<void*>(this));
  set(CURLOPT_NOPROGRESS, 0L);
  set(CURLOPT_XFERINFOFUNCTION, &Transfer::on_progress);
  set(CURLOPT_XFERINFODATA, static_cast<void*>(this));
  refused_.clear();
  if (options_.address_guard) {
    set(CURLOPT_OPENSOCKETFUNCTION, &Transfer::on_open_socket);
    set(CURLOPT_OPENSOCKETDATA, static_cast<void*>(this));
  }
  resolve_.reset();
  for (const auto& entry : options_.resolve) {
    curl_slist* grown = curl_slist_append(resolve_.get(), entry.c_str());
    if (grown == nullptr) return CURLE_OUT_OF_MEMORY;  // the list so far is still owned by resolve_
    (void)resolve_.release();
    resolve_.reset(grown);
  }
  if (resolve_) set(CURLOPT_RESOLVE, resolve_.get());
  wire_.clear();
  wire_failed_ = false;
  if (options_.archive) {
    set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    set(CURLOPT_VERBOSE, 1L);  // the debug callback is called only when verbose
    set(CURLOPT_DEBUGFUNCTION, &Transfer::on_debug);
    set(CURLOPT_DEBUGDATA, static_cast<void*>(this));
  }
  return rc;
}

int Transfer::on_debug(CURL*, curl_infotype type, char* data, size_t size, void* self) noexcept {
  auto* t = static_cast<Transfer*>(self);
  if (t->wire_failed_) return 0;
  try {
    t->capture(type, std::string_view(data, size));
  } catch (...) {
    t->wire_failed_ = true;  // out of memory: the transfer goes on, unarchived
    t->wire_.clear();
  }
  return 0;
}

namespace {

// Whether `url` is an http: or https: URL (scheme matched case-insensitively).
bool is_http_url(std::string_view url) {
  return ascii_iequals(url.substr(0, 7), "http://") || ascii_iequals(url.substr(0, 8), "https://");
}

// Whether curl changes a response's body beyond removing its chunked
// framing, from the response's fields as on_header() keeps them: a
// Content-Encoding other than identity (curl decodes it), or a transfer
// coding other than chunked (kept as it came; the raw bytes are what the
// archive needs either way).
bool curl_decodes(const std::vector<std::pair<std::string, std::string>>& fields) {
  for (const auto& [raw_name, raw_value] : fields) {
    const std::string_view name = trim_blanks(raw_name);
    const std::string_view value = trim_blanks(raw_value);
    if (ascii_iequals(name, "Content-Encoding") && !value.empty() && !ascii_iequals(value, "identity")) return true;
    if (ascii_iequals(name, "Transfer-Encoding") && !ascii_iequals(value, "chunked")) return true;
  }
  return false;
}

}  // namespace

void Transfer::capture(curl_infotype type, std::string_view bytes) {
  // The raw body kept is bounded like the decoded one (plus room for the
  // chunked framing); past it the record is marked truncated. A body over
  // --max-size keeps what arrived before the transfer was aborted.
  const std::size_t limit = result_.request.kind == RequestKind::robots ? kRobotsParseLimit
                                                                        : static_cast<std::size_t>(options_.max_size);
  const std::size_t body_cap = limit + 64 * 1024;
  switch (type) {
    case CURLINFO_HEADER_OUT: {
      // A request's header section: a new exchange (a robots.txt's redirect
      // hops are exchanges of their own). One sent again before any answer
      // (curl retries a request on a reused connection that turned out
      // dead) replaces the unanswered one.
      if (wire_.empty() || !wire_.back().response.empty()) wire_.emplace_back();
      WireExchange& x = wire_.back();
      char* url = nullptr;
      if (curl_easy_getinfo(easy_, CURLINFO_EFFECTIVE_URL, &url) == CURLE_OK && url) x.url = url;
      char* ip = nullptr;
      if (curl_easy_getinfo(easy_, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip) x.ip = ip;
      x.sent_at = std::chrono::system_clock::now();
      x.request.assign(bytes);
      break;
    }
    case CURLINFO_DATA_OUT:
      if (!wire_.empty()) wire_.back().request.append(bytes);
      break;
    case CURLINFO_HEADER_IN: {
      if (wire_.empty()) break;
      WireExchange& x = wire_.back();
      // A status line after another one, before any body: a final response
      // after an interim one (1xx: 100 Continue, 103 Early Hints), and the
      // final one is the response archived. (A field name cannot hold '/',
      // so no header line starts "HTTP/"; curl does not show the interim
      // response's empty line here, so its end cannot be waited for.)
      if (bytes.starts_with("HTTP/") && !x.response.empty() && x.body.empty() && !x.payload_from_curl) x.response.clear();
      if (x.response.empty()) x.response.reserve(1024);  // a header section comes a line at a time
      x.response.append(bytes);
      break;
    }
    case CURLINFO_DATA_IN: {
      if (wire_.empty()) break;
      WireExchange& x = wire_.back();
      if (!x.truncated.empty() || x.payload_from_curl) break;
      if (x.body.empty() && result_.request.kind != RequestKind::robots && !curl_decodes(result_.headers)) {
        // What curl delivers is the payload: not copied (the writer takes the result's body).
        x.payload_from_curl = true;
        break;
      }
      if (x.body.empty()) {
        // Sized once for the Content-Length announced (the raw length: the
        // bytes as they come), within the cap and at most 1 MiB ahead.
        curl_off_t length = -1;
        if (curl_easy_getinfo(easy_, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK && length > 0)
          x.body.reserve(std::min({static_cast<std::size_t>(length), body_cap, std::size_t{1} << 20}));
      }
      if (x.body.size() + bytes.size() > body_cap) {
        x.body.append(bytes.substr(0, body_cap - x.body.size()));
        x.truncated = "length";
      } else {
        x.body.append(bytes);
      }
      break;
    }
    default:
      break;  // curl's own text, TLS records
  }
}

size_t Transfer::on_write(char* data, size_t size, size_t n, void* self) noexcept {
  auto* t = static_cast<Transfer*>(self);
  const size_t bytes = size * n;
  // A robots.txt is read up to kRobotsParseLimit (--max-size does not apply);
  // past it the transfer ends (CURLE_WRITE_ERROR) and finish() takes what was read.
  // Both limits count decoded bytes as curl decodes them (a few KiB at a
  // time), so a compression bomb stops at the limit.
  const bool robots = t->result_.request.kind == RequestKind::robots;
  const auto received = static_cast<size_t>(t->body_bytes_);
  if (robots && received + bytes > kRobotsParseLimit) {
    t->keep(data, kRobotsParseLimit - received);
    t->robots_cut_ = true;
    return 0;
  }
  if (!robots && received + bytes > static_cast<size_t>(t->options_.max_size)) {
    t->too_large_ = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  if (received == 0 && !robots) t->reserve_announced();
  return t->keep(data, bytes) ? bytes : 0;
}

void Transfer::reserve_announced() noexcept {
  curl_off_t length = -1;
  if (curl_easy_getinfo(easy_, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) != CURLE_OK || length <= 0) return;
  // Encoded bodies decode to more: then the usual growth takes over. At most
  // 1 MiB ahead of the bytes: a server that announces more than it sends
  // holds no more of the body budget than that.
  constexpr curl_off_t kMaxAhead = 1 << 20;
  const auto wanted = static_cast<std::size_t>(std::min({length, curl_off_t{options_.max_size}, kMaxAhead}));
  if (wanted <= result_.body.capacity()) return;
  try {
    if (hold_) {
      if (!hold_->spilled()) (void)hold_->reserve(result_.body, wanted);  // over the budget: grown as it comes
    } else {
      result_.body.reserve(wanted);
    }
  } catch (...) {
    // out of memory: grown as it comes (and fails there)
  }
}

bool Transfer::keep(const char* data, size_t bytes) noexcept {
  try {
    if (hold_ && hold_->spilled()) {
      if (!hold_->append(data, bytes, spill_error_)) return false;
    } else if (hold_ && !hold_->reserve(result_.body, bytes)) {
      // The budget is spent: the body goes to a temporary file.
      std::string error;
      if (hold_->spill(result_.body, error)) {
        if (!hold_->append(data, bytes, spill_error_)) return false;
      } else {
        // No file (descriptors or disk exhausted): over the budget rather than fail the page.
        if (!warned_spill_) spdlog::warn("{}: {}; its body stays in memory", result_.request.url, error);
        warned_spill_ = true;
        if (!hold_->reserve(result_.body, bytes, true)) return false;
        result_.body.append(data, bytes);
      }
    } else {
      result_.body.append(data, bytes);
    }
  } catch (...) {
    return false;
  }
  body_bytes_ += static_cast<std::int64_t>(bytes);
  return true;
}

size_t Transfer::on_header(char* data, size_t size, size_t n, void* self) noexcept {
  auto* t = static_cast<Transfer*>(self);
  const size_t bytes = size * n;
  const HeaderLine line = parse_header_line(std::string_view(data, bytes));
  const bool status_line = line.kind == HeaderLine::Kind::status;
  // A new response's section is bounded on its own; interim responses
  // (1xx) count with the final one they precede, or endless 103s would
  // pass (curl stops them at 300 KiB in all, as a receive error).
  if (status_line && !(t->last_status_ >= 100 && t->last_status_ < 200)) t->header_bytes_ = 0;
  t->header_bytes_ += bytes;
  if (header_section_over_limits(t->header_bytes_, t->result_.headers.size())) {
    t->header_flood_ = true;
    return 0;  // ends the transfer: finish() says why
  }
  try {
    if (status_line) {
      // A new response. If the previous one was a redirect curl is
      // following, this response belongs to the next hop: record its URL.
      if (t->last_status_ >= 300 && t->last_status_ < 400) {
        char* url = nullptr;
        if (curl_easy_getinfo(t->easy_, CURLINFO_EFFECTIVE_URL, &url) == CURLE_OK && url)
          t->result_.redirects.emplace_back(url);
      }
      t->result_.headers.clear();
      t->last_status_ = line.status;
    } else if (line.kind == HeaderLine::Kind::field) {
      t->result_.headers.emplace_back(std::string(line.name), std::string(line.value));
      if (t->options_.cookies && ascii_iequals(line.name, "Set-Cookie"))
        t->options_.cookies->saw_set_cookie(url_host(t->result_.request.url), line.value);
    } else if (std::string_view(data, bytes).find_first_not_of("\r\n") == std::string_view::npos) {
      // The section's end (a chunked body's trailer section ends so too;
      // its Transfer-Encoding makes the check pass): a body framed by a
      // Content-Length that cannot frame it is not read, nor a redirect to
      // two places.
      auto problem = content_length_problem(t->last_status_, t->result_.headers);
      if (!problem) problem = location_problem(t->last_status_, t->result_.headers);
      if (problem) {
        t->framing_error_ = std::move(*problem);
        // --warc: the header as it came, its end included (curl shows the
        // debug callback that line after this callback), and no body.
        if (t->options_.archive && !t->wire_failed_ && !t->wire_.empty()) {
          WireExchange& x = t->wire_.back();
          if (!x.response.empty() && !x.response.ends_with("\n\n") && !x.response.ends_with("\n\r\n"))
            x.response.append(data, bytes);
          x.truncated = "unspecified";  // WARC 1.1: "other/unknown reason" (the crawler's refusal)
        }
        return 0;  // ends the transfer: finish() says why
      }
    }
  } catch (...) {
    return 0;
  }
  return bytes;
}

int Transfer::on_progress(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t) noexcept {
  auto* t = static_cast<Transfer*>(self);
  return t->cancel_ && t->cancel_->load(std::memory_order_relaxed) ? 1 : 0;
}

// Called with the resolved address before every connection (first hop,
// redirects; not for a reused connection, which was checked when opened).
// Refusing here, rather than on the URL's host text, is what stops a name
// that resolves to a private address, including one that resolved to a
// public address a moment earlier (DNS rebinding).
curl_socket_t Transfer::on_open_socket(void* self, curlsocktype purpose, curl_sockaddr* address) noexcept {
  auto* t = static_cast<Transfer*>(self);
  if (t->options_.address_guard) {
    try {
      std::optional<boost::asio::ip::address> to;
      if (address->family == AF_INET && address->addrlen >= sizeof(sockaddr_in)) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(&address->addr);
        to = boost::asio::ip::address_v4(ntohl(in->sin_addr.s_addr));
      } else if (address->family == AF_INET6 && address->addrlen >= sizeof(sockaddr_in6)) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address->addr);
        boost::asio::ip::address_v6::bytes_type bytes;
        std::copy(std::begin(in6->sin6_addr.s6_addr), std::end(in6->sin6_addr.s6_addr), bytes.begin());
        to = boost::asio::ip::address_v6(bytes, in6->sin6_scope_id);
      }
      if (purpose == CURLSOCKTYPE_IPCXN && to) {
        // The URL being connected for: after a redirect, curl's effective URL
        // is already the next hop's.
        char* url = nullptr;
        curl_easy_getinfo(t->easy_, CURLINFO_EFFECTIVE_URL, &url);
        if (auto why = t->options_.address_guard->refusal(url_host(url ? url : ""), *to)) {
          t->refused_ = std::move(*why);
          return CURL_SOCKET_BAD;
        }
      } else if (!to) {
        t->refused_ = "refused to connect to an address of family " + std::to_string(address->family);
        return CURL_SOCKET_BAD;
      }
    } catch (...) {
      return CURL_SOCKET_BAD;  // out of memory: fail closed
    }
  }
  return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

void Transfer::drop_cookie_files() noexcept {
  // libcurl 7.88 keeps CURLOPT_COOKIEFILE's list after loading it, and
  // curl_easy_reset() forgets it without freeing it (17 bytes a transfer,
  // found by LeakSanitizer): NULL frees it. It also unhooks the handle from
  // the jar's cookies until the next attach() sets the share again; the
  // handle's cookie engine stays on.
  if (!cookie_files_ || easy_ == nullptr) return;
  cookie_files_ = false;
  curl_easy_setopt(easy_, CURLOPT_COOKIEFILE, static_cast<char*>(nullptr));
}

FetchResult Transfer::finish(CURLcode code) {
  drop_cookie_files();
  if (options_.archive && !wire_failed_ && !wire_.empty()) {
    WireExchange& last = wire_.back();
    if (code != CURLE_OK && last.truncated.empty()) {
      last.truncated = too_large_ || robots_cut_           ? "length"
                       : code == CURLE_OPERATION_TIMEDOUT ? "time"
                                                          : "disconnect";
    }
    if (code != CURLE_OK && last.payload_from_curl) {
      // The result keeps no body on a failure: what came goes to the archive.
      if (hold_ && hold_->spilled()) {
        std::string error;
        if (!hold_->load(last.body, /*wait=*/false, error))
          spdlog::warn("{}: its archived body is cut: {}", result_.request.url, error);
      } else {
        last.body = std::move(result_.body);
      }
    }
    result_.wire = std::make_shared<const std::vector<WireExchange>>(std::move(wire_));
    wire_.clear();
  }
  long status = 0;
  curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
  char* effective = nullptr;
  curl_easy_getinfo(easy_, CURLINFO_EFFECTIVE_URL, &effective);
  char* type = nullptr;
  curl_easy_getinfo(easy_, CURLINFO_CONTENT_TYPE, &type);
  curl_off_t total_us = 0;
  curl_easy_getinfo(easy_, CURLINFO_TOTAL_TIME_T, &total_us);

  result_.final_url = effective ? effective : result_.request.url;
  result_.elapsed_ms = static_cast<double>(total_us) / 1000.0;
  result_.answered = last_status_ > 0;
  if (code == CURLE_OK || (code == CURLE_WRITE_ERROR && robots_cut_)) {
    if (robots_cut_)
      spdlog::info("{}: larger than {} KiB; the rest is ignored (RFC 9309 2.5)", result_.request.url,
                   kRobotsParseLimit / 1024);
    result_.status = status;
    if (type) result_.content_type = type;
    // curl parses both forms of Retry-After (delay-seconds, HTTP-date).
    curl_off_t retry_after = 0;
    if (curl_easy_getinfo(easy_, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0)
      result_.retry_after_s = static_cast<double>(retry_after);
    result_.body_hold = std::move(hold_);  // a spilled body is read back by the fetcher (load_body)
    return std::move(result_);
  }
  // No usable response: keep what identifies the attempt, drop partial data.
  const bool body_started = body_bytes_ > 0;
  result_.body.clear();
  hold_.reset();
  result_.status = 0;
  result_.content_type.clear();
  // Every address the name had was refused (curl reports that as a failed
  // connect): our decision, recorded as a skip, not a connection failure.
  if (code == CURLE_COULDNT_CONNECT && !refused_.empty())
    return fail(make_error_code(CrawlDecision::private_address), refused_);
  if (!framing_error_.empty()) return fail(make_error_code(FetchErrc::protocol), framing_error_);
  if (header_flood_)
    return fail(make_error_code(FetchErrc::protocol),
                "response headers over " + std::to_string(kMaxHeaderBytes / 1024) + " KiB or " +
                    std::to_string(kMaxHeaderFields) + " fields");
  // curl refuses a header line over its 100 KiB limit as "out of memory".
  if (code == CURLE_OUT_OF_MEMORY && header_bytes_ > 0 && !body_started)
    return fail(make_error_code(FetchErrc::protocol), "a response header line over curl's 100 KiB limit");
  // Our write callback refused the body: that is our own decision, not curl's write error.
  if (!spill_error_.empty()) return fail(make_error_code(FetchErrc::other), spill_error_);
  if (too_large_)
    return fail(make_error_code(FetchErrc::too_large),
                "body larger than --max-size " + std::to_string(options_.max_size) + " bytes");
  // "Unsupported protocol" for an http(s) URL (a robots.txt redirect that
  // curl followed to another scheme keeps curl's meaning) is the server's
  // answer: HTTP/0.9 (no status line), which curl refuses, or an HTTP
  // version it does not speak. A protocol error.
  if (code == CURLE_UNSUPPORTED_PROTOCOL && is_http_url(result_.final_url))
    return fail(make_error_code(FetchErrc::protocol), errbuf_[0] ? errbuf_ : curl_easy_strerror(code));
  return fail(make_curl_error(code), errbuf_[0] ? errbuf_ : curl_easy_strerror(code));
}

FetchResult Transfer::fail(std::error_code error, std::string detail) {
  drop_cookie_files();
  if (result_.final_url.empty()) result_.final_url = result_.request.url;
  if (result_.fetched_at == std::chrono::system_clock::time_point{})
    result_.fetched_at = std::chrono::system_clock::now();
  result_.error = error;
  result_.error_detail = std::move(detail);
  // A failed transfer's partial body is never stored or read; drop it with
  // its share of the budget, or the results waiting for the crawler would
  // hold it outside the budget (up to --max-size each).
  std::string().swap(result_.body);
  hold_.reset();
  result_.body_hold.reset();
  return std::move(result_);
}

}  // namespace crawl
