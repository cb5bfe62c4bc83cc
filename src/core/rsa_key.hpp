#pragma once

// An RSA key pair whose public half others use to check what the private half signed (Lago's JWT webhook
// signature). Immutable once made, so one key may sign on several threads at once.

#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"

struct evp_pkey_st;

namespace billhook::core {

class RsaKey {
 public:
  // A fresh key of `bits` bits (public exponent 65537) from OpenSSL's random generator.
  static Result<RsaKey> generate(int bits = 2048);
  // Reads a PEM private key (PKCS#8 or PKCS#1); invalid_request if it is not an RSA private key.
  static Result<RsaKey> from_private_pem(std::string_view pem);

  // PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"): what is stored to make the same key again.
  std::string private_pem() const;
  // SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----"), what JWT libraries take as a verification key.
  std::string public_pem() const;
  // The raw RSASSA-PKCS1-v1_5 signature with SHA-256 of `data` (JWS "RS256"). Deterministic.
  std::string sign_sha256(std::string_view data) const;

 private:
  explicit RsaKey(std::shared_ptr<evp_pkey_st> key) : key_(std::move(key)) {}
  std::shared_ptr<evp_pkey_st> key_;
};

}  // namespace billhook::core
