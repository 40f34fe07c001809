#include "fetch/curl_error.h"

namespace crawl {

FetchErrc classify(CURLcode code) noexcept {
  switch (code) {
    case CURLE_OK: return FetchErrc::ok;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return FetchErrc::dns;
    case CURLE_COULDNT_CONNECT: return FetchErrc::connect;
    case CURLE_OPERATION_TIMEDOUT: return FetchErrc::timeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_SHUTDOWN_FAILED: return FetchErrc::tls;
    case CURLE_FILESIZE_EXCEEDED: return FetchErrc::too_large;
    case CURLE_TOO_MANY_REDIRECTS: return FetchErrc::too_many_redirects;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT: return FetchErrc::unsupported_scheme;
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING: return FetchErrc::recv;
    case CURLE_SEND_ERROR: return FetchErrc::send;
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3: return FetchErrc::protocol;
    case CURLE_ABORTED_BY_CALLBACK: return FetchErrc::aborted;
    default: return FetchErrc::other;
  }
}

namespace {

class CurlCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "curl"; }
  std::string message(int ev) const override { return curl_easy_strerror(static_cast<CURLcode>(ev)); }
  std::error_condition default_error_condition(int ev) const noexcept override {
    return make_error_condition(classify(static_cast<CURLcode>(ev)));
  }
};

}  // namespace

const std::error_category& curl_category() noexcept {
  static const CurlCategory category;
  return category;
}

}  // namespace crawl
