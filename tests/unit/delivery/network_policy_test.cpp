#include "delivery/network_policy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace billhook::delivery {
namespace {

Cidr cidr(std::string_view text) {
  core::Result<Cidr> parsed = parse_cidr(text);
  EXPECT_TRUE(parsed.ok()) << text << ": " << (parsed.ok() ? "" : parsed.error().message);
  return parsed.ok() ? *parsed : Cidr{};
}

NetworkPolicy allowing(std::string_view list) {
  core::Result<std::vector<Cidr>> parsed = parse_cidr_list(list);
  EXPECT_TRUE(parsed.ok()) << list;
  return NetworkPolicy(parsed.ok() ? *parsed : std::vector<Cidr>{});
}

::testing::AssertionResult is_blocked(const NetworkPolicy& policy, std::string_view ip) {
  const AddressCheck check = policy.check(ip);
  if (check.verdict == AddressVerdict::blocked) return ::testing::AssertionSuccess() << check.reason;
  return ::testing::AssertionFailure() << ip << " was allowed: " << check.reason;
}

::testing::AssertionResult is_allowed(const NetworkPolicy& policy, std::string_view ip) {
  const AddressCheck check = policy.check(ip);
  if (check.verdict == AddressVerdict::allowed) return ::testing::AssertionSuccess() << check.reason;
  return ::testing::AssertionFailure() << ip << " was blocked: " << check.reason;
}

// --- parse_cidr -------------------------------------------------------------------------------

TEST(ParseCidr, Ipv4Network) {
  const Cidr c = cidr("127.0.0.0/8");
  EXPECT_EQ(c.family, IpFamily::v4);
  EXPECT_EQ(c.prefix_length, 8);
  EXPECT_EQ(c.address[0], 127);
  EXPECT_EQ(c.address[1], 0);
  EXPECT_EQ(c.to_string(), "127.0.0.0/8");
}

TEST(ParseCidr, Ipv6Network) {
  const Cidr c = cidr("::1/128");
  EXPECT_EQ(c.family, IpFamily::v6);
  EXPECT_EQ(c.prefix_length, 128);
  EXPECT_EQ(c.address[15], 1);
  EXPECT_EQ(c.to_string(), "::1/128");
}

TEST(ParseCidr, BareAddressIsAHostNetwork) {
  EXPECT_EQ(cidr("10.1.2.3").prefix_length, 32);
  EXPECT_EQ(cidr("10.1.2.3").to_string(), "10.1.2.3/32");
  EXPECT_EQ(cidr("2001:db8::7").prefix_length, 128);
  EXPECT_EQ(cidr("2001:db8::7").to_string(), "2001:db8::7/128");
}

TEST(ParseCidr, ZeroPrefixIsEverything) {
  EXPECT_EQ(cidr("0.0.0.0/0").prefix_length, 0);
  EXPECT_EQ(cidr("::/0").prefix_length, 0);
}

TEST(ParseCidr, ToStringIsCanonical) {
  EXPECT_EQ(cidr("FC00:0000::/7").to_string(), "fc00::/7");
  EXPECT_EQ(cidr("fe80:0:0:0::/10").to_string(), "fe80::/10");
  EXPECT_EQ(cidr("::ffff:127.0.0.1").to_string(), "::ffff:127.0.0.1/128");
}

TEST(ParseCidr, NonByteAlignedPrefixes) {
  EXPECT_EQ(cidr("100.64.0.0/10").prefix_length, 10);
  EXPECT_EQ(cidr("172.16.0.0/12").prefix_length, 12);
  EXPECT_EQ(cidr("fc00::/7").prefix_length, 7);
  EXPECT_EQ(cidr("10.0.0.128/25").to_string(), "10.0.0.128/25");
}

TEST(ParseCidr, EqualityComparesFamilyAddressAndPrefix) {
  EXPECT_EQ(cidr("10.0.0.0/8"), cidr("10.0.0.0/8"));
  EXPECT_NE(cidr("10.0.0.0/8"), cidr("10.0.0.0/16"));
  EXPECT_NE(cidr("0.0.0.0/0"), cidr("::/0"));
}

TEST(ParseCidr, RefusesWhatIsNotANetwork) {
  for (std::string_view bad : {"", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/+8",
                               "10.0.0.0/8x", "10.0.0.0/ 8", " 10.0.0.0/8", "10.0.0.0/8 ", "10.0.0/8", "256.0.0.0/8",
                               "010.0.0.0/8", "127.1", "0x7f.0.0.1", "localhost", "1::2::3", "fe80::1%eth0/128",
                               "[::1]/128", "10.0.0.0/8/8", "10.0.0.0/99999999999999999999"}) {
    const core::Result<Cidr> parsed = parse_cidr(bad);
    ASSERT_FALSE(parsed.ok()) << "accepted \"" << bad << "\"";
    EXPECT_EQ(parsed.error().kind, core::ErrorKind::invalid_request);
    EXPECT_EQ(parsed.error().code, "invalid_cidr");
    EXPECT_NE(parsed.error().message.find("\"" + std::string(bad) + "\""), std::string::npos) << parsed.error().message;
  }
}

TEST(ParseCidr, RefusesAnEmbeddedNul) {
  EXPECT_FALSE(parse_cidr(std::string_view("10.0.0.0\0/8", 11)).ok());
  EXPECT_FALSE(parse_cidr(std::string_view("10.0.0.1\0junk", 13)).ok());
}

TEST(ParseCidr, ErrorsSayWhatIsWrong) {
  EXPECT_NE(parse_cidr("10.0.0.0/33").error().message.find("from 0 to 32 for IPv4"), std::string::npos);
  EXPECT_NE(parse_cidr("::/129").error().message.find("from 0 to 128 for IPv6"), std::string::npos);
  EXPECT_NE(parse_cidr("example.com/8").error().message.find("\"example.com\" is not an IPv4 or IPv6 address"),
            std::string::npos);
}

TEST(ParseCidr, RefusesHostBitsAndSuggestsTheNetwork) {
  const core::Result<Cidr> v4 = parse_cidr("10.1.2.3/8");
  ASSERT_FALSE(v4.ok());
  EXPECT_NE(v4.error().message.find("did you mean 10.0.0.0/8?"), std::string::npos) << v4.error().message;
  const core::Result<Cidr> v6 = parse_cidr("fd12::1/7");
  ASSERT_FALSE(v6.ok());
  EXPECT_NE(v6.error().message.find("did you mean fc00::/7?"), std::string::npos) << v6.error().message;
  // One bit past a non-byte-aligned prefix.
  EXPECT_FALSE(parse_cidr("100.96.0.0/10").ok());
  EXPECT_TRUE(parse_cidr("100.64.0.0/10").ok());
  EXPECT_FALSE(parse_cidr("10.0.0.1/31").ok());
  EXPECT_TRUE(parse_cidr("10.0.0.1/32").ok());
}

// --- parse_cidr_list --------------------------------------------------------------------------

TEST(ParseCidrList, EmptyAndBlankAreEmptyLists) {
  for (std::string_view empty : {"", " ", "\t ", "   "}) {
    const auto parsed = parse_cidr_list(empty);
    ASSERT_TRUE(parsed.ok()) << "\"" << empty << "\"";
    EXPECT_TRUE(parsed->empty());
  }
}

TEST(ParseCidrList, OneEntry) {
  const auto parsed = parse_cidr_list("127.0.0.0/8");
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0], cidr("127.0.0.0/8"));
}

