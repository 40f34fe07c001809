// curl's result codes keep their own category and compare equal to the
// crawler's kinds of failure; the crawler's own decisions are not fetch errors.
#include "fetch/curl_error.h"

#include <gtest/gtest.h>

namespace crawl {
namespace {

TEST(CurlError, KeepsCurlsCodeInItsOwnCategory) {
  const std::error_code ec = make_curl_error(CURLE_OPERATION_TIMEDOUT);
  EXPECT_STREQ(ec.category().name(), "curl");
  EXPECT_EQ(ec.value(), CURLE_OPERATION_TIMEDOUT);
  EXPECT_EQ(ec.message(), curl_easy_strerror(CURLE_OPERATION_TIMEDOUT));
}

TEST(CurlError, ComparesEqualToItsKind) {
  const struct {
    CURLcode code;
    FetchErrc kind;
    const char* name;
  } cases[] = {
      {CURLE_COULDNT_RESOLVE_HOST, FetchErrc::dns, "dns"},
      {CURLE_COULDNT_CONNECT, FetchErrc::connect, "connect"},
      {CURLE_OPERATION_TIMEDOUT, FetchErrc::timeout, "timeout"},
      {CURLE_PEER_FAILED_VERIFICATION, FetchErrc::tls, "tls"},
      {CURLE_TOO_MANY_REDIRECTS, FetchErrc::too_many_redirects, "too_many_redirects"},
      {CURLE_UNSUPPORTED_PROTOCOL, FetchErrc::unsupported_scheme, "unsupported_scheme"},
      {CURLE_RECV_ERROR, FetchErrc::recv, "recv"},
      {CURLE_PARTIAL_FILE, FetchErrc::recv, "recv"},
      {CURLE_SEND_ERROR, FetchErrc::send, "send"},
      {CURLE_BAD_CONTENT_ENCODING, FetchErrc::protocol, "protocol"},
      {CURLE_ABORTED_BY_CALLBACK, FetchErrc::aborted, "aborted"},
      {CURLE_OUT_OF_MEMORY, FetchErrc::other, "other"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(curl_easy_strerror(c.code));
    const std::error_code ec = make_curl_error(c.code);
    EXPECT_EQ(ec, c.kind);
    EXPECT_EQ(fetch_errc(ec), c.kind);
    EXPECT_EQ(error_kind_name(ec), c.name);
  }
  EXPECT_NE(make_curl_error(CURLE_COULDNT_CONNECT), FetchErrc::timeout);
}

TEST(CurlError, TheErrorColumnSaysKindThenDetail) {
  FetchResult r;
  r.error = make_curl_error(CURLE_OPERATION_TIMEDOUT);
  r.error_detail = "Operation timed out after 500 milliseconds";
  EXPECT_EQ(r.error_string(), "timeout: Operation timed out after 500 milliseconds");
}

TEST(CrawlDecisionError, IsNotAFetchErrorAndOnlyRobotsDisallowedIsASkip) {
  FetchResult r;
  r.error = make_error_code(CrawlDecision::robots_disallowed);
  EXPECT_TRUE(r.skipped());
  EXPECT_EQ(fetch_errc(r.error), FetchErrc::other);
  EXPECT_EQ(error_kind_name(r.error), "robots_disallowed");
  r.error = make_error_code(CrawlDecision::host_given_up);
  EXPECT_FALSE(r.skipped());
  EXPECT_EQ(error_kind_name(r.error), "host_given_up");
  EXPECT_EQ(r.error, CrawlDecision::host_given_up);
}

}  // namespace
}  // namespace crawl
