// curl's own result codes as std::error_code, in their own category ("curl"),
// so the original CURLcode is kept in FetchResult::error and still compares
// equal to the crawler's kind of failure: `ec == FetchErrc::timeout` holds for
// CURLE_OPERATION_TIMEDOUT.
#pragma once

#include <curl/curl.h>

#include <system_error>

#include "core/fetch_types.h"

namespace crawl {

// name() "curl"; message() curl_easy_strerror; default_error_condition() the
// FetchErrc kind (classify()).
const std::error_category& curl_category() noexcept;

inline std::error_code make_curl_error(CURLcode code) noexcept { return {static_cast<int>(code), curl_category()}; }

// Maps a libcurl result code to the crawler's kinds of failure.
FetchErrc classify(CURLcode code) noexcept;

}  // namespace crawl
