#include "core/random.hpp"

#include <openssl/rand.h>

#include <cstring>
#include <stdexcept>

namespace billhook::core {

uint64_t Random::next_u64() {
  uint64_t value = 0;
  fill(std::as_writable_bytes(std::span(&value, 1)));
  return value;
}

double Random::next_unit() {
  return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

void SecureRandom::fill(std::span<std::byte> out) {
  if (out.empty()) return;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size())) != 1) {
    // Without entropy we cannot mint secrets safely; this is not a recoverable condition.
    throw std::runtime_error("OpenSSL RAND_bytes failed: no secure randomness available");
  }
}

void SeededRandom::fill(std::span<std::byte> out) {
  std::lock_guard lock(mutex_);
  size_t i = 0;
  while (i < out.size()) {
    const uint64_t word = engine_();
    const size_t n = std::min(sizeof word, out.size() - i);
    std::memcpy(out.data() + i, &word, n);
    i += n;
  }
}

}  // namespace billhook::core
