#include "api/hosted/rate_limiter.hpp"

#include <algorithm>
#include <chrono>

namespace billhook::api::hosted {

double RateLimiter::now_s() const {
  return std::chrono::duration<double>(clock_.now().time_since_epoch()).count();
}

void RateLimiter::forget_full(double now) {
  std::erase_if(buckets_, [&](const auto& entry) {
    return entry.second.tokens + (now - entry.second.updated_s) * per_second_ >= burst_;
  });
}

bool RateLimiter::allow(std::string_view client) {
  const double now = now_s();
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(std::string(client));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_clients_) forget_full(now);
    // Still full of clients that are all busy: refuse newcomers rather than grow without bound.
    if (buckets_.size() >= max_clients_) return false;
    it = buckets_.emplace(std::string(client), Bucket{burst_, now}).first;
  }
  Bucket& b = it->second;
  // max(): a clock that went back (a manual one set earlier) adds nothing rather than taking tokens.
  b.tokens = std::min(burst_, b.tokens + std::max(0.0, now - b.updated_s) * per_second_);
  b.updated_s = std::max(b.updated_s, now);
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

}  // namespace billhook::api::hosted
