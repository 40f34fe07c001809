// CookieJar: the crawl's cookies, one jar shared by every transfer of both
// fetch strategies (a curl share handle sharing CURL_LOCK_DATA_COOKIE, with
// a mutex per lock), as wget, wget2, Scrapy and Heritrix keep them: a
// Set-Cookie of one response is sent with every later request it matches
// (RFC 6265 domain, path, Secure and expiry rules: curl's cookie engine,
// with the public suffix list against supercookies). A site that sets a
// cookie and redirects to itself is then crawled, not looped on.
//
// curl parses, matches and stores; the jar only owns the share, loads a
// cookie file (--load-cookies: Netscape format, as curl -b and wget read)
// and renders one (--save-cookies, written by app/cli.cpp: every cookie
// held, session cookies included, as curl -c writes them).
#pragma once

#include <curl/curl.h>

#include <array>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/c_handle.h"

namespace crawl {

class CookieJar {
 public:
  // An empty jar. Throws std::runtime_error if curl cannot make the share.
  CookieJar();
  CookieJar(const CookieJar&) = delete;
  CookieJar& operator=(const CookieJar&) = delete;
  // Every easy handle given share() must be cleaned up (or given another
  // share) before the jar is destroyed.
  ~CookieJar() = default;

  // For CURLOPT_SHARE: a handle given it stores and sends the jar's cookies.
  CURLSH* share() const { return share_.get(); }

  // Adds the cookies of a Netscape-format cookie file (or of Set-Cookie:
  // header lines) at `path`; returns how many the jar holds after, or
  // nullopt when there is no such file (the first run of batches that load
  // and save one file). Throws std::runtime_error naming the path when it
  // exists but cannot be read.
  std::optional<std::size_t> load(const std::string& path);

  // The cookies held, one Netscape-format line each (curl's
  // CURLINFO_COOKIELIST: domain, subdomains, path, secure, expiry, name,
  // value, tab-separated; "#HttpOnly_" before an HttpOnly cookie's domain).
  std::vector<std::string> lines() const;

  // Every cookie held as a Netscape cookie file (what --save-cookies
  // writes; curl -b and wget --load-cookies read it).
  std::string file_text() const;

  // The jar's bound against a host that floods it (curl caps cookies per
  // response and per request, not per jar): past kMaxNamesPerHost distinct
  // cookie names set by one host's responses, the host is closed — its
  // later transfers neither keep nor send cookies (the ones it set stay).
  // Browsers keep 150-180 per domain. Thread-safe.
  static constexpr std::size_t kMaxNamesPerHost = 300;
  // A Set-Cookie field of a response from `host` (its value as sent).
  void saw_set_cookie(std::string_view host, std::string_view set_cookie);
  // Whether transfers to `host` use the jar (not closed by the bound).
  bool admits(std::string_view host) const;

 private:
  static void lock(CURL*, curl_lock_data data, curl_lock_access, void* self) noexcept;
  static void unlock(CURL*, curl_lock_data data, void* self) noexcept;

  std::array<std::mutex, CURL_LOCK_DATA_LAST> mutexes_;  // before share_: outlives its cleanup
  CHandle<CURLSH, curl_share_cleanup> share_;
  struct HostNames {
    std::unordered_set<std::uint64_t> names;  // hashes of the cookie names it set
    bool closed = false;
  };
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  mutable std::mutex hosts_mutex_;
  std::unordered_map<std::string, HostNames, StringHash, std::equal_to<>> hosts_;  // hosts that set a cookie
};

}  // namespace crawl