TEST(ParseCidrList, SeveralEntriesInOrderWithBlanksAroundCommas) {
  const auto parsed = parse_cidr_list(" 127.0.0.0/8 ,::1/128,\t10.1.2.3 , fc00::/7 ");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->size(), 4u);
  EXPECT_EQ((*parsed)[0].to_string(), "127.0.0.0/8");
  EXPECT_EQ((*parsed)[1].to_string(), "::1/128");
  EXPECT_EQ((*parsed)[2].to_string(), "10.1.2.3/32");
  EXPECT_EQ((*parsed)[3].to_string(), "fc00::/7");
}

TEST(ParseCidrList, EmptyEntriesAreErrorsThatSayWhich) {
  const auto trailing = parse_cidr_list("127.0.0.0/8,");
  ASSERT_FALSE(trailing.ok());
  EXPECT_EQ(trailing.error().code, "invalid_cidr");
  EXPECT_NE(trailing.error().message.find("entry 2"), std::string::npos) << trailing.error().message;
  const auto middle = parse_cidr_list("127.0.0.0/8, ,::1/128");
  ASSERT_FALSE(middle.ok());
  EXPECT_NE(middle.error().message.find("entry 2"), std::string::npos);
  const auto leading = parse_cidr_list(",127.0.0.0/8");
  ASSERT_FALSE(leading.ok());
  EXPECT_NE(leading.error().message.find("entry 1"), std::string::npos);
  EXPECT_FALSE(parse_cidr_list(",").ok());
}

TEST(ParseCidrList, ABadEntryIsNamed) {
  const auto parsed = parse_cidr_list("127.0.0.0/8, 10.0.0.0/33, ::1/128");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().kind, core::ErrorKind::invalid_request);
  EXPECT_NE(parsed.error().message.find("\"10.0.0.0/33\""), std::string::npos) << parsed.error().message;
}

TEST(ParseCidrList, SemicolonsAreNotSeparators) { EXPECT_FALSE(parse_cidr_list("127.0.0.0/8;::1/128").ok()); }

// --- the default policy: IPv4 -----------------------------------------------------------------

struct Expectation {
  std::string_view ip;
  std::string_view reason;
};

