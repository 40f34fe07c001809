// The private-address guard's classifier and exemptions (address_guard.h).
#include "fetch/address_guard.h"

#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include <algorithm>
#include <array>

#include "core/ascii.h"
#include "core/fetch_types.h"
#include "core/url_parts.h"

namespace crawl {

namespace ip = boost::asio::ip;

namespace {

// IANA IPv4 Special-Purpose Address Registry (RFC 6890 and updates): the
// blocks that are not globally reachable, plus multicast and the reserved
// 240/4. The more specific block comes first where two overlap.
constexpr std::array<SpecialRange, 16> kV4Ranges{{
    {"0.0.0.0/8", "this network"},
    {"10.0.0.0/8", "private"},
    {"100.64.0.0/10", "shared address space (CGNAT)"},
    {"127.0.0.0/8", "loopback"},
    {"169.254.0.0/16", "link-local"},
    {"172.16.0.0/12", "private"},
    {"192.0.0.0/24", "IETF protocol assignments"},
    {"192.0.2.0/24", "documentation"},
    {"192.88.99.0/24", "6to4 relay anycast (deprecated)"},
    {"192.168.0.0/16", "private"},
    {"198.18.0.0/15", "benchmarking"},
    {"198.51.100.0/24", "documentation"},
    {"203.0.113.0/24", "documentation"},
    {"224.0.0.0/4", "multicast"},
    {"255.255.255.255/32", "broadcast"},
    {"240.0.0.0/4", "reserved"},
}};

// IANA IPv6 Special-Purpose Address Registry, the blocks not globally
// reachable, and the other non-global unicast and multicast blocks. The
// IPv4-mapped, NAT64 well-known and 6to4 prefixes are not here: addresses in
// them are classified by the IPv4 address they embed.
constexpr std::array<SpecialRange, 12> kV6Ranges{{
    {"::/128", "unspecified"},
    {"::1/128", "loopback"},
    {"64:ff9b:1::/48", "local-use NAT64"},
    {"100::/64", "discard-only"},
    {"2001:db8::/32", "documentation"},
    {"2001::/23", "IETF protocol assignments"},
    {"3fff::/20", "documentation"},
    {"5f00::/16", "segment routing SIDs"},
    {"fc00::/7", "unique-local"},
    {"fe80::/10", "link-local"},
    {"fec0::/10", "site-local (deprecated)"},
    {"ff00::/8", "multicast"},
}};

// Everything outside global unicast 2000::/3 that the cases above leave.
constexpr SpecialRange kV6Reserved{"outside 2000::/3", "reserved"};

const std::array<ip::network_v4, kV4Ranges.size()>& v4_networks() {
  static const auto networks = [] {
    std::array<ip::network_v4, kV4Ranges.size()> out;
    for (std::size_t i = 0; i < kV4Ranges.size(); ++i) out[i] = ip::make_network_v4(std::string(kV4Ranges[i].block));
    return out;
  }();
  return networks;
}

const std::array<ip::network_v6, kV6Ranges.size()>& v6_networks() {
  static const auto networks = [] {
    std::array<ip::network_v6, kV6Ranges.size()> out;
    for (std::size_t i = 0; i < kV6Ranges.size(); ++i) out[i] = ip::make_network_v6(std::string(kV6Ranges[i].block));
    return out;
  }();
  return networks;
}

bool in(const ip::address_v4& a, const ip::network_v4& net) {
  return (a.to_uint() & net.netmask().to_uint()) == net.network().to_uint();
}

bool in(const ip::address_v6& a, const ip::network_v6& net) {
  return ip::network_v6(a, net.prefix_length()).network() == net.network();
}

const SpecialRange* special_v4(const ip::address_v4& a) {
  const auto& nets = v4_networks();
  for (std::size_t i = 0; i < nets.size(); ++i)
    if (in(a, nets[i])) return &kV4Ranges[i];
  return nullptr;
}

ip::address_v4 v4_from(const ip::address_v6::bytes_type& b, std::size_t at) {
  return ip::address_v4(ip::address_v4::bytes_type{b[at], b[at + 1], b[at + 2], b[at + 3]});
}

const SpecialRange* special_v6(const ip::address_v6& a) {
  static const auto nat64 = ip::make_network_v6("64:ff9b::/96");
  static const auto six_to_four = ip::make_network_v6("2002::/16");
  static const auto global_unicast = ip::make_network_v6("2000::/3");
  const auto bytes = a.to_bytes();
  if (a.is_v4_mapped()) return special_v4(ip::make_address_v4(ip::v4_mapped, a));
  if (in(a, nat64)) return special_v4(v4_from(bytes, 12));
  if (in(a, six_to_four)) return special_v4(v4_from(bytes, 2));
  const auto& nets = v6_networks();
  for (std::size_t i = 0; i < nets.size(); ++i)
    if (in(a, nets[i])) return &kV6Ranges[i];
  return in(a, global_unicast) ? nullptr : &kV6Reserved;
}

// The host as compared: IPv6 brackets removed.
std::string_view bare_host(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') return host.substr(1, host.size() - 2);
  return host;
}

}  // namespace

const SpecialRange* special_range(const ip::address& address) {
  return address.is_v4() ? special_v4(address.to_v4()) : special_v6(address.to_v6());
}

AddressGuard::AddressGuard(const std::vector<std::string>& seed_urls) {
  for (const auto& url : seed_urls) {
    const std::string_view host = bare_host(url_host(url));
    if (host.empty()) continue;
    std::string lower = ascii_lowercase(host);
    // RFC 6761 6.3: "localhost" and the names under it are loopback by
    // definition (curl resolves them so itself): a seed there is a seed on
    // loopback, as 127.0.0.1 would be.
    if (lower == "localhost" || lower.ends_with(".localhost"))
      for (const char* loopback : {"127.0.0.1", "::1"})
        if (const SpecialRange* range = special_range(ip::make_address(loopback));
            std::find(allowed_ranges_.begin(), allowed_ranges_.end(), range) == allowed_ranges_.end())
          allowed_ranges_.push_back(range);
    boost::system::error_code ec;
    const ip::address literal = ip::make_address(lower, ec);
    if (!ec)
      if (const SpecialRange* range = special_range(literal);
          range && std::find(allowed_ranges_.begin(), allowed_ranges_.end(), range) == allowed_ranges_.end())
        allowed_ranges_.push_back(range);
    if (std::find(seed_hosts_.begin(), seed_hosts_.end(), lower) == seed_hosts_.end())
      seed_hosts_.push_back(std::move(lower));
  }
}

std::optional<std::string> AddressGuard::refusal(std::string_view host, const ip::address& address) const {
  const SpecialRange* range = special_range(address);
  if (range == nullptr) return std::nullopt;
  if (std::find(allowed_ranges_.begin(), allowed_ranges_.end(), range) != allowed_ranges_.end()) return std::nullopt;
  const std::string_view bare = bare_host(host);
  for (const auto& seed : seed_hosts_)
    if (ascii_iequals(seed, bare)) return std::nullopt;
  return "refused to connect to " + address.to_string() + " (" + std::string(range->name) +
         "); --allow-private allows it";
}

}  // namespace crawl
