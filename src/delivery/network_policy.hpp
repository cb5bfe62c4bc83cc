#pragma once

// The SSRF guard's decision: may a delivery connect to this address? Pure; the HTTP client calls
// `check` on every address it is about to connect to (after DNS, so a name that resolves to a
// private address is caught too).

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace billhook::delivery {

enum class IpFamily { v4, v6 };

// An IPv4 or IPv6 network, e.g. 127.0.0.0/8 or ::1/128. Host bits are always zero.
struct Cidr {
  IpFamily family = IpFamily::v4;
  // Network byte order; an IPv4 network uses the first 4 bytes, the rest stay zero.
  std::array<uint8_t, 16> address{};
  int prefix_length = 0;

  // Canonical text, e.g. "10.0.0.0/8", "fc00::/7".
  std::string to_string() const;
  bool operator==(const Cidr&) const = default;
};

// "127.0.0.0/8", "::1/128", or a bare address ("10.1.2.3" is 10.1.2.3/32). Refuses host bits set
// below the prefix ("10.1.2.3/8"), since such an entry usually means a different network than written.
core::Result<Cidr> parse_cidr(std::string_view text);

// "127.0.0.0/8, ::1/128": entries separated by commas, spaces allowed around them. An empty (or
// all-blank) string is an empty list; an empty entry between commas is an error.
core::Result<std::vector<Cidr>> parse_cidr_list(std::string_view comma_separated);

// One row of the table of special-purpose ranges the guard refuses (IANA's IPv4 and IPv6 Special-Purpose
// Address Registries, and the cloud metadata addresses). Exposed so that tests can check every row.
struct SpecialPurposeRange {
  Cidr network;
  std::string_view label;   // the reason's first words: "documentation 192.0.2.1"
  std::string_view source;  // the RFC that defines it, e.g. "RFC 5737"
  // An IPv6 range that carries an IPv4 address (IPv4-mapped, -translated, -compatible, NAT64 64:ff9b::/96,
  // 6to4) is judged as that IPv4 address rather than refused outright.
  bool embeds_ipv4 = false;
};

// The table, in the order it is searched (the first range containing an address decides).
std::vector<SpecialPurposeRange> special_purpose_ranges();

enum class AddressVerdict { allowed, blocked };

struct AddressCheck {
  AddressVerdict verdict = AddressVerdict::blocked;
  // For the log: "loopback 127.0.0.1", "private 10.0.0.5", "cloud metadata 169.254.169.254",
  // "public 93.184.216.34", "loopback 127.0.0.1 allowed by 127.0.0.0/8".
  std::string reason;
};

// Refuses every address in `special_purpose_ranges()` (loopback, private, link-local, multicast,
// documentation, benchmarking, Teredo, local NAT64, cloud metadata, …) unless one of the `allowed`
// networks contains it. An IPv6 address that embeds an IPv4 one (IPv4-mapped, IPv4-translated,
// IPv4-compatible, NAT64 64:ff9b::/96, 6to4 2002::/16) is judged as that IPv4 address.
class NetworkPolicy {
 public:
  explicit NetworkPolicy(std::vector<Cidr> allowed = {});

  // `addr` is what a socket is about to connect to: a sockaddr_in or sockaddr_in6. Any other
  // family, or a null pointer, is blocked.
  AddressCheck check(const sockaddr* addr) const;
  // The same for an address literal ("10.0.0.5", "::1"); anything that is not one is blocked.
  AddressCheck check(std::string_view ip_literal) const;

  const std::vector<Cidr>& allowed() const { return allowed_; }

 private:
  std::vector<Cidr> allowed_;
};

}  // namespace billhook::delivery
