#pragma once

// Standard Webhooks signatures (https://www.standardwebhooks.com): what the headers of every delivery
// attempt carry, so that receivers can check with the reference libraries that a webhook came from us
// and was not altered or replayed.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/random.hpp"
#include "core/result.hpp"

namespace billhook::delivery {

inline constexpr std::string_view kSecretPrefix = "whsec_";
inline constexpr size_t kMinSecretBytes = 24;
inline constexpr size_t kMaxSecretBytes = 64;

// A new endpoint secret: "whsec_" + base64 of 32 random bytes.
std::string generate_secret(core::Random& random);

// The raw key bytes of "whsec_<base64>". Errors (invalid_request, code "invalid_secret") when the
// prefix is missing, the base64 is invalid, or the key is shorter than 24 or longer than 64 bytes.
// The message never repeats the secret.
core::Result<std::string> decode_secret(std::string_view secret);

// "v1," + base64(HMAC-SHA256(key_bytes, "<msg_id>.<timestamp>.<body>")).
std::string sign(std::string_view key_bytes, std::string_view msg_id, int64_t timestamp, std::string_view body);

// The values of webhook-id, webhook-timestamp and webhook-signature.
struct SignedHeaders {
  std::string id;
  std::string timestamp;
  std::string signature;
};

// `keys` holds one or more raw keys (during a rotation the new one first, then the old one); the
// signature header carries one "v1,…" per key, space-separated, so receivers holding either secret
// accept the webhook. `keys` must not be empty.
SignedHeaders sign_headers(const std::vector<std::string>& keys, std::string_view msg_id, int64_t timestamp,
                           std::string_view body);

// As the reference libraries verify: the timestamp is a decimal unix time within `tolerance_s` of
// `now_unix` (either way), and any one of the space-separated "v1,<base64>" entries of
// `signature_header` matches, compared in constant time. Entries of other versions are ignored.
bool verify(std::string_view key_bytes, std::string_view msg_id, std::string_view timestamp,
            std::string_view signature_header, std::string_view body, int64_t now_unix, int64_t tolerance_s = 300);

}  // namespace billhook::delivery
