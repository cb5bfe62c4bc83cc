#pragma once

// A hosted link (DOMAINS.md §4): a URL that opens one page without the API key — an invoice's share
// page, or a customer's checkout page where a card is added. The URL carries a token
// `<link id>.<secret>`; the document keeps only the SHA-256 of the secret, so the store never holds a
// working link. The id finds the document (its primary key: no lookup by a secret-derived column); the
// secret's hash is then compared in constant time. Rotating replaces the hash: the old URL stops
// working at once. One document per invoice (share) and per customer (checkout), found by parent_id.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/describe.hpp>

#include "billing/registry/document_kind.hpp"

namespace billhook::billing {

struct HostedLink {
  std::string id;
  std::string subject_id;   // the invoice shared, or the customer checking out
  std::string customer_id;
  std::string token_hash;   // hex SHA-256 of the secret; never shown
  int64_t expires_at = 0;   // unix seconds: the link answers 404 from this moment on
  int64_t created = 0;
  int64_t issued_at = 0;    // when the current secret was made (created, or the last rotation)
  bool operator==(const HostedLink&) const = default;
};
BOOST_DESCRIBE_STRUCT(HostedLink, (), (id, subject_id, customer_id, token_hash, expires_at, created, issued_at))

// An invoice's share link and a customer's checkout link: the same document, two kinds, so a token of
// one never opens the other's page.
extern const DocumentKind<HostedLink> kShareLinks;
extern const DocumentKind<HostedLink> kCheckoutLinks;

// 32 random bytes as hex: 256 bits, unguessable.
inline constexpr size_t kLinkSecretBytes = 32;
inline constexpr int64_t kMaxLinkDays = 365;

struct LinkToken {
  std::string link_id;
  std::string secret;
};

// `<link id>.<secret>`: what the URL carries.
std::string make_token(std::string_view link_id, std::string_view secret);
// nullopt unless `token` has that form (a hosted_link id, a dot, 64 lower-case hex digits).
std::optional<LinkToken> parse_token(std::string_view token);
// Whether `secret` opens `link` at `now_s`: its hash matches (compared in constant time) and the
// link has not expired.
bool admits(const HostedLink& link, std::string_view secret, int64_t now_s);

}  // namespace billhook::billing
