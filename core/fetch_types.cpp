#include "core/fetch_types.h"

namespace crawl {

const char* error_kind_name(FetchErrc e) noexcept {
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
    case FetchErrc::robots_disallowed: return "robots_disallowed";
    case FetchErrc::robots_unavailable: return "robots_unavailable";
    case FetchErrc::host_given_up: return "host_given_up";
  }
  return "other";
}

namespace {
class FetchCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "fetch"; }
  std::string message(int ev) const override { return error_kind_name(static_cast<FetchErrc>(ev)); }
};
}  // namespace

const std::error_category& fetch_category() noexcept {
  static const FetchCategory category;
  return category;
}

}  // namespace crawl
