// The private-address guard's classifier and exemptions (fetch/address_guard.h),
// against the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890).
// Pure: nothing here connects anywhere, so any address may be listed.
#include "fetch/address_guard.h"

#include <gtest/gtest.h>

#include <string>

namespace crawl {
namespace {

namespace ip = boost::asio::ip;

struct Case {
  const char* address;
  const char* range;  // nullptr: globally reachable, allowed
};

TEST(SpecialRange, Rfc6890RegistriesTable) {
  const Case cases[] = {
      {"127.0.0.1", "loopback"},
      {"127.255.255.254", "loopback"},
      {"10.0.0.1", "private"},
      {"10.255.255.255", "private"},
      {"172.16.0.1", "private"},
      {"172.31.255.254", "private"},
      {"172.15.255.255", nullptr},  // just below 172.16/12
      {"172.32.0.0", nullptr},      // just above
      {"192.168.1.1", "private"},
      {"169.254.169.254", "link-local"},  // the cloud metadata service
      {"100.64.0.1", "shared address space (CGNAT)"},
      {"100.127.255.255", "shared address space (CGNAT)"},
      {"100.128.0.0", nullptr},
      {"0.0.0.0", "this network"},
      {"0.1.2.3", "this network"},
      {"224.0.0.1", "multicast"},
      {"239.255.255.250", "multicast"},
      {"255.255.255.255", "broadcast"},
      {"240.0.0.1", "reserved"},
      {"192.0.0.8", "IETF protocol assignments"},
      {"192.0.2.1", "documentation"},
      {"198.51.100.7", "documentation"},
      {"203.0.113.9", "documentation"},
      {"198.18.0.1", "benchmarking"},
      {"198.19.255.255", "benchmarking"},
      {"192.88.99.1", "6to4 relay anycast (deprecated)"},
      {"8.8.8.8", nullptr},
      {"1.1.1.1", nullptr},
      {"93.184.216.34", nullptr},
      {"::1", "loopback"},
      {"::", "unspecified"},
      {"fe80::1", "link-local"},
      {"febf::1", "link-local"},
      {"fec0::1", "site-local (deprecated)"},
      {"fc00::1", "unique-local"},
      {"fd12:3456::1", "unique-local"},
      {"ff02::1", "multicast"},
      {"2001:db8::1", "documentation"},
      {"3fff::1", "documentation"},
      {"100::1", "discard-only"},
      {"2001::1", "IETF protocol assignments"},  // Teredo, in 2001::/23
      {"5f00::1", "segment routing SIDs"},
      {"64:ff9b:1::1", "local-use NAT64"},
      // IPv4 inside IPv6: judged by the IPv4 address it leads to.
      {"::ffff:127.0.0.1", "loopback"},
      {"::ffff:169.254.169.254", "link-local"},
      {"::ffff:10.1.2.3", "private"},
      {"::ffff:8.8.8.8", nullptr},
      {"64:ff9b::7f00:1", "loopback"},    // NAT64 of 127.0.0.1
      {"64:ff9b::a00:1", "private"},      // NAT64 of 10.0.0.1
      {"64:ff9b::808:808", nullptr},      // NAT64 of 8.8.8.8
      {"2002:a9fe:a9fe::1", "link-local"},  // 6to4 of 169.254.169.254
      {"2002:808:808::1", nullptr},         // 6to4 of 8.8.8.8
      // Outside global unicast 2000::/3.
      {"::127.0.0.1", "reserved"},  // deprecated IPv4-compatible
      {"4000::1", "reserved"},
      {"2001:4860::8888", nullptr},
      {"2606:4700:4700::1111", nullptr},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.address);
    const SpecialRange* range = special_range(ip::make_address(c.address));
    if (c.range == nullptr) {
      EXPECT_EQ(range, nullptr) << (range ? std::string(range->block) : "");
    } else {
      ASSERT_NE(range, nullptr);
      EXPECT_EQ(range->name, c.range) << range->block;
    }
  }
}

TEST(AddressGuard, RefusesSpecialAddressesWithTheReason) {
  const AddressGuard guard({"http://example.com/"});
  EXPECT_EQ(guard.refusal("meta.test", ip::make_address("127.0.0.1")),
            "refused to connect to 127.0.0.1 (loopback); --allow-private allows it");
  EXPECT_EQ(guard.refusal("169.254.169.254", ip::make_address("169.254.169.254")),
            "refused to connect to 169.254.169.254 (link-local); --allow-private allows it");
  EXPECT_EQ(guard.refusal("[::1]", ip::make_address("::1")),
            "refused to connect to ::1 (loopback); --allow-private allows it");
  EXPECT_EQ(guard.refusal("other.example", ip::make_address("8.8.8.8")), std::nullopt);
  EXPECT_EQ(guard.refusal("other.example", ip::make_address("2001:4860::8888")), std::nullopt);
}

TEST(AddressGuard, SeedHostNamesAreAllowedWhateverTheyResolveTo) {
  const AddressGuard guard({"http://intranet.example:8080/start", "https://wiki.corp/"});
  EXPECT_EQ(guard.refusal("intranet.example", ip::make_address("10.1.2.3")), std::nullopt);
  EXPECT_EQ(guard.refusal("INTRANET.Example", ip::make_address("127.0.0.1")), std::nullopt) << "any case";
  EXPECT_EQ(guard.refusal("wiki.corp", ip::make_address("fd00::5")), std::nullopt);
  // Another name resolving to the very same address is not a seed host.
  EXPECT_NE(guard.refusal("evil.example", ip::make_address("10.1.2.3")), std::nullopt);
  EXPECT_NE(guard.refusal("sub.intranet.example", ip::make_address("10.1.2.3")), std::nullopt);
}

TEST(AddressGuard, ASeedIpLiteralAllowsItsWholeRangeOnly) {
  const AddressGuard guard({"http://127.0.0.1:8080/", "http://[fd00::1]/"});
  EXPECT_EQ(guard.refusal("127.0.0.2", ip::make_address("127.0.0.2")), std::nullopt);
  EXPECT_EQ(guard.refusal("localhost", ip::make_address("127.0.0.1")), std::nullopt);
  EXPECT_EQ(guard.refusal("[fd12::9]", ip::make_address("fd12::9")), std::nullopt);
  // Other ranges stay refused: loopback is not private, nor link-local.
  EXPECT_NE(guard.refusal("10.0.0.1", ip::make_address("10.0.0.1")), std::nullopt);
  EXPECT_NE(guard.refusal("169.254.169.254", ip::make_address("169.254.169.254")), std::nullopt);
  EXPECT_NE(guard.refusal("[::1]", ip::make_address("::1")), std::nullopt) << "IPv6 loopback is its own block";
  // Each RFC 1918 block is its own range.
  const AddressGuard ten({"http://10.0.0.5/"});
  EXPECT_EQ(ten.refusal("10.9.9.9", ip::make_address("10.9.9.9")), std::nullopt);
  EXPECT_NE(ten.refusal("192.168.0.1", ip::make_address("192.168.0.1")), std::nullopt);
}

// RFC 6761 6.3: names under "localhost" are loopback; a seed there allows
// loopback (IPv4 and IPv6) for other names, as a seed 127.0.0.1 would.
TEST(AddressGuard, ASeedUnderLocalhostAllowsLoopbackOnly) {
  const AddressGuard guard({"http://a.example.localhost:8080/"});
  EXPECT_EQ(guard.refusal("b.example.localhost", ip::make_address("127.0.0.1")), std::nullopt);
  EXPECT_EQ(guard.refusal("b.example.localhost", ip::make_address("::1")), std::nullopt);
  EXPECT_NE(guard.refusal("b.example.localhost", ip::make_address("10.0.0.1")), std::nullopt);
  const AddressGuard plain({"http://localhost/"});
  EXPECT_EQ(plain.refusal("127.0.0.9", ip::make_address("127.0.0.9")), std::nullopt);
  const AddressGuard not_local({"http://localhost.example/"});
  EXPECT_NE(not_local.refusal("other.test", ip::make_address("127.0.0.1")), std::nullopt);
}

}  // namespace
}  // namespace crawl
