#pragma once

// Keeps a node's API keys (ApiKeys) in step with the store, off the request path: it reads the live keys
// again every `refresh` (a key created or revoked on another node works, or stops working, here within that
// time; on one node the API changes ApiKeys itself at once), and writes the uses noted in memory as each
// key's last use every `write_uses` (so at most once per key in that time) and once more when stopped.

#include <atomic>
#include <chrono>

#include "api/api_keys.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/worker_loop.hpp"
#include "store/store.hpp"

namespace billhook::api {

class ApiKeySync {
 public:
  static constexpr std::chrono::seconds kRefresh{1};
  static constexpr std::chrono::seconds kWriteUses{60};

  ApiKeySync(store::Store& store, ApiKeys& keys, std::chrono::milliseconds refresh = kRefresh,
             std::chrono::milliseconds write_uses = kWriteUses);
  ~ApiKeySync();

  void start();
  // Stops both loops and writes the uses not yet written; call before the store closes.
  void stop();

  // One pass of each loop, for tests and stop().
  core::Status refresh();
  core::Status write_uses();

 private:
  store::Store& store_;
  ApiKeys& keys_;
  std::atomic<bool> refresh_failing_{false};
  core::WorkerLoop refresh_loop_;
  core::WorkerLoop write_loop_;
};

}  // namespace billhook::api
