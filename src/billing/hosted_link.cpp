#include "billing/hosted_link.hpp"

#include "core/crypto.hpp"

namespace billhook::billing {
namespace {

DocumentLookup link_lookup(const HostedLink& link) {
  return {.customer_id = link.customer_id, .parent_id = link.subject_id, .status = {}, .wake_at = std::nullopt};
}

bool is_lower_hex(std::string_view text) {
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

const DocumentKind<HostedLink> kShareLinks{.kind = "share_link",
                                           .noun = "share link",
                                           .id_kind = core::IdKind::hosted_link,
                                           .hidden_fields = {"token_hash"},
                                           .lookup = &link_lookup};
const DocumentKind<HostedLink> kCheckoutLinks{.kind = "checkout_link",
                                              .noun = "checkout link",
                                              .id_kind = core::IdKind::hosted_link,
                                              .hidden_fields = {"token_hash"},
                                              .lookup = &link_lookup};

std::string make_token(std::string_view link_id, std::string_view secret) {
  std::string token(link_id);
  token += '.';
  token += secret;
  return token;
}

std::optional<LinkToken> parse_token(std::string_view token) {
  const size_t dot = token.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const std::string_view id = token.substr(0, dot), secret = token.substr(dot + 1);
  if (!core::is_valid_id(core::IdKind::hosted_link, id)) return std::nullopt;
  if (secret.size() != 2 * kLinkSecretBytes || !is_lower_hex(secret)) return std::nullopt;
  return LinkToken{std::string(id), std::string(secret)};
}

bool admits(const HostedLink& link, std::string_view secret, int64_t now_s) {
  // Both sides are 64 hex characters, so only their content, never their length, could leak.
  const bool matches = core::constant_time_equal(core::sha256_hex(secret), link.token_hash);
  return matches && now_s < link.expires_at;
}

}  // namespace billhook::billing