TEST(NetworkPolicyDefault, BlocksEveryNonPublicIpv4RangeAtBothEnds) {
  const NetworkPolicy policy;
  const Expectation cases[] = {
      {"0.0.0.0", "unspecified 0.0.0.0"},
      {"0.0.0.1", "this network 0.0.0.1"},
      {"0.255.255.255", "this network 0.255.255.255"},
      {"10.0.0.0", "private 10.0.0.0"},
      {"10.0.0.5", "private 10.0.0.5"},
      {"10.255.255.255", "private 10.255.255.255"},
      {"100.64.0.0", "carrier-grade NAT 100.64.0.0"},
      {"100.127.255.255", "carrier-grade NAT 100.127.255.255"},
      {"127.0.0.0", "loopback 127.0.0.0"},
      {"127.0.0.1", "loopback 127.0.0.1"},
      {"127.255.255.255", "loopback 127.255.255.255"},
      {"169.254.0.0", "link-local 169.254.0.0"},
      {"169.254.169.254", "cloud metadata 169.254.169.254"},
      {"169.254.170.2", "cloud metadata 169.254.170.2"},
      {"169.254.255.255", "link-local 169.254.255.255"},
      {"100.100.100.200", "cloud metadata 100.100.100.200"},
      {"172.16.0.0", "private 172.16.0.0"},
      {"172.31.255.255", "private 172.31.255.255"},
      {"192.0.0.0", "IETF protocol assignments 192.0.0.0"},
      {"192.0.0.255", "IETF protocol assignments 192.0.0.255"},
      {"192.168.0.0", "private 192.168.0.0"},
      {"192.168.1.1", "private 192.168.1.1"},
      {"192.168.255.255", "private 192.168.255.255"},
      {"198.18.0.0", "benchmarking 198.18.0.0"},
      {"198.19.255.255", "benchmarking 198.19.255.255"},
      {"224.0.0.0", "multicast 224.0.0.0"},
      {"239.255.255.250", "multicast 239.255.255.250"},
      {"239.255.255.255", "multicast 239.255.255.255"},
      {"240.0.0.0", "reserved 240.0.0.0"},
      {"255.255.255.254", "reserved 255.255.255.254"},
      {"255.255.255.255", "broadcast 255.255.255.255"},
  };
  for (const auto& [ip, reason] : cases) {
    const AddressCheck check = policy.check(ip);
    EXPECT_EQ(check.verdict, AddressVerdict::blocked) << ip;
    EXPECT_EQ(check.reason, reason) << ip;
  }
}

TEST(NetworkPolicyDefault, AllowsPublicIpv4IncludingTheNeighboursOfEachBlockedRange) {
  const NetworkPolicy policy;
  for (std::string_view ip : {"1.0.0.0", "1.1.1.1", "8.8.8.8", "9.255.255.255", "11.0.0.0", "100.63.255.255",
                              "100.128.0.0", "126.255.255.255", "128.0.0.0", "169.253.255.255", "169.255.0.0",
                              "172.15.255.255", "172.32.0.0", "191.255.255.255", "192.0.1.0", "192.167.255.255",
                              "192.169.0.0", "198.17.255.255", "198.20.0.0", "223.255.255.255", "93.184.216.34"}) {
    EXPECT_TRUE(is_allowed(policy, ip));
  }
  EXPECT_EQ(policy.check("8.8.8.8").reason, "public 8.8.8.8");
}

// --- the default policy: IPv6 -----------------------------------------------------------------

