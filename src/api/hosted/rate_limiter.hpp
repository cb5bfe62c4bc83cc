#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.hpp"

namespace billhook::api::hosted {

// A token bucket per client address, for the public pages (which take no API key): `burst` requests
// at once, then `per_minute` a minute. Thread-safe. Buckets that have filled up again are forgotten,
// so memory stays bounded by the clients of the last few minutes.
class RateLimiter {
 public:
  RateLimiter(const core::Clock& clock, double burst, double per_minute, size_t max_clients = 10000)
      : clock_(clock), burst_(burst), per_second_(per_minute / 60.0), max_clients_(max_clients) {}

  // Takes one token of `client`'s bucket; false when it is empty (answer 429).
  bool allow(std::string_view client);

 private:
  struct Bucket {
    double tokens;
    double updated_s;
  };
  double now_s() const;
  // Drops the buckets that are full again (they behave as new ones).
  void forget_full(double now);

  const core::Clock& clock_;
  const double burst_;
  const double per_second_;
  const size_t max_clients_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace billhook::api::hosted
