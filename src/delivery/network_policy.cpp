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

uint32_t ipv4_host_order(const IpAddress& ip) {
  uint32_t network_order = 0;
  std::memcpy(&network_order, ip.bytes.data(), 4);
  return ntohl(network_order);
}

struct Ipv4Rule {
  uint32_t network;  // host byte order
  int prefix_length;
  std::string_view label;
};

constexpr uint32_t ipv4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) { return a << 24 | b << 16 | c << 8 | d; }

// The first matching rule names the reason, so the single addresses come before the ranges holding them.
constexpr Ipv4Rule kIpv4Blocked[] = {
    {ipv4(169, 254, 169, 254), 32, "cloud metadata"},  // AWS, GCP, Azure, OpenStack, Oracle
    {ipv4(169, 254, 170, 2), 32, "cloud metadata"},    // AWS ECS task metadata
    {ipv4(100, 100, 100, 200), 32, "cloud metadata"},  // Alibaba Cloud
    {ipv4(0, 0, 0, 0), 32, "unspecified"},
    {ipv4(255, 255, 255, 255), 32, "broadcast"},
    {ipv4(0, 0, 0, 0), 8, "this network"},
    {ipv4(10, 0, 0, 0), 8, "private"},
    {ipv4(100, 64, 0, 0), 10, "carrier-grade NAT"},
    {ipv4(127, 0, 0, 0), 8, "loopback"},
    {ipv4(169, 254, 0, 0), 16, "link-local"},
    {ipv4(172, 16, 0, 0), 12, "private"},
    {ipv4(192, 0, 0, 0), 24, "IETF protocol assignments"},
    {ipv4(192, 168, 0, 0), 16, "private"},
    {ipv4(198, 18, 0, 0), 15, "benchmarking"},
    {ipv4(224, 0, 0, 0), 4, "multicast"},
    {ipv4(240, 0, 0, 0), 4, "reserved"},
};

std::optional<std::string_view> ipv4_block_label(const IpAddress& ip) {
  const uint32_t host = ipv4_host_order(ip);
  for (const Ipv4Rule& rule : kIpv4Blocked) {
    const uint32_t mask = rule.prefix_length == 0 ? 0 : ~uint32_t{0} << (32 - rule.prefix_length);
    if ((host & mask) == rule.network) return rule.label;
  }
  return std::nullopt;
}

struct Ipv6Rule {
  std::array<uint8_t, 16> network;
  int prefix_length;
  std::string_view label;
};

const std::vector<Ipv6Rule>& ipv6_blocked() {
  static const std::vector<Ipv6Rule> rules = [] {
    const std::pair<std::string_view, std::string_view> table[] = {
        {"::/128", "unspecified"},
        {"::1/128", "loopback"},
        {"fd00:ec2::254/128", "cloud metadata"},  // AWS IMDS over IPv6; inside fc00::/7, so first
        {"fc00::/7", "unique local"},
        {"fe80::/10", "link-local"},
        {"fec0::/10", "site-local"},  // deprecated (RFC 3879) but still routed by some stacks
        {"ff00::/8", "multicast"},
    };
    std::vector<Ipv6Rule> out;
    for (const auto& [text, label] : table) {
      const Cidr network = parse_cidr(text).value();
      out.push_back({network.address, network.prefix_length, label});
    }
    return out;
  }();
  return rules;
}

std::optional<std::string_view> ipv6_block_label(const IpAddress& ip) {
  for (const Ipv6Rule& rule : ipv6_blocked()) {
    if (same_prefix(rule.network, ip.bytes, rule.prefix_length)) return rule.label;
  }
  return std::nullopt;
}

// The IPv4 address an IPv6 address stands for, if it is one of the forms that carry one. A
// connection to any of them can end up at that IPv4 address, so it must be judged as that address.
std::optional<IpAddress> embedded_ipv4(const IpAddress& ip) {
  const auto& b = ip.bytes;
  auto v4_from = [&](size_t offset) {
    IpAddress v4;
    std::memcpy(v4.bytes.data(), b.data() + offset, 4);
    return v4;
  };
  static constexpr std::array<uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  static constexpr std::array<uint8_t, 12> kCompatiblePrefix = {};
  static constexpr std::array<uint8_t, 12> kNat64Prefix = {0, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(b.data(), kMappedPrefix.data(), 12) == 0) return v4_from(12);
  if (std::memcmp(b.data(), kNat64Prefix.data(), 12) == 0) return v4_from(12);
  if (std::memcmp(b.data(), kCompatiblePrefix.data(), 12) == 0) {
    // :: and ::1 are not IPv4-compatible addresses but the IPv6 unspecified and loopback ones.
    const bool unspecified_or_loopback = b[12] == 0 && b[13] == 0 && b[14] == 0 && b[15] <= 1;
    if (!unspecified_or_loopback) return v4_from(12);
    return std::nullopt;
  }
  if (b[0] == 0x20 && b[1] == 0x02) return v4_from(2);  // 6to4: 2002:AABB:CCDD::/48
  return std::nullopt;
}

AddressCheck judge(const std::vector<Cidr>& allowed, const IpAddress& ip) {
  const std::string text = format_ip(ip);
  std::string reason;
  bool blocked = false;
  if (ip.family == IpFamily::v6) {
    if (const std::optional<IpAddress> v4 = embedded_ipv4(ip)) {
      // Judged as the IPv4 address, allow-list included: allowing 127.0.0.0/8 allows ::ffff:127.0.0.1.
      const AddressCheck inner = judge(allowed, *v4);
      reason = inner.reason + " (in " + text + ")";
      if (inner.verdict == AddressVerdict::allowed) return {AddressVerdict::allowed, std::move(reason)};
      blocked = true;
    } else if (const auto label = ipv6_block_label(ip)) {
      reason = std::string(*label) + " " + text;
      blocked = true;
    }
  } else if (const auto label = ipv4_block_label(ip)) {
    reason = std::string(*label) + " " + text;
    blocked = true;
  }
  if (!blocked) return {AddressVerdict::allowed, "public " + text};
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
