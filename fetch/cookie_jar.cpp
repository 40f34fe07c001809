#include "fetch/cookie_jar.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "fetch/curl_handles.h"

namespace crawl {

namespace {

std::string errno_text(int e) { return std::strerror(e); }

// An easy handle on the jar's share, for reading or loading cookies
// outside any transfer.
EasyHandle on_share(CURLSH* share) {
  EasyHandle easy = make_easy();
  if (curl_easy_setopt(easy.get(), CURLOPT_SHARE, share) != CURLE_OK)
    throw std::runtime_error("cookies: curl refused the cookie share");
  return easy;
}

}  // namespace

CookieJar::CookieJar() {
  ensure_curl_global_init();
  share_.reset(curl_share_init());
  if (!share_) throw std::runtime_error("cookies: curl_share_init failed");
  CURLSHcode rc = curl_share_setopt(share_.get(), CURLSHOPT_LOCKFUNC, &CookieJar::lock);
  if (rc == CURLSHE_OK) rc = curl_share_setopt(share_.get(), CURLSHOPT_UNLOCKFUNC, &CookieJar::unlock);
  if (rc == CURLSHE_OK) rc = curl_share_setopt(share_.get(), CURLSHOPT_USERDATA, static_cast<void*>(this));
  if (rc == CURLSHE_OK) rc = curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE);
  if (rc != CURLSHE_OK) throw std::runtime_error(std::string("cookies: ") + curl_share_strerror(rc));
}

void CookieJar::lock(CURL*, curl_lock_data data, curl_lock_access, void* self) noexcept {
  static_cast<CookieJar*>(self)->mutexes_[static_cast<std::size_t>(data) % CURL_LOCK_DATA_LAST].lock();
}

void CookieJar::unlock(CURL*, curl_lock_data data, void* self) noexcept {
  static_cast<CookieJar*>(self)->mutexes_[static_cast<std::size_t>(data) % CURL_LOCK_DATA_LAST].unlock();
}

std::optional<std::size_t> CookieJar::load(const std::string& path) {
  // curl skips a file it cannot open without a word: say why first.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int e = errno;
    if (e == ENOENT) return std::nullopt;
    throw std::runtime_error(path + ": cannot open: " + errno_text(e));
  }
  struct stat st {};
  const bool directory = ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
  ::close(fd);
  if (directory) throw std::runtime_error(path + ": is a directory, not a cookie file");
  EasyHandle easy = on_share(share_.get());
  CURLcode rc = curl_easy_setopt(easy.get(), CURLOPT_COOKIEFILE, path.c_str());
  if (rc == CURLE_OK) rc = curl_easy_setopt(easy.get(), CURLOPT_COOKIELIST, "RELOAD");
  if (rc != CURLE_OK) throw std::runtime_error(path + ": cannot load: " + curl_easy_strerror(rc));
  return lines().size();
}

void CookieJar::saw_set_cookie(std::string_view host, std::string_view set_cookie) {
  // The name: what comes before '=' (or ';'), blanks trimmed (RFC 6265 5.2).
  std::string_view name = set_cookie.substr(0, set_cookie.find_first_of("=;"));
  while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
  const std::uint64_t hash = std::hash<std::string_view>{}(name);
  bool closed_now = false;
  {
    std::lock_guard lock(hosts_mutex_);
    auto it = hosts_.find(host);
    if (it == hosts_.end()) it = hosts_.emplace(std::string(host), HostNames{}).first;
    HostNames& h = it->second;
    if (h.closed) return;
    h.names.insert(hash);
    if (h.names.size() > kMaxNamesPerHost) {
      h.closed = closed_now = true;
      h.names = {};  // not needed any more
    }
  }
  if (closed_now)
    spdlog::warn("{}: more than {} distinct cookies set; its cookies are no longer kept or sent", host,
                 kMaxNamesPerHost);
}

bool CookieJar::admits(std::string_view host) const {
  std::lock_guard lock(hosts_mutex_);
  const auto it = hosts_.find(host);
  return it == hosts_.end() || !it->second.closed;
}

std::vector<std::string> CookieJar::lines() const {
  EasyHandle easy = on_share(share_.get());
  curl_slist* list = nullptr;
  if (curl_easy_getinfo(easy.get(), CURLINFO_COOKIELIST, &list) != CURLE_OK)
    throw std::runtime_error("cookies: cannot list the jar");
  const Slist owned(list);
  std::vector<std::string> out;
  for (const curl_slist* l = list; l != nullptr; l = l->next) out.emplace_back(l->data);
  return out;
}

std::string CookieJar::file_text() const {
  std::string text =
      "# Netscape HTTP Cookie File\n"
      "# Written by crawl (--save-cookies); read by crawl --load-cookies, curl -b, wget --load-cookies.\n\n";
  for (const auto& line : lines()) text += line + "\n";
  return text;
}

}  // namespace crawl
