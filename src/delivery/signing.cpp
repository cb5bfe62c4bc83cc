#include "delivery/signing.hpp"

#include <array>
#include <cassert>
#include <charconv>
#include <cstddef>
#include <optional>

#include "core/crypto.hpp"

namespace billhook::delivery {
namespace {

constexpr size_t kGeneratedSecretBytes = 32;
constexpr std::string_view kVersionPrefix = "v1,";

core::Error secret_error(std::string message) {
  return core::Error::invalid("invalid_secret", std::move(message), "secret");
}

// Only plain decimal digits: the header is ours to define strictly, and a sign or blank would let two
// spellings of one timestamp exist.
std::optional<int64_t> parse_timestamp(std::string_view text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

// |a - b| <= limit without overflowing for any int64 inputs.
bool within(int64_t a, int64_t b, int64_t limit) {
  if (limit < 0) return false;
  const uint64_t distance = a >= b ? static_cast<uint64_t>(a) - static_cast<uint64_t>(b)
                                   : static_cast<uint64_t>(b) - static_cast<uint64_t>(a);
  return distance <= static_cast<uint64_t>(limit);
}

}  // namespace

std::string generate_secret(core::Random& random) {
  std::array<std::byte, kGeneratedSecretBytes> key{};
  random.fill(key);
  return std::string(kSecretPrefix) +
         core::base64_encode(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
}

core::Result<std::string> decode_secret(std::string_view secret) {
  if (!secret.starts_with(kSecretPrefix)) {
    return secret_error("the secret must start with \"whsec_\" followed by base64");
  }
  std::optional<std::string> key = core::base64_decode(secret.substr(kSecretPrefix.size()));
  if (!key) return secret_error("the part of the secret after \"whsec_\" is not valid padded base64");
  if (key->size() < kMinSecretBytes || key->size() > kMaxSecretBytes) {
    return secret_error("the secret must hold from " + std::to_string(kMinSecretBytes) + " to " +
                        std::to_string(kMaxSecretBytes) + " bytes, this one holds " + std::to_string(key->size()));
  }
  return std::move(*key);
}

std::string sign(std::string_view key_bytes, std::string_view msg_id, int64_t timestamp, std::string_view body) {
  const std::string timestamp_text = std::to_string(timestamp);
  // What is signed is "<id>.<timestamp>.<body>", hashed in its parts rather than copied into one.
  return std::string(kVersionPrefix) +
         core::base64_encode(core::hmac_sha256(key_bytes, {msg_id, ".", timestamp_text, ".", body}));
}

SignedHeaders sign_headers(const std::vector<std::string>& keys, std::string_view msg_id, int64_t timestamp,
                           std::string_view body) {
  assert(!keys.empty() && "a webhook is signed with at least one key");
  SignedHeaders headers{std::string(msg_id), std::to_string(timestamp), {}};
  for (const std::string& key : keys) {
    if (!headers.signature.empty()) headers.signature.push_back(' ');
    headers.signature += sign(key, msg_id, timestamp, body);
  }
  return headers;
}

bool verify(std::string_view key_bytes, std::string_view msg_id, std::string_view timestamp,
            std::string_view signature_header, std::string_view body, int64_t now_unix, int64_t tolerance_s) {
  const std::optional<int64_t> sent_at = parse_timestamp(timestamp);
  if (!sent_at || !within(*sent_at, now_unix, tolerance_s)) return false;
  const std::string expected = sign(key_bytes, msg_id, *sent_at, body);
  const std::string_view expected_mac = std::string_view(expected).substr(kVersionPrefix.size());

  bool matched = false;
  size_t start = 0;
  while (start <= signature_header.size()) {
    const size_t space = signature_header.find(' ', start);
    const std::string_view entry =
        signature_header.substr(start, space == std::string_view::npos ? std::string_view::npos : space - start);
    if (entry.starts_with(kVersionPrefix)) {
      // Every entry is compared, so the time taken does not say which one matched.
      matched = core::constant_time_equal(entry.substr(kVersionPrefix.size()), expected_mac) || matched;
    }
    if (space == std::string_view::npos) break;
    start = space + 1;
  }
  return matched;
}

}  // namespace billhook::delivery
