#include "web/domain.h"

#include <libpsl.h>

#include <algorithm>

#include "core/ascii.h"

namespace crawl {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// WHATWG URL "ends in a number": the last label (ignoring one trailing dot) is all digits or
// 0x-hex, so a browser parses the host as IPv4. Such hosts and IPv6 literals have no suffix;
// libpsl would otherwise call "127.0.1.5" a name under the unknown TLD "5" → "1.5".
bool is_ip_address(std::string_view host) {
  if (host.starts_with('[') || host.find(':') != std::string_view::npos) return true;
  std::string_view last = host.substr(host.rfind('.') + 1);
  if (last.empty()) return false;
  if (last.starts_with("0x")) {
    last.remove_prefix(2);
    return std::all_of(last.begin(), last.end(), [](char c) {
      return is_digit(c) || (c >= 'a' && c <= 'f');
    });
  }
  return std::all_of(last.begin(), last.end(), is_digit);
}

// The list compiled into libpsl, or — should a build ship without one — the `publicsuffix`
// package's file, loaded once (a function-local static: initialization is thread-safe, and a
// psl_ctx_t is immutable after loading, so lookups may run concurrently). Never freed: it lives
// as long as the process. Null only if neither exists; then every host is its own domain.
const psl_ctx_t* suffix_list() {
  static const psl_ctx_t* const ctx = []() -> const psl_ctx_t* {
    const psl_ctx_t* builtin = psl_builtin();
    if (builtin != nullptr && psl_suffix_count(builtin) > 0) return builtin;
    return psl_load_file("/usr/share/publicsuffix/public_suffix_list.dat");
  }();
  return ctx;
}

}  // namespace

std::string registrable_domain(std::string_view host) {
  std::string lower = ascii_lowercase(host);
  // "example.com." names the same site as "example.com"; the list has no trailing dots.
  if (lower.ends_with('.')) lower.pop_back();
  // psl_registrable_domain takes a C string: a NUL would end it early.
  if (lower.empty() || is_ip_address(lower) || lower.find('\0') != std::string::npos) return lower;
  const psl_ctx_t* psl = suffix_list();
  if (psl == nullptr) return lower;
  // A pointer into `lower`, or null when the host is itself a public suffix or has no label
  // beyond one.
  const char* domain = psl_registrable_domain(psl, lower.c_str());
  return domain != nullptr ? std::string(domain) : lower;
}

}  // namespace crawl
