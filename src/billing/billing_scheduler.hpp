#pragma once

// Runs what time does to invoices (BillingService::run_time) on the injectable clock: from its own
// thread every `poll` of real time, and at once when woken (the test clock moved). Each invoice is
// handled in its own write job, so one bad document cannot hold the others back; the notices' dedupe
// keys make reruns, restarts and a second node harmless. The thread's passes run only while the store
// says this node runs the time-driven jobs (always, unless several nodes share a database). Time on
// registered documents (batches, refunds) is the DocumentClock's.

#include <chrono>

#include "billing/billing_service.hpp"
#include "core/worker_loop.hpp"
#include "store/store.hpp"

namespace billhook::billing {

class BillingScheduler {
 public:
  BillingScheduler(store::Store& store, BillingService& service,
                   std::chrono::milliseconds poll = std::chrono::seconds(1));

  void start();
  void stop();
  // Asks for a pass now (e.g. the clock moved).
  void wake();

  // One pass over every invoice that time may act on now. Returns the number of events emitted.
  core::Result<int> run_once();

 private:
  // One pass of the thread: run_once, on the node that runs the time-driven jobs.
  core::Status pass();

  store::Store& store_;
  BillingService& service_;
  core::WorkerLoop loop_;  // last: it stops (and joins) before the rest goes
};

}  // namespace billhook::billing
