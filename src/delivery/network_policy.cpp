#include "delivery/network_policy.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <optional>
#include <utility>

#include "core/text.hpp"

namespace billhook::delivery {
namespace {

struct IpAddress {
  IpFamily family = IpFamily::v4;
  std::array<uint8_t, 16> bytes{};  // network byte order; IPv4 uses the first 4
};

int max_prefix(IpFamily family) { return family == IpFamily::v4 ? 32 : 128; }

std::optional<IpAddress> parse_ip(std::string_view text) {
  // inet_pton needs a NUL-terminated string, and an embedded NUL must not cut the text short.
  if (text.empty() || text.find('\0') != std::string_view::npos) return std::nullopt;
  const std::string copy(text);
  IpAddress ip;
  if (copy.find(':') != std::string::npos) {
    in6_addr a6{};
    if (inet_pton(AF_INET6, copy.c_str(), &a6) != 1) return std::nullopt;
    ip.family = IpFamily::v6;
    std::memcpy(ip.bytes.data(), a6.s6_addr, 16);
  } else {
    in_addr a4{};
    if (inet_pton(AF_INET, copy.c_str(), &a4) != 1) return std::nullopt;
    ip.family = IpFamily::v4;
    std::memcpy(ip.bytes.data(), &a4, 4);
  }
  return ip;
}

std::string format_ip(IpFamily family, const std::array<uint8_t, 16>& bytes) {
  char buffer[INET6_ADDRSTRLEN] = {};
  const int af = family == IpFamily::v4 ? AF_INET : AF_INET6;
  if (inet_ntop(af, bytes.data(), buffer, sizeof buffer) == nullptr) return "?";
  return buffer;
}

std::string format_ip(const IpAddress& ip) { return format_ip(ip.family, ip.bytes); }

// Whether the first `bits` bits of `a` and `b` agree.
bool same_prefix(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b, int bits) {
  const auto whole = static_cast<size_t>(bits / 8);
  if (std::memcmp(a.data(), b.data(), whole) != 0) return false;
  const int rest = bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

bool contains(const Cidr& network, const IpAddress& ip) {
  return network.family == ip.family && same_prefix(network.address, ip.bytes, network.prefix_length);
}

const Cidr* find_allowing(const std::vector<Cidr>& allowed, const IpAddress& ip) {
  for (const Cidr& network : allowed) {
    if (contains(network, ip)) return &network;
  }
  return nullptr;
}

// How a special-purpose range is treated: refused outright, or judged as the IPv4 address it carries.
enum class Handling { block, embedded_ipv4 };

struct RangeEntry {
  std::string_view network;
  std::string_view label;  // the reason's words: "private 10.0.0.5"
  std::string_view source;  // the RFC (or the provider) that defines the range
  Handling handling = Handling::block;
  size_t ipv4_offset = 0;  // where the IPv4 address sits in the 16 bytes, for Handling::embedded_ipv4
};

// Every address a delivery may not reach by default, IPv4 and IPv6, from the IANA IPv4 and IPv6
// Special-Purpose Address Registries (RFC 6890) plus the cloud metadata addresses. The first entry that
// contains an address decides, so single addresses and narrower ranges come before the ranges holding
// them. Ranges the registries mark globally reachable (AS112, AMT, anycast services) are left public,
// except inside the two "IETF protocol assignments" blocks, which are refused whole: no webhook lives there.
constexpr RangeEntry kRanges[] = {
    // IPv4
    {"169.254.169.254/32", "cloud metadata", "AWS, GCP, Azure, OpenStack, Oracle"},
    {"169.254.170.2/32", "cloud metadata", "AWS ECS task metadata"},
    {"100.100.100.200/32", "cloud metadata", "Alibaba Cloud"},
    {"0.0.0.0/32", "unspecified", "RFC 1122"},
    {"255.255.255.255/32", "broadcast", "RFC 919"},
    {"0.0.0.0/8", "this network", "RFC 791"},
    {"10.0.0.0/8", "private", "RFC 1918"},
    {"100.64.0.0/10", "carrier-grade NAT", "RFC 6598"},
    {"127.0.0.0/8", "loopback", "RFC 1122"},
    {"169.254.0.0/16", "link-local", "RFC 3927"},
    {"172.16.0.0/12", "private", "RFC 1918"},
    {"192.0.0.0/24", "IETF protocol assignments", "RFC 6890"},  // DS-Lite, NAT64 discovery, dummy, anycast
    {"192.0.2.0/24", "documentation", "RFC 5737"},              // TEST-NET-1
    {"192.88.99.0/24", "6to4 relay anycast", "RFC 7526"},       // deprecated
    {"192.168.0.0/16", "private", "RFC 1918"},
    {"198.18.0.0/15", "benchmarking", "RFC 2544"},
    {"198.51.100.0/24", "documentation", "RFC 5737"},  // TEST-NET-2
    {"203.0.113.0/24", "documentation", "RFC 5737"},   // TEST-NET-3
    {"224.0.0.0/4", "multicast", "RFC 5771"},
    {"240.0.0.0/4", "reserved", "RFC 1112"},
    // IPv6
    {"::/128", "unspecified", "RFC 4291"},
    {"::1/128", "loopback", "RFC 4291"},
    {"::ffff:0:0/96", "IPv4-mapped", "RFC 4291", Handling::embedded_ipv4, 12},
    {"::ffff:0:0:0/96", "IPv4-translated", "RFC 2765", Handling::embedded_ipv4, 12},
    {"::/96", "IPv4-compatible", "RFC 4291 (deprecated)", Handling::embedded_ipv4, 12},  // after :: and ::1
    {"64:ff9b::/96", "NAT64", "RFC 6052", Handling::embedded_ipv4, 12},
    {"64:ff9b:1::/48", "local-use NAT64", "RFC 8215"},  // its IPv4 mapping is the operator's, unknown here
    {"100::/64", "discard-only", "RFC 6666"},
    {"100:0:0:1::/64", "dummy prefix", "RFC 9780"},
    {"2001::/32", "Teredo", "RFC 4380"},  // tunnels to an IPv4 address we cannot judge
    {"2001:2::/48", "benchmarking", "RFC 5180"},
    {"2001:10::/28", "ORCHID", "RFC 4843 (deprecated)"},
    {"2001::/23", "IETF protocol assignments", "RFC 2928"},
    {"2001:db8::/32", "documentation", "RFC 3849"},
    {"2002::/16", "6to4", "RFC 3056", Handling::embedded_ipv4, 2},  // 2002:AABB:CCDD::/48
    {"3fff::/20", "documentation", "RFC 9637"},
    {"5f00::/16", "segment routing SIDs", "RFC 9602"},
    {"fd00:ec2::254/128", "cloud metadata", "AWS IMDS over IPv6"},  // inside fc00::/7, so first
    {"fc00::/7", "unique local", "RFC 4193"},
    {"fe80::/10", "link-local", "RFC 4291"},
    {"fec0::/10", "site-local", "RFC 3879 (deprecated, still routed by some stacks)"},
    {"ff00::/8", "multicast", "RFC 4291"},
};

struct ParsedRange {
  SpecialPurposeRange range;
  size_t ipv4_offset = 0;
};

const std::vector<ParsedRange>& parsed_ranges() {
  static const std::vector<ParsedRange> ranges = [] {
    std::vector<ParsedRange> out;
    for (const RangeEntry& entry : kRanges) {
      const bool embeds = entry.handling == Handling::embedded_ipv4;
      out.push_back({{parse_cidr(entry.network).value(), entry.label, entry.source, embeds}, entry.ipv4_offset});
    }
    return out;
  }();
  return ranges;
}

const ParsedRange* find_range(const IpAddress& ip) {
  for (const ParsedRange& parsed : parsed_ranges()) {
    if (contains(parsed.range.network, ip)) return &parsed;
  }
  return nullptr;
}

AddressCheck judge(const std::vector<Cidr>& allowed, const IpAddress& ip) {
  const std::string text = format_ip(ip);
  const ParsedRange* range = find_range(ip);
  if (range == nullptr) return {AddressVerdict::allowed, "public " + text};
  std::string reason;
  if (range->range.embeds_ipv4) {
    // A connection to this address can end up at the IPv4 address it carries, so it is judged as that
    // address, allow-list included: allowing 127.0.0.0/8 allows ::ffff:127.0.0.1.
    IpAddress v4;
    std::memcpy(v4.bytes.data(), ip.bytes.data() + range->ipv4_offset, 4);
    const AddressCheck inner = judge(allowed, v4);
    reason = inner.reason + " (in " + text + ")";
    if (inner.verdict == AddressVerdict::allowed) return {AddressVerdict::allowed, std::move(reason)};
  } else {
    reason = std::string(range->range.label) + " " + text;
  }
  if (const Cidr* network = find_allowing(allowed, ip)) {
    return {AddressVerdict::allowed, reason + " allowed by " + network->to_string()};
  }
  return {AddressVerdict::blocked, std::move(reason)};
}

core::Error cidr_error(std::string_view text, std::string_view why) {
  return core::Error::invalid("invalid_cidr",
                              "\"" + std::string(text) + "\" is not a network such as 10.0.0.0/8 or ::1/128: " +
                                  std::string(why));
}

}  // namespace

std::vector<SpecialPurposeRange> special_purpose_ranges() {
  std::vector<SpecialPurposeRange> out;
  for (const ParsedRange& parsed : parsed_ranges()) out.push_back(parsed.range);
  return out;
}

std::string Cidr::to_string() const { return format_ip(family, address) + "/" + std::to_string(prefix_length); }

core::Result<Cidr> parse_cidr(std::string_view text) {
  const size_t slash = text.find('/');
  const std::string_view address_text = text.substr(0, slash);
  const std::optional<IpAddress> ip = parse_ip(address_text);
  if (!ip) {
    return cidr_error(text, "\"" + std::string(address_text) + "\" is not an IPv4 or IPv6 address");
  }
  const int max = max_prefix(ip->family);
  unsigned prefix_length = static_cast<unsigned>(max);
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    const char* end = digits.data() + digits.size();
    // Unsigned, so that from_chars refuses a sign; a trailing non-digit leaves ptr short of end.
    const auto [ptr, ec] = std::from_chars(digits.data(), end, prefix_length);
    if (digits.empty() || ec != std::errc() || ptr != end || prefix_length > static_cast<unsigned>(max)) {
      return cidr_error(text, "the prefix length must be a number from 0 to " + std::to_string(max) + " for " +
                                  (ip->family == IpFamily::v4 ? "IPv4" : "IPv6"));
    }
  }
  Cidr network{ip->family, {}, static_cast<int>(prefix_length)};
  // Keep the network bits, so that a set host bit shows as a difference below.
  for (unsigned bit = 0; bit < prefix_length; ++bit) {
    const auto index = static_cast<size_t>(bit / 8);
    const auto mask = static_cast<uint8_t>(0x80 >> (bit % 8));
    network.address[index] = static_cast<uint8_t>(network.address[index] | (ip->bytes[index] & mask));
  }
  if (network.address != ip->bytes) {
    return cidr_error(text, "it has address bits set after the first " + std::to_string(prefix_length) +
                                "; did you mean " + network.to_string() + "?");
  }
  return network;
}

core::Result<std::vector<Cidr>> parse_cidr_list(std::string_view comma_separated) {
  std::vector<Cidr> out;
  if (core::trim_blanks(comma_separated).empty()) return out;
  size_t start = 0;
  int index = 1;
  while (true) {
    const size_t comma = comma_separated.find(',', start);
    const std::string_view entry = core::trim_blanks(comma_separated.substr(start, comma - start));
    if (entry.empty()) {
      return core::Error::invalid("invalid_cidr", "entry " + std::to_string(index) + " of the network list \"" +
                                                      std::string(comma_separated) + "\" is empty");
    }
    core::Result<Cidr> network = parse_cidr(entry);
    if (!network) return std::move(network).error();
    out.push_back(*network);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
    ++index;
  }
  return out;
}

NetworkPolicy::NetworkPolicy(std::vector<Cidr> allowed) : allowed_(std::move(allowed)) {}

AddressCheck NetworkPolicy::check(const sockaddr* addr) const {
  if (addr == nullptr) return {AddressVerdict::blocked, "no address"};
  IpAddress ip;
  // memcpy rather than a cast: the caller's storage need not be aligned for the larger struct.
  switch (addr->sa_family) {
    case AF_INET: {
      sockaddr_in in4{};
      std::memcpy(&in4, addr, sizeof in4);
      ip.family = IpFamily::v4;
      std::memcpy(ip.bytes.data(), &in4.sin_addr, 4);
      break;
    }
    case AF_INET6: {
      sockaddr_in6 in6{};
      std::memcpy(&in6, addr, sizeof in6);
      ip.family = IpFamily::v6;
      std::memcpy(ip.bytes.data(), in6.sin6_addr.s6_addr, 16);
      break;
    }
    default:
      return {AddressVerdict::blocked, "not an IP address (address family " + std::to_string(addr->sa_family) + ")"};
  }
  return judge(allowed_, ip);
}

AddressCheck NetworkPolicy::check(std::string_view ip_literal) const {
  const std::optional<IpAddress> ip = parse_ip(ip_literal);
  if (!ip) return {AddressVerdict::blocked, "not an IP address: \"" + std::string(ip_literal) + "\""};
  return judge(allowed_, *ip);
}

}  // namespace billhook::delivery
