#include "core/fetch_types.h"

namespace crawl {

namespace {

const char* fetch_kind_name(FetchErrc e) noexcept {
  switch (e) {
    case FetchErrc::ok: return "ok";
    case FetchErrc::dns: return "dns";
    case FetchErrc::connect: return "connect";
    case FetchErrc::timeout: return "timeout";
    case FetchErrc::tls: return "tls";
    case FetchErrc::too_large: return "too_large";
    case FetchErrc::too_many_redirects: return "too_many_redirects";
    case FetchErrc::unsupported_scheme: return "unsupported_scheme";
    case FetchErrc::recv: return "recv";
    case FetchErrc::send: return "send";
    case FetchErrc::protocol: return "protocol";
    case FetchErrc::aborted: return "aborted";
    case FetchErrc::other: return "other";
  }
  return "other";
}

class FetchCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "fetch"; }
  std::string message(int ev) const override { return fetch_kind_name(static_cast<FetchErrc>(ev)); }
};

class CrawlDecisionCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "crawl"; }
  std::string message(int ev) const override {
    switch (static_cast<CrawlDecision>(ev)) {
      case CrawlDecision::robots_disallowed: return "robots_disallowed";
      case CrawlDecision::robots_unavailable: return "robots_unavailable";
      case CrawlDecision::host_given_up: return "host_given_up";
      case CrawlDecision::private_address: return "private_address";
      case CrawlDecision::out_of_scope: return "out_of_scope";
    }
    return "crawl_decision";
  }
};

}  // namespace

const std::error_category& fetch_category() noexcept {
  static const FetchCategory category;
  return category;
}

const std::error_category& crawl_decision_category() noexcept {
  static const CrawlDecisionCategory category;
  return category;
}

FetchErrc fetch_errc(const std::error_code& ec) noexcept {
  if (!ec) return FetchErrc::ok;
  const std::error_condition condition = ec.default_error_condition();
  return condition.category() == fetch_category() ? static_cast<FetchErrc>(condition.value()) : FetchErrc::other;
}

std::string error_kind_name(const std::error_code& ec) { return ec.default_error_condition().message(); }

}  // namespace crawl
