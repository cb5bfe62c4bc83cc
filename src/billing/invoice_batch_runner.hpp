#pragma once

// Processes invoice batches in the background: from its own thread, every `poll` of real time and at
// once when woken (a batch was created), it finds the unfinished batches (documents_needing_time) and
// runs each to its end one chunk (one write transaction) at a time. Stopping waits for the chunk in
// progress; a batch left unfinished by a stop or a crash is picked up again on the next start.

#include <chrono>

#include "billing/invoice_batch_service.hpp"
#include "core/worker_loop.hpp"
#include "store/store.hpp"

namespace billhook::billing {

class InvoiceBatchRunner {
 public:
  InvoiceBatchRunner(store::Store& store, InvoiceBatches& batches,
                     std::chrono::milliseconds poll = std::chrono::seconds(1));

  void start();
  void stop();
  // Asks for a pass now (a batch was created).
  void wake();

  // Runs every unfinished batch to its end (or until stop()). Returns the number of chunks committed.
  core::Result<int> run_once();

 private:
  // One pass of the thread: run_once.
  core::Status pass();

  store::Store& store_;
  InvoiceBatches& batches_;
  core::WorkerLoop loop_;  // last: it stops (and joins) before the rest goes
};

}  // namespace billhook::billing