TEST(NetworkPolicyDefault, BlocksNonPublicIpv6) {
  const NetworkPolicy policy;
  const Expectation cases[] = {
      {"::", "unspecified ::"},
      {"::1", "loopback ::1"},
      {"0:0:0:0:0:0:0:1", "loopback ::1"},
      {"fc00::", "unique local fc00::"},
      {"fd00::1", "unique local fd00::1"},
      {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "unique local fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"fd00:ec2::254", "cloud metadata fd00:ec2::254"},
      {"fe80::", "link-local fe80::"},
      {"fe80::1", "link-local fe80::1"},
      {"FE80::1", "link-local fe80::1"},
      {"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "link-local febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"fec0::1", "site-local fec0::1"},
      {"ff00::", "multicast ff00::"},
      {"ff02::1", "multicast ff02::1"},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "multicast ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
  };
  for (const auto& [ip, reason] : cases) {
    const AddressCheck check = policy.check(ip);
    EXPECT_EQ(check.verdict, AddressVerdict::blocked) << ip;
    EXPECT_EQ(check.reason, reason) << ip;
  }
}

TEST(NetworkPolicyDefault, AllowsPublicIpv6) {
  const NetworkPolicy policy;
  for (std::string_view ip : {"2001:4860:4860::8888", "2606:4700:4700::1111", "2a00:1450:4001:82b::200e", "2600::",
                              "2003::1", "64:ff9a::1"}) {
    EXPECT_TRUE(is_allowed(policy, ip));
  }
  EXPECT_EQ(policy.check("2001:4860:4860::8888").reason, "public 2001:4860:4860::8888");
}

// --- IPv6 addresses that carry an IPv4 one -----------------------------------------------------

TEST(NetworkPolicyEmbedded, Ipv4MappedIsJudgedAsItsIpv4Address) {
  const NetworkPolicy policy;
  const AddressCheck loopback = policy.check("::ffff:127.0.0.1");
  EXPECT_EQ(loopback.verdict, AddressVerdict::blocked);
  EXPECT_EQ(loopback.reason, "loopback 127.0.0.1 (in ::ffff:127.0.0.1)");
  EXPECT_EQ(policy.check("::ffff:169.254.169.254").reason, "cloud metadata 169.254.169.254 (in ::ffff:169.254.169.254)");
  EXPECT_TRUE(is_blocked(policy, "::ffff:10.0.0.5"));
  EXPECT_TRUE(is_blocked(policy, "::ffff:0.0.0.0"));
  EXPECT_TRUE(is_blocked(policy, "::ffff:7f00:1"));  // the same address written in hex
  EXPECT_TRUE(is_allowed(policy, "::ffff:8.8.8.8"));
  EXPECT_EQ(policy.check("::ffff:8.8.8.8").reason, "public 8.8.8.8 (in ::ffff:8.8.8.8)");
}

TEST(NetworkPolicyEmbedded, Ipv4CompatibleIsJudgedAsItsIpv4Address) {
  const NetworkPolicy policy;
  EXPECT_EQ(policy.check("::127.0.0.1").reason, "loopback 127.0.0.1 (in ::127.0.0.1)");
  EXPECT_TRUE(is_blocked(policy, "::10.0.0.1"));
  EXPECT_TRUE(is_blocked(policy, "::0.0.0.2"));
  EXPECT_TRUE(is_allowed(policy, "::8.8.8.8"));
  // :: and ::1 keep their IPv6 meaning.
  EXPECT_EQ(policy.check("::").reason, "unspecified ::");
  EXPECT_EQ(policy.check("::1").reason, "loopback ::1");
}

TEST(NetworkPolicyEmbedded, Nat64IsJudgedAsItsIpv4Address) {
  const NetworkPolicy policy;
  EXPECT_EQ(policy.check("64:ff9b::10.0.0.1").reason, "private 10.0.0.1 (in 64:ff9b::a00:1)");
  EXPECT_TRUE(is_blocked(policy, "64:ff9b::127.0.0.1"));
  EXPECT_TRUE(is_blocked(policy, "64:ff9b::a9fe:a9fe"));
  EXPECT_TRUE(is_allowed(policy, "64:ff9b::8.8.8.8"));
  // Only the /96 carries an address; one bit outside it is an ordinary address.
  EXPECT_TRUE(is_allowed(policy, "64:ff9b:0:0:0:1:7f00:1"));
}

TEST(NetworkPolicyEmbedded, SixToFourIsJudgedAsItsIpv4Address) {
  const NetworkPolicy policy;
  EXPECT_EQ(policy.check("2002:7f00:1::").reason, "loopback 127.0.0.1 (in 2002:7f00:1::)");
  EXPECT_EQ(policy.check("2002:a9fe:a9fe::1").reason, "cloud metadata 169.254.169.254 (in 2002:a9fe:a9fe::1)");
  EXPECT_TRUE(is_blocked(policy, "2002:c0a8:0101:5::1"));  // 192.168.1.1
  EXPECT_TRUE(is_allowed(policy, "2002:0808:0808::1"));
}

TEST(NetworkPolicyEmbedded, EveryIpv4VerdictCarriesOverToEveryEmbeddingForm) {
  const NetworkPolicy closed;
  const NetworkPolicy open = allowing("127.0.0.0/8, 10.0.0.0/8");
  for (int first = 0; first < 256; ++first) {
    for (std::string_view rest : {".0.0.0", ".64.0.1", ".168.1.1", ".254.169.254", ".255.255.255"}) {
      const std::string v4 = std::to_string(first) + std::string(rest);
      for (const NetworkPolicy* policy : {&closed, &open}) {
        const AddressVerdict expected = policy->check(v4).verdict;
        EXPECT_EQ(policy->check("::ffff:" + v4).verdict, expected) << v4;
        EXPECT_EQ(policy->check("64:ff9b::" + v4).verdict, expected) << v4;
        if (first != 0) {
          EXPECT_EQ(policy->check("::" + v4).verdict, expected) << v4;
        }
      }
    }
  }
}

// --- the special-purpose ranges added for issue 21 ----------------------------------------------

TEST(NetworkPolicySpecialPurpose, DocumentationAndBenchmarkingRangesAreBlockedAtBothEnds) {
  const NetworkPolicy policy;
  const Expectation cases[] = {
      {"192.0.2.0", "documentation 192.0.2.0"},
      {"192.0.2.255", "documentation 192.0.2.255"},
      {"198.51.100.0", "documentation 198.51.100.0"},
      {"198.51.100.255", "documentation 198.51.100.255"},
      {"203.0.113.0", "documentation 203.0.113.0"},
      {"203.0.113.255", "documentation 203.0.113.255"},
      {"192.88.99.1", "6to4 relay anycast 192.88.99.1"},
      {"2001:db8::", "documentation 2001:db8::"},
      {"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "documentation 2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"3fff::1", "documentation 3fff::1"},
      {"3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", "documentation 3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"2001:2::1", "benchmarking 2001:2::1"},
      {"2001:2:0:ffff:ffff:ffff:ffff:ffff", "benchmarking 2001:2:0:ffff:ffff:ffff:ffff:ffff"},
      {"2001:10::1", "ORCHID 2001:10::1"},
      {"2001:1::1", "IETF protocol assignments 2001:1::1"},
      {"2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", "IETF protocol assignments 2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"100::1", "discard-only 100::1"},
      {"100:0:0:1::1", "dummy prefix 100:0:0:1::1"},
      {"5f00::1", "segment routing SIDs 5f00::1"},
  };
  for (const auto& [ip, reason] : cases) {
    const AddressCheck check = policy.check(ip);
    EXPECT_EQ(check.verdict, AddressVerdict::blocked) << ip;
    EXPECT_EQ(check.reason, reason) << ip;
  }
}

TEST(NetworkPolicySpecialPurpose, TeredoIsBlockedWhateverItCarries) {
  const NetworkPolicy policy;
  // 2001:0:4136:e378:8000:63bf:3fff:fdd2, RFC 4380's example: server 65.54.227.120, a public client.
  EXPECT_EQ(policy.check("2001:0:4136:e378:8000:63bf:3fff:fdd2").reason,
            "Teredo 2001:0:4136:e378:8000:63bf:3fff:fdd2");
  EXPECT_TRUE(is_blocked(policy, "2001::"));
  EXPECT_TRUE(is_blocked(policy, "2001:0:ffff:ffff:ffff:ffff:ffff:ffff"));
}

TEST(NetworkPolicySpecialPurpose, LocalUseNat64IsBlockedAndTheWellKnownPrefixJudgedByItsIpv4) {
  const NetworkPolicy policy;
  // The local-use prefix's IPv4 mapping is the operator's own, so even a public-looking tail is refused.
  EXPECT_EQ(policy.check("64:ff9b:1::808:808").reason, "local-use NAT64 64:ff9b:1::808:808");
  EXPECT_TRUE(is_blocked(policy, "64:ff9b:1:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_TRUE(is_blocked(policy, "64:ff9b:1::7f00:1"));
  EXPECT_TRUE(is_allowed(policy, "64:ff9b::808:808"));
  EXPECT_TRUE(is_blocked(policy, "64:ff9b::c000:201"));  // 192.0.2.1, documentation
}

TEST(NetworkPolicySpecialPurpose, Ipv4TranslatedIsJudgedAsItsIpv4Address) {
  const NetworkPolicy policy;
  EXPECT_EQ(policy.check("::ffff:0:127.0.0.1").reason, "loopback 127.0.0.1 (in ::ffff:0:7f00:1)");
  EXPECT_EQ(policy.check("::ffff:0:169.254.169.254").reason,
            "cloud metadata 169.254.169.254 (in ::ffff:0:a9fe:a9fe)");
  EXPECT_TRUE(is_blocked(policy, "::ffff:0:10.0.0.1"));
  EXPECT_TRUE(is_allowed(policy, "::ffff:0:8.8.8.8"));
  EXPECT_EQ(policy.check("::ffff:0:8.8.8.8").reason, "public 8.8.8.8 (in ::ffff:0:808:808)");
  EXPECT_TRUE(is_allowed(allowing("127.0.0.0/8"), "::ffff:0:127.0.0.1"));
}

TEST(NetworkPolicySpecialPurpose, Ipv4MappedCarriesTheNewIpv4Ranges) {
  const NetworkPolicy policy;
  EXPECT_EQ(policy.check("::ffff:192.0.2.1").reason, "documentation 192.0.2.1 (in ::ffff:192.0.2.1)");
  EXPECT_TRUE(is_blocked(policy, "::ffff:198.51.100.7"));
  EXPECT_TRUE(is_blocked(policy, "::ffff:203.0.113.9"));
  EXPECT_TRUE(is_blocked(policy, "::ffff:198.18.0.1"));
  EXPECT_TRUE(is_blocked(policy, "2002:cb00:7101::1"));  // 6to4 of 203.0.113.1
}

TEST(NetworkPolicySpecialPurpose, NeighboursOfTheNewRangesStayPublic) {
  const NetworkPolicy policy;
  for (std::string_view ip :
       {"192.0.1.255", "192.0.3.0", "192.88.98.255", "192.88.100.0", "198.51.99.255", "198.51.101.0", "203.0.112.255",
        "203.0.114.0", "2001:200::1", "2001:db7:ffff::1", "2001:db9::1", "64:ff9b:2::1", "64:ff9b:0:ffff::1",
        "3ffe:ffff::1", "3fff:1000::1", "5eff:ffff::1", "5f01::1", "100:0:0:2::1", "::ffff:1:0:0:1"}) {
    EXPECT_TRUE(is_allowed(policy, ip));
  }
}

TEST(NetworkPolicySpecialPurpose, EveryRowOfTheTableIsBlockedAtBothEndsAndNamesItsSource) {
  const NetworkPolicy policy;
  const std::vector<SpecialPurposeRange> ranges = special_purpose_ranges();
  ASSERT_GE(ranges.size(), 40u);
  for (const SpecialPurposeRange& range : ranges) {
    const std::string name = range.network.to_string();
    EXPECT_FALSE(range.source.empty()) << name;
    EXPECT_FALSE(range.label.empty()) << name;
    std::array<uint8_t, 16> last = range.network.address;
    const int width = range.network.family == IpFamily::v4 ? 32 : 128;
    for (int bit = range.network.prefix_length; bit < width; ++bit) {
      last[static_cast<size_t>(bit / 8)] |= static_cast<uint8_t>(0x80 >> (bit % 8));
    }
    for (const std::array<uint8_t, 16>& bytes : {range.network.address, last}) {
      char text[INET6_ADDRSTRLEN] = {};
      ASSERT_NE(inet_ntop(range.network.family == IpFamily::v4 ? AF_INET : AF_INET6, bytes.data(), text, sizeof text),
                nullptr);
      EXPECT_TRUE(is_blocked(policy, text)) << "in " << name;
      // Naming the row's network on the allow-list lets its addresses through.
      EXPECT_TRUE(is_allowed(NetworkPolicy({range.network}), text)) << "in " << name;
    }
    if (!range.embeds_ipv4) {
      // The row itself decides for its own network address unless a narrower row before it does.
      char text[INET6_ADDRSTRLEN] = {};
      inet_ntop(range.network.family == IpFamily::v4 ? AF_INET : AF_INET6, last.data(), text, sizeof text);
      const std::string reason = policy.check(text).reason;
      EXPECT_TRUE(reason.starts_with(std::string(range.label) + " ") ||
                  reason.starts_with("broadcast "))
          << name << ": " << reason;
    }
  }
}

TEST(NetworkPolicySpecialPurpose, TheTableCitesTheRfcOfEachRegistryRange) {
  for (const SpecialPurposeRange& range : special_purpose_ranges()) {
    if (range.label == "cloud metadata") continue;  // provider addresses, not from an RFC
    EXPECT_TRUE(range.source.starts_with("RFC ")) << range.network.to_string() << ": " << range.source;
  }
}

// --- the allow-list ----------------------------------------------------------------------------

TEST(NetworkPolicyAllowList, AllowsWhatItNamesAndNothingElse) {
  const NetworkPolicy policy = allowing("127.0.0.0/8");
  const AddressCheck check = policy.check("127.0.0.1");
  EXPECT_EQ(check.verdict, AddressVerdict::allowed);
  EXPECT_EQ(check.reason, "loopback 127.0.0.1 allowed by 127.0.0.0/8");
  EXPECT_TRUE(is_allowed(policy, "127.255.0.9"));
  EXPECT_TRUE(is_blocked(policy, "10.0.0.1"));
  EXPECT_TRUE(is_blocked(policy, "169.254.169.254"));
  EXPECT_TRUE(is_blocked(policy, "::1"));  // IPv4 networks say nothing about IPv6 loopback
}

TEST(NetworkPolicyAllowList, AllowingIpv4LoopbackAllowsItsMappedForm) {
  const NetworkPolicy policy = allowing("127.0.0.0/8");
  const AddressCheck check = policy.check("::ffff:127.0.0.1");
  EXPECT_EQ(check.verdict, AddressVerdict::allowed);
  EXPECT_EQ(check.reason, "loopback 127.0.0.1 allowed by 127.0.0.0/8 (in ::ffff:127.0.0.1)");
  EXPECT_TRUE(is_blocked(policy, "::ffff:10.0.0.1"));
}

TEST(NetworkPolicyAllowList, Ipv6LoopbackIsItsOwnEntry) {
  const NetworkPolicy policy = allowing("::1/128");
  EXPECT_EQ(policy.check("::1").reason, "loopback ::1 allowed by ::1/128");
  EXPECT_TRUE(is_blocked(policy, "127.0.0.1"));
  EXPECT_TRUE(is_blocked(policy, "::ffff:127.0.0.1"));
  EXPECT_TRUE(is_blocked(policy, "::2"));
}

TEST(NetworkPolicyAllowList, PartialNetworksStopAtTheirPrefix) {
  const NetworkPolicy policy = allowing("10.1.0.0/16, 172.16.0.0/13, fd00:1::/32");
  EXPECT_TRUE(is_allowed(policy, "10.1.0.0"));
  EXPECT_TRUE(is_allowed(policy, "10.1.255.255"));
  EXPECT_TRUE(is_blocked(policy, "10.0.255.255"));
  EXPECT_TRUE(is_blocked(policy, "10.2.0.0"));
  EXPECT_TRUE(is_allowed(policy, "172.23.255.255"));
  EXPECT_TRUE(is_blocked(policy, "172.24.0.0"));  // in 172.16.0.0/12, outside the allowed /13
  EXPECT_TRUE(is_allowed(policy, "fd00:1:ffff::1"));
  EXPECT_TRUE(is_blocked(policy, "fd00:2::1"));
}

TEST(NetworkPolicyAllowList, HostEntryAllowsExactlyThatHost) {
  const NetworkPolicy policy = allowing("169.254.169.254");
  EXPECT_EQ(policy.check("169.254.169.254").reason, "cloud metadata 169.254.169.254 allowed by 169.254.169.254/32");
  EXPECT_TRUE(is_blocked(policy, "169.254.169.253"));
  EXPECT_TRUE(is_blocked(policy, "169.254.169.255"));
}

TEST(NetworkPolicyAllowList, EverythingAllowsEveryAddressOfItsFamily) {
  const NetworkPolicy v4_only = allowing("0.0.0.0/0");
  for (std::string_view ip : {"0.0.0.0", "10.0.0.1", "127.0.0.1", "169.254.169.254", "255.255.255.255"}) {
    EXPECT_TRUE(is_allowed(v4_only, ip));
  }
  EXPECT_TRUE(is_blocked(v4_only, "::1"));
  EXPECT_TRUE(is_blocked(v4_only, "fe80::1"));
  const NetworkPolicy v6_only = allowing("::/0");
  EXPECT_TRUE(is_allowed(v6_only, "::1"));
  EXPECT_TRUE(is_allowed(v6_only, "fd00:ec2::254"));
  EXPECT_TRUE(is_allowed(v6_only, "::ffff:127.0.0.1"));  // the IPv6 form itself is named
  EXPECT_TRUE(is_blocked(v6_only, "127.0.0.1"));
}

TEST(NetworkPolicyAllowList, NamingTheMappedRangeAllowsOnlyTheMappedForms) {
  const NetworkPolicy policy = allowing("::ffff:0:0/96");
  EXPECT_EQ(policy.check("::ffff:10.0.0.1").reason, "private 10.0.0.1 (in ::ffff:10.0.0.1) allowed by ::ffff:0.0.0.0/96");
  EXPECT_TRUE(is_blocked(policy, "10.0.0.1"));
}

TEST(NetworkPolicyAllowList, DoesNotChangePublicVerdicts) {
  const NetworkPolicy policy = allowing("127.0.0.0/8");
  EXPECT_EQ(policy.check("8.8.8.8").reason, "public 8.8.8.8");
  EXPECT_TRUE(is_allowed(policy, "2001:4860:4860::8888"));
}

TEST(NetworkPolicyAllowList, KeepsTheListItWasGiven) {
  const NetworkPolicy policy = allowing("127.0.0.0/8,::1/128");
  ASSERT_EQ(policy.allowed().size(), 2u);
  EXPECT_EQ(policy.allowed()[1].to_string(), "::1/128");
}

// --- literals that are not addresses -------------------------------------------------------------

TEST(NetworkPolicyLiteral, AnythingButAnAddressIsBlocked) {
  const NetworkPolicy policy = allowing("0.0.0.0/0, ::/0");
  for (std::string_view bad : {"", "localhost", "example.com", "127.1", "0x7f000001", "2130706433", "[::1]",
                               " 8.8.8.8", "8.8.8.8 ", "8.8.8.8:80", "fe80::1%eth0", "1.2.3.4/32"}) {
    const AddressCheck check = policy.check(bad);
    EXPECT_EQ(check.verdict, AddressVerdict::blocked) << bad;
    EXPECT_EQ(check.reason, "not an IP address: \"" + std::string(bad) + "\"") << bad;
  }
  EXPECT_EQ(policy.check(std::string_view("8.8.8.8\0", 8)).verdict, AddressVerdict::blocked);
}

// --- socket addresses -------------------------------------------------------------------------------

sockaddr_in ipv4_socket_address(const char* ip, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  EXPECT_EQ(inet_pton(AF_INET, ip, &sa.sin_addr), 1) << ip;
  return sa;
}

sockaddr_in6 ipv6_socket_address(const char* ip, uint16_t port) {
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_port = htons(port);
  EXPECT_EQ(inet_pton(AF_INET6, ip, &sa.sin6_addr), 1) << ip;
  return sa;
}

TEST(NetworkPolicySocketAddress, Ipv4) {
  const NetworkPolicy policy;
  const sockaddr_in loopback = ipv4_socket_address("127.0.0.1", 8080);
  const AddressCheck check = policy.check(reinterpret_cast<const sockaddr*>(&loopback));
  EXPECT_EQ(check.verdict, AddressVerdict::blocked);
  EXPECT_EQ(check.reason, "loopback 127.0.0.1");
  const sockaddr_in metadata = ipv4_socket_address("169.254.169.254", 80);
  EXPECT_EQ(policy.check(reinterpret_cast<const sockaddr*>(&metadata)).reason, "cloud metadata 169.254.169.254");
  const sockaddr_in public_address = ipv4_socket_address("8.8.8.8", 443);
  EXPECT_EQ(policy.check(reinterpret_cast<const sockaddr*>(&public_address)).verdict, AddressVerdict::allowed);
}

TEST(NetworkPolicySocketAddress, Ipv4BuiltFromHostOrderConstants) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(NetworkPolicy().check(reinterpret_cast<const sockaddr*>(&sa)).reason, "loopback 127.0.0.1");
  sa.sin_addr.s_addr = htonl(INADDR_ANY);
  EXPECT_EQ(NetworkPolicy().check(reinterpret_cast<const sockaddr*>(&sa)).reason, "unspecified 0.0.0.0");
  sa.sin_addr.s_addr = htonl(INADDR_BROADCAST);
  EXPECT_EQ(NetworkPolicy().check(reinterpret_cast<const sockaddr*>(&sa)).reason, "broadcast 255.255.255.255");
}

TEST(NetworkPolicySocketAddress, Ipv6) {
  const NetworkPolicy policy;
  sockaddr_in6 loopback{};
  loopback.sin6_family = AF_INET6;
  loopback.sin6_addr = in6addr_loopback;
  EXPECT_EQ(policy.check(reinterpret_cast<const sockaddr*>(&loopback)).reason, "loopback ::1");
  sockaddr_in6 link_local = ipv6_socket_address("fe80::1", 80);
  link_local.sin6_scope_id = 2;
  EXPECT_EQ(policy.check(reinterpret_cast<const sockaddr*>(&link_local)).reason, "link-local fe80::1");
  const sockaddr_in6 mapped = ipv6_socket_address("::ffff:127.0.0.1", 80);
  EXPECT_EQ(policy.check(reinterpret_cast<const sockaddr*>(&mapped)).verdict, AddressVerdict::blocked);
  const sockaddr_in6 public_address = ipv6_socket_address("2001:4860:4860::8888", 443);
  EXPECT_EQ(policy.check(reinterpret_cast<const sockaddr*>(&public_address)).verdict, AddressVerdict::allowed);
}

TEST(NetworkPolicySocketAddress, AllowListAppliesToSocketAddresses) {
  const NetworkPolicy policy = allowing("127.0.0.0/8, ::1/128");
  const sockaddr_in v4 = ipv4_socket_address("127.0.0.1", 9);
  const sockaddr_in6 v6 = ipv6_socket_address("::1", 9);
  const sockaddr_in6 mapped = ipv6_socket_address("::ffff:127.0.0.1", 9);
  EXPECT_EQ(policy.check(reinterpret_cast<const sockaddr*>(&v4)).verdict, AddressVerdict::allowed);
  EXPECT_EQ(policy.check(reinterpret_cast<const sockaddr*>(&v6)).verdict, AddressVerdict::allowed);
  EXPECT_EQ(policy.check(reinterpret_cast<const sockaddr*>(&mapped)).verdict, AddressVerdict::allowed);
}

TEST(NetworkPolicySocketAddress, FromSockaddrStorage) {
  // What getaddrinfo and accept hand over: the address inside a sockaddr_storage.
  sockaddr_storage storage{};
  const sockaddr_in6 private_address = ipv6_socket_address("fd12:3456::1", 443);
  std::memcpy(&storage, &private_address, sizeof private_address);
  EXPECT_EQ(NetworkPolicy().check(reinterpret_cast<const sockaddr*>(&storage)).reason, "unique local fd12:3456::1");
}

TEST(NetworkPolicySocketAddress, OtherFamiliesAndNullAreBlocked) {
  const NetworkPolicy policy = allowing("0.0.0.0/0, ::/0");
  sockaddr_un unix_socket{};
  unix_socket.sun_family = AF_UNIX;
  const AddressCheck check = policy.check(reinterpret_cast<const sockaddr*>(&unix_socket));
  EXPECT_EQ(check.verdict, AddressVerdict::blocked);
  EXPECT_EQ(check.reason, "not an IP address (address family " + std::to_string(AF_UNIX) + ")");
  sockaddr_storage unspecified{};
  EXPECT_EQ(policy.check(reinterpret_cast<const sockaddr*>(&unspecified)).verdict, AddressVerdict::blocked);
  EXPECT_EQ(policy.check(static_cast<const sockaddr*>(nullptr)).verdict, AddressVerdict::blocked);
  EXPECT_EQ(policy.check(static_cast<const sockaddr*>(nullptr)).reason, "no address");
}

}  // namespace
}  // namespace billhook::delivery
