// RAII owners for libcurl handles, one deleter per type. Every CURL* and
// CURLM* in the project is owned by one of these from the moment it exists.
#pragma once

#include <curl/curl.h>

#include <stdexcept>

#include "core/c_handle.h"

namespace crawl {

using EasyHandle = CHandle<CURL, curl_easy_cleanup>;
using MultiHandle = CHandle<CURLM, curl_multi_cleanup>;
using Slist = CHandle<curl_slist, curl_slist_free_all>;

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
