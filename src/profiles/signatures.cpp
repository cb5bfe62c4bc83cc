#include "profiles/signatures.hpp"

#include <fmt/format.h>

#include "core/crypto.hpp"
#include "core/jwt.hpp"

namespace billhook::profiles {
namespace {

std::string setting(const boost::json::object* settings, std::string_view name) {
  if (!settings) return {};
  const auto* v = settings->if_contains(name);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

Headers signature_headers(const Profile& profile, const SigningInput& in) {
  Headers out;
  const std::string timestamp = std::to_string(in.timestamp_s);
  for (const auto& scheme : profile.signatures) {
    if (scheme == "stripe" && !in.secrets.empty()) {
      std::string value = "t=" + timestamp;
      for (const auto& secret : in.secrets)
        value += ",v1=" + core::to_hex(core::hmac_sha256(secret, {timestamp, ".", in.body}));
      out.emplace_back("Stripe-Signature", std::move(value));
    } else if (scheme == "rapyd") {
      const std::string access_key = setting(in.settings, "access_key");
      const std::string secret_key = setting(in.settings, "secret_key");
      if (access_key.empty() || secret_key.empty()) continue;  // the API refuses a rapyd endpoint without them
      const std::string to_sign =
          std::string(in.url) + in.salt + timestamp + access_key + secret_key + std::string(in.body);
      out.emplace_back("salt", in.salt);
      out.emplace_back("timestamp", timestamp);
      out.emplace_back("signature", core::base64_encode(core::to_hex(core::hmac_sha256(secret_key, to_sign))));
    } else if (scheme == "lago") {
      const std::string algorithm = profile.setting(in.settings, "signature_algorithm");
      if (algorithm == "jwt" && in.jwt_key) {
        // Lago signs the payload as a JSON string under "data"; its receivers compare that string with the body.
        const boost::json::object claims{{"data", in.body}, {"iss", in.issuer}};
        out.emplace_back("X-Lago-Signature-Algorithm", "jwt");
        out.emplace_back("X-Lago-Signature", core::jwt_rs256(*in.jwt_key, claims));
      } else if (algorithm == "hmac" && !in.secrets.empty()) {
        out.emplace_back("X-Lago-Signature-Algorithm", "hmac");
        out.emplace_back("X-Lago-Signature", core::base64_encode(core::hmac_sha256(in.secrets.front(), in.body)));
      }
    }
  }
  return out;
}

}  // namespace billhook::profiles
