#pragma once

// The signature headers seed providers document, sent beside the Standard Webhooks headers so that a
// receiver verifying the way its provider's documentation shows accepts the webhook. Pure functions.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "core/rsa_key.hpp"
#include "profiles/profile.hpp"

namespace billhook::profiles {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct SigningInput {
  std::string_view url;   // the endpoint's URL (Rapyd signs it)
  std::string_view body;  // exactly the bytes sent
  int64_t timestamp_s = 0;
  std::vector<std::string> secrets;  // the endpoint's "whsec_…" secrets, current first (rotation)
  const boost::json::object* settings = nullptr;  // the endpoint's profile settings
  std::string salt;                               // a fresh random string per attempt (Rapyd)
  const core::RsaKey* jwt_key = nullptr;          // the installation's key pair (Lago's JWT); null: none
  std::string issuer;                             // the JWT's "iss": this server's public URL, as Lago's
};

// stripe:    Stripe-Signature: t=<ts>,v1=<hex HMAC-SHA256(secret, "<ts>.<body>")> (one v1 per secret; the
//            key is the whole "whsec_…" string, as Stripe's libraries use it).
// rapyd:     salt, timestamp, signature = base64(hex(HMAC-SHA256(secret_key,
//            url + salt + timestamp + access_key + secret_key + body))), keys from the endpoint's settings.
// lago:      by the endpoint's setting signature_algorithm (default jwt, as Lago's):
//            jwt:  X-Lago-Signature-Algorithm: jwt, X-Lago-Signature: an RS256 JWT of
//                  {"data": <the body, as a string>, "iss": <issuer>} signed with `jwt_key`;
//            hmac: X-Lago-Signature-Algorithm: hmac, X-Lago-Signature: base64(HMAC-SHA256(secret, body)).
Headers signature_headers(const Profile& profile, const SigningInput& input);

}  // namespace billhook::profiles
