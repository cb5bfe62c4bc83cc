#include "core/rsa_key.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <stdexcept>

namespace billhook::core {
namespace {

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;

std::shared_ptr<evp_pkey_st> owned(EVP_PKEY* key) { return std::shared_ptr<evp_pkey_st>(key, EVP_PKEY_free); }

std::string drained(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<size_t>(size)) : std::string();
}

}  // namespace

Result<RsaKey> RsaKey::generate(int bits) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits));
  if (!key) return Error::internal("OpenSSL could not generate an RSA key");
  return RsaKey(owned(key));
}

Result<RsaKey> RsaKey::from_private_pem(std::string_view pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  if (!bio) return Error::internal("OpenSSL could not allocate a buffer");
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (!key) return Error::invalid("invalid_key", "not a PEM private key");
  auto held = owned(key);
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) return Error::invalid("invalid_key", "not an RSA private key");
  return RsaKey(std::move(held));
}

std::string RsaKey::private_pem() const {
  Bio bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    throw std::runtime_error("OpenSSL could not write a private key");
  return drained(bio.get());
}

std::string RsaKey::public_pem() const {
  Bio bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1)
    throw std::runtime_error("OpenSSL could not write a public key");
  return drained(bio.get());
}

std::string RsaKey::sign_sha256(std::string_view data) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  size_t length = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  // RSA keys sign with PKCS#1 v1.5 padding unless told otherwise: that is RS256.
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, bytes, data.size()) != 1)
    throw std::runtime_error("OpenSSL could not start an RSA signature");
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length, bytes, data.size()) != 1)
    throw std::runtime_error("OpenSSL could not sign with RSA");
  signature.resize(length);
  return signature;
}

}  // namespace billhook::core
