#include "api/connection_limiter.hpp"

namespace billhook::api {

ConnectionLimiter::ConnectionLimiter(size_t max_total, size_t max_per_client)
    : max_total_(max_total), max_per_client_(max_per_client) {}

Admission ConnectionLimiter::admit(const std::string& client, size_t over_total) {
  const std::lock_guard lock(mutex_);
  // The client's own cap first: a client at it is refused as such even when the total is reached too,
  // so that no connection is closed to make room for one that would be refused anyway.
  size_t& from_client = per_client_[client];
  if (from_client >= max_per_client_) {
    if (from_client == 0) per_client_.erase(client);  // max_per_client_ is 0: keep the map to open clients
    return Admission::over_client;
  }
  if (open_ >= max_total_ + over_total) {
    if (from_client == 0) per_client_.erase(client);
    return Admission::over_total;
  }
  ++from_client;
  ++open_;
  return Admission::admitted;
}

void ConnectionLimiter::release(const std::string& client) {
  const std::lock_guard lock(mutex_);
  const auto it = per_client_.find(client);
  if (it == per_client_.end()) return;  // not admitted: nothing to give back
  if (--it->second == 0) per_client_.erase(it);
  --open_;
}

size_t ConnectionLimiter::open() const {
  const std::lock_guard lock(mutex_);
  return open_;
}

size_t ConnectionLimiter::open_from(const std::string& client) const {
  const std::lock_guard lock(mutex_);
  const auto it = per_client_.find(client);
  return it == per_client_.end() ? 0 : it->second;
}

}  // namespace billhook::api
