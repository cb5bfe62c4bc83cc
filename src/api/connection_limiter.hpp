#pragma once

// Admission of incoming connections: at most `max_total` open at once, and at most `max_per_client`
// from one client address, so that neither idle connections nor one client can take every file
// descriptor. Pure and thread-safe; the HTTP server asks it for each accepted socket.

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace billhook::api {

enum class Admission { admitted, over_total, over_client };

class ConnectionLimiter {
 public:
  ConnectionLimiter(size_t max_total, size_t max_per_client);

  // Takes a slot for a connection from `client` (its address, without the port), or says which cap
  // refused it (over_client when both would). An admitted connection must be released once, with the same address. `over_total` lets
  // that many more than max_total in: connections that replace ones being closed to make room.
  Admission admit(const std::string& client, size_t over_total = 0);
  void release(const std::string& client);

  size_t open() const;
  size_t open_from(const std::string& client) const;
  size_t max_total() const { return max_total_; }
  size_t max_per_client() const { return max_per_client_; }

 private:
  const size_t max_total_;
  const size_t max_per_client_;
  mutable std::mutex mutex_;
  size_t open_ = 0;
  std::unordered_map<std::string, size_t> per_client_;  // only addresses with an open connection
};

// A slot held for the life of a connection; released on destruction (also when the server stops and
// the connection's coroutine is destroyed without finishing).
class ConnectionSlot {
 public:
  ConnectionSlot(ConnectionLimiter& limiter, std::string client) : limiter_(&limiter), client_(std::move(client)) {}
  ConnectionSlot(ConnectionSlot&& other) noexcept : limiter_(other.limiter_), client_(std::move(other.client_)) {
    other.limiter_ = nullptr;
  }
  ConnectionSlot& operator=(ConnectionSlot&&) = delete;
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  ~ConnectionSlot() {
    if (limiter_ != nullptr) limiter_->release(client_);
  }

 private:
  ConnectionLimiter* limiter_;
  std::string client_;
};

}  // namespace billhook::api
