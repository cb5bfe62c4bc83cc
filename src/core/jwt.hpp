#pragma once

// JSON Web Tokens signed with RS256, in compact form (RFC 7519, RFC 7515 §7.1): only what Lago's webhook
// signature needs, so no library for one algorithm.

#include <string>

#include <boost/json/object.hpp>

#include "core/rsa_key.hpp"

namespace billhook::core {

// base64url(header) "." base64url(claims) "." base64url(RS256 signature), the header being
// {"alg":"RS256","typ":"JWT"}. Deterministic for a key and claims.
std::string jwt_rs256(const RsaKey& key, const boost::json::object& claims);

}  // namespace billhook::core
