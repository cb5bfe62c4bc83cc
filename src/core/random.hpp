#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <random>
#include <span>

namespace billhook::core {

// Randomness comes in through this interface so tests can make ids, secrets and jitter repeatable.
class Random {
 public:
  virtual ~Random() = default;
  virtual void fill(std::span<std::byte> out) = 0;

  uint64_t next_u64();
  // Uniform in [0, 1).
  double next_unit();
};

// Cryptographically secure (OpenSSL RAND_bytes); the default for secrets and API keys.
class SecureRandom final : public Random {
 public:
  void fill(std::span<std::byte> out) override;
};

// Deterministic, for tests only. Thread-safe.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed) : engine_(seed) {}
  void fill(std::span<std::byte> out) override;

 private:
  std::mutex mutex_;
  std::mt19937_64 engine_;
};

}  // namespace billhook::core
