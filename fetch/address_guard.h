// The private-address guard: which addresses a transfer may connect to.
//
// A public page can link or redirect to http://169.254.169.254/ (a cloud
// machine's metadata service), http://10.0.0.1/, or a name that resolves to
// a loopback or private address. By default the crawler refuses to connect
// to any address in an IANA special-purpose range that is not globally
// reachable (RFC 6890 and the IANA IPv4/IPv6 special-purpose registries):
// loopback, RFC 1918 private, link-local, unique-local, CGNAT, "this
// network", multicast, reserved, broadcast, documentation, benchmarking…
// The check runs on the address curl is about to connect to
// (CURLOPT_OPENSOCKETFUNCTION, easy_factory.cpp), after name resolution, so
// a name that resolves differently the second time (DNS rebinding) is
// checked on the address actually used.
//
// Exemptions: --allow-private (no guard at all); a seed URL whose host is an
// IP literal allows that literal's whole range (seed 127.0.0.1: 127.0.0.0/8),
// and a seed on `localhost` or a name under it (loopback by definition, RFC
// 6761) allows loopback; a seed URL's host name is allowed whatever it
// resolves to (the user asked for it).
#pragma once

#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crawl {

// A special-purpose range: its block in CIDR form and what it is.
struct SpecialRange {
  std::string_view block;  // "127.0.0.0/8", "fc00::/7"
  std::string_view name;   // "loopback", "private", "link-local", …
};

// The special-purpose range `address` is in, or nullptr when it is globally
// reachable. An IPv6 address that embeds an IPv4 one (IPv4-mapped
// ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) is classified by the
// IPv4 address it leads to. IPv6 outside 2000::/3 (global unicast) and the
// forms above is reserved. Pure; thread-safe; the result points at a static
// table.
const SpecialRange* special_range(const boost::asio::ip::address& address);

// Whether transfers may connect to an address, for one crawl. Immutable
// after construction: thread-safe.
class AddressGuard {
 public:
  // `seed_urls`: the crawl's seed URLs (normalized http(s) URLs); their hosts
  // are allowed whatever they resolve to, the range of a host that is an IP
  // literal is allowed, and loopback when a host is (under) "localhost".
  explicit AddressGuard(const std::vector<std::string>& seed_urls);

  // Why a connection to `address` for a URL of host `host` (as in the URL:
  // an IPv6 literal may keep its brackets; any case) is refused, e.g.
  // "refused to connect to 127.0.0.1 (loopback); --allow-private allows it";
  // nullopt when it is allowed.
  std::optional<std::string> refusal(std::string_view host, const boost::asio::ip::address& address) const;

 private:
  std::vector<std::string> seed_hosts_;                // lowercase, IPv6 brackets removed
  std::vector<const SpecialRange*> allowed_ranges_;  // ranges of the seeds' IP literals
};

}  // namespace crawl
