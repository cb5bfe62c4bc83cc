#pragma once

// Runs what time does to invoices (BillingService::run_time) on the injectable clock: from its own
// thread every `poll` of real time, and at once when woken (the test clock moved). Each invoice is
// handled in its own write job, so one bad document cannot hold the others back; the notices' dedupe
// keys make reruns, restarts and a second node harmless. The thread's passes run only while the store
// says this node runs the time-driven jobs (always, unless several nodes share a database).

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "billing/billing_service.hpp"
#include "store/store.hpp"

namespace billhook::billing {

class BillingScheduler {
 public:
  BillingScheduler(store::Store& store, BillingService& service,
                   std::chrono::milliseconds poll = std::chrono::seconds(1));
  ~BillingScheduler();

  void start();
  void stop();
  // Asks for a pass now (e.g. the clock moved).
  void wake();

  // One pass over every invoice that time may act on now. Returns the number of events emitted.
  core::Result<int> run_once();

 private:
  void loop();
  // Refunds whose processor confirms them on its own (the sandbox), once that moment has come.
  core::Result<int> confirm_due_refunds(int64_t now);

  store::Store& store_;
  BillingService& service_;
  std::chrono::milliseconds poll_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace billhook::billing
