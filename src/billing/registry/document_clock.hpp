#pragma once

// The one loop that runs time-driven work on documents: every `poll` of real time, and at once when
// woken, it finds the documents whose wake_at has come (store.documents_needing_time) for every kind that has a handler, and runs the handler on each in its own write transaction — again and again
// while the handler says more is due now (a batch with items left), so a long job is many short
// transactions and resumes where it stopped after a crash. It runs only where the store says time
// jobs run (one node of several on PostgreSQL), so no two nodes work on one document at once.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/worker_loop.hpp"
#include "store/store.hpp"

namespace billhook::billing {

class DocumentRegistry;
class DomainServices;

// One call of a handler: which document, and how many times it was called for it already in this
// pass (0: the first, where an earlier pass or process may have left it half-way).
struct Wake {
  std::string_view id;
  int round = 0;
};

// What time does to one document, inside the write transaction it is given. Answers whether more is
// due at once; false once the document is done for now (its stored wake_at says when, if ever, next).
using WakeHandler = std::function<core::Result<bool>(store::WriteTx& tx, const Wake& wake)>;

class DocumentClock {
 public:
  DocumentClock(store::Store& store, const core::Clock& clock,
                std::chrono::milliseconds poll = std::chrono::seconds(1));

  // Before start(): what time does to documents of `kind`.
  void on(std::string_view kind, WakeHandler handler);
  // Before start(): the handler of every registered kind that has one, on its domain's service.
  void on_registered(const DocumentRegistry& registry, const DomainServices& services);

  void start();
  void stop();
  // Asks for a pass now (a document was created that needs time at once, or the test clock moved).
  void wake();

  // One pass over every kind; returns how many transactions committed. Stops early on stop().
  core::Result<int> run_once();

 private:
  struct Entry {
    std::string kind;
    WakeHandler handler;
  };
  core::Result<int> run_kind(const Entry& entry, int64_t now_s);

  store::Store& store_;
  const core::Clock& clock_;
  std::vector<Entry> entries_;
  core::WorkerLoop loop_;  // last: it stops (and joins) before the rest goes
};

}  // namespace billhook::billing
