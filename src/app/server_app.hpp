#pragma once

#include <memory>

#include "core/config.hpp"
#include "core/result.hpp"

namespace billhook::app {

// The composition root of `billhook serve`: the only place that names concrete
// implementations (SQLite store, system clock, secure randomness, Beast server).
class ServerApp {
 public:
  // Validates the configuration, opens the store (applying migrations), makes sure an API key
  // exists (printing a new one on first start) and starts listening.
  static core::Result<std::unique_ptr<ServerApp>> start(const core::ServeConfig& config);
  ~ServerApp();

  uint16_t port() const;
  // The --metrics-listen listener's port; 0 when there is none.
  uint16_t metrics_port() const;
  // Blocks until SIGINT or SIGTERM, then shuts down within --shutdown-timeout: refuses new connections,
  // answers the requests in flight, lets the deliveries in flight finish and records them, and releases
  // the leases of the rest; destroying the app then commits what is queued.
  void run_until_signalled();

 private:
  struct Impl;
  explicit ServerApp(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace billhook::app
