#pragma once

// Runs one of the seed receivers in tests/support/seed_receivers/ (Node + express, written as a seed
// provider's documentation shows) as a child process on 127.0.0.1, port 0, for integration tests.
// Only the pid it spawned is ever signalled; the child dies with the thread that started it.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>

#include <boost/json.hpp>

namespace billhook::testing {

class NodeReceiver {
 public:
  // Starts `node tests/support/seed_receivers/<script>` and waits for its "listening <port>" line;
  // throws if node or the npm packages are missing (run scripts/setup.sh) or it does not start.
  explicit NodeReceiver(const std::string& script);
  ~NodeReceiver();
  NodeReceiver(const NodeReceiver&) = delete;
  NodeReceiver& operator=(const NodeReceiver&) = delete;

  uint16_t port() const { return port_; }
  std::string url(const std::string& path) const;
  // Hands the handlers settings that exist only once the endpoint is made (secrets, keys).
  void configure(const boost::json::object& settings);
  // What the handlers recorded, once there are at least `count` records (or when `timeout` passes).
  boost::json::array received(size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(20));

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string output_;
};

}  // namespace billhook::testing
