#include "core/jwt.hpp"

#include <boost/json/serialize.hpp>

#include "core/crypto.hpp"

namespace billhook::core {

std::string jwt_rs256(const RsaKey& key, const boost::json::object& claims) {
  static const std::string header = base64url_encode(R"({"alg":"RS256","typ":"JWT"})");
  std::string signing_input = header + "." + base64url_encode(boost::json::serialize(claims));
  const std::string signature = base64url_encode(key.sign_sha256(signing_input));
  return signing_input + "." + signature;
}

}  // namespace billhook::core
