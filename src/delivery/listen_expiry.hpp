#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/worker_loop.hpp"
#include "delivery/listen_hub.hpp"
#include "store/store.hpp"

namespace billhook::delivery {

// Removes listen sessions whose CLI has not polled for `idle` (it was killed, or its machine went away):
// the endpoint is deleted, which cancels its open deliveries, and the hub lets go of its requests. Also
// lets go of sessions deleted through the endpoint API. A pass every `idle` / 3, at most every 30 s.
class ListenExpiry {
 public:
  ListenExpiry(store::Store& store, ListenHub& hub, const core::Clock& clock, std::chrono::milliseconds idle);

  void start() { loop_.start(); }
  void stop() { loop_.stop(); }
  // One pass (what the loop runs); answers the sessions it removed.
  core::Result<std::vector<std::string>> sweep();

 private:
  store::Store& store_;
  ListenHub& hub_;
  const core::Clock& clock_;
  const std::chrono::milliseconds idle_;
  core::WorkerLoop loop_;
};

}  // namespace billhook::delivery
