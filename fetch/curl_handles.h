// RAII owners for libcurl handles, one deleter per type. Every CURL* and
// CURLM* in the project is owned by one of these from the moment it exists.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <stdexcept>

namespace crawl {

struct EasyDeleter {
  void operator()(CURL* h) const noexcept { curl_easy_cleanup(h); }
};
struct MultiDeleter {
  void operator()(CURLM* h) const noexcept { curl_multi_cleanup(h); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};

using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;
using MultiHandle = std::unique_ptr<CURLM, MultiDeleter>;
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// curl_global_init exactly once per process (thread-safe via call_once);
// every fetcher calls it before creating handles.
void ensure_curl_global_init();

inline EasyHandle make_easy() {
  ensure_curl_global_init();
  EasyHandle h(curl_easy_init());
  if (!h) throw std::runtime_error("curl_easy_init failed");
  return h;
}

}  // namespace crawl
