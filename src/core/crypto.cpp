#include "core/crypto.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <stdexcept>

namespace billhook::core {

std::string to_hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xF]);
  }
  return out;
}

namespace {

// This thread's HMAC context, set to SHA-256 once and given a new key by each call. HMAC()'s one-shot form
// fetches the algorithm, makes a context and reads its parameters at every call, which took more of
// billhook's CPU than hashing the webhook bodies did (1.1 % against 0.6 % while delivering, profiled).
EVP_MAC_CTX* hmac_sha256_context() {
  struct Context {
    EVP_MAC_CTX* ctx = nullptr;
    Context() {
      EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
      if (mac == nullptr) return;
      ctx = EVP_MAC_CTX_new(mac);
      EVP_MAC_free(mac);  // the context holds a reference of its own
      char digest[] = "SHA256";
      const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                   OSSL_PARAM_construct_end()};
      if (ctx != nullptr && EVP_MAC_CTX_set_params(ctx, params) != 1) {
        EVP_MAC_CTX_free(ctx);
        ctx = nullptr;
      }
    }
    ~Context() { EVP_MAC_CTX_free(ctx); }
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;
  };
  thread_local Context context;
  return context.ctx;
}

// This thread's digest context and SHA-256, fetched once: SHA256()'s one-shot form fetches the algorithm at
// every call, which took most of the time of hashing each request's API key (0.9 % of billhook's CPU, profiled).
EVP_MD_CTX* sha256_context() {
  struct Context {
    EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Context() {
      EVP_MD_CTX_free(ctx);
      EVP_MD_free(md);
    }
    Context() = default;
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;
  };
  thread_local Context context;
  if (context.md == nullptr || context.ctx == nullptr || EVP_DigestInit_ex2(context.ctx, context.md, nullptr) != 1)
    throw std::runtime_error("OpenSSL SHA-256 failed to start");
  return context.ctx;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  EVP_MD_CTX* ctx = sha256_context();
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if ((!data.empty() && EVP_DigestUpdate(ctx, data.data(), data.size()) != 1) ||
      EVP_DigestFinal_ex(ctx, digest.data(), &length) != 1)
    throw std::runtime_error("OpenSSL SHA-256 failed");
  return to_hex(std::string_view(reinterpret_cast<const char*>(digest.data()), length));
}

std::string hmac_sha256(std::string_view key, std::string_view data) { return hmac_sha256(key, {data}); }

std::string hmac_sha256(std::string_view key, std::initializer_list<std::string_view> parts) {
  EVP_MAC_CTX* ctx = hmac_sha256_context();
  // Never a null key: EVP_MAC_init would keep the key of this thread's previous call.
  static constexpr unsigned char kNoBytes[1] = {0};
  const auto* key_bytes = key.empty() ? kNoBytes : reinterpret_cast<const unsigned char*>(key.data());
  if (ctx == nullptr || EVP_MAC_init(ctx, key_bytes, key.size(), nullptr) != 1)
    throw std::runtime_error("OpenSSL HMAC-SHA256 failed to start");
  for (const std::string_view part : parts) {
    if (!part.empty() && EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(part.data()), part.size()) != 1)
      throw std::runtime_error("OpenSSL HMAC-SHA256 failed");
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  size_t length = 0;
  if (EVP_MAC_final(ctx, mac.data(), &length, mac.size()) != 1) throw std::runtime_error("OpenSSL HMAC-SHA256 failed");
  return std::string(reinterpret_cast<const char*>(mac.data()), length);
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string base64url_encode(std::string_view bytes) {
  std::string out = base64_encode(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  // Padding may only be the last one or two characters.
  const size_t padding = text.ends_with("==") ? 2 : text.ends_with("=") ? 1 : 0;
  for (size_t i = 0; i < text.size() - padding; ++i) {
    const char c = text[i];
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (!ok) return std::nullopt;
  }
  std::string out(3 * text.size() / 4, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts padding as zero bytes; trim them.
  size_t length = static_cast<size_t>(n);
  if (!text.empty() && text.back() == '=') --length;
  if (text.size() > 1 && text[text.size() - 2] == '=') --length;
  out.resize(length);
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace billhook::core
