#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace billhook::core {

// Lower-case hex of raw bytes, two characters per byte: "\x01\xab" -> "01ab". The one hex encoder.
std::string to_hex(std::string_view bytes);

// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

// Raw (32-byte) HMAC-SHA256.
std::string hmac_sha256(std::string_view key, std::string_view data);
// Raw HMAC-SHA256 of the parts one after another, as if they were joined (without joining them).
std::string hmac_sha256(std::string_view key, std::initializer_list<std::string_view> parts);

// Standard base64 with padding (RFC 4648 §4).
std::string base64_encode(std::string_view bytes);
// The URL-safe alphabet without padding (RFC 4648 §5), as JSON Web Tokens write their parts.
std::string base64url_encode(std::string_view bytes);
// nullopt if `text` is not valid padded base64.
std::optional<std::string> base64_decode(std::string_view text);

// Compares without an early exit, so timing does not reveal how much of a secret matched.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace billhook::core
