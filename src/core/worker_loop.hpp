#pragma once

// The one background loop of billhook's periodic workers: a thread that runs `pass` every `interval` of
// real time, or at once when woken, until stopped. A pass that fails (an Error) or throws is logged
// ("<name> pass failed" / "<name> pass threw") and the loop carries on with the next one, so one bad
// pass never ends the worker. The wait runs on real time, not on the injectable Clock: a test that
// moves a ManualClock calls wake() instead, as the clock-moving API does.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "core/result.hpp"

namespace billhook::core {

class WorkerLoop {
 public:
  WorkerLoop(std::string name, std::chrono::milliseconds interval, std::function<Status()> pass);
  // Stops the loop (see stop()).
  ~WorkerLoop();
  WorkerLoop(const WorkerLoop&) = delete;
  WorkerLoop& operator=(const WorkerLoop&) = delete;

  // Starts the thread, whose first pass comes after one interval or a wake(). Does nothing while it
  // runs; a stopped loop may be started again.
  void start();
  // Turns stopping() true, waits for the pass in progress to return and joins the thread. No pass
  // starts after it. Safe to call more than once, and on a loop never started.
  void stop();
  // Asks for a pass now: the wait in progress ends at once (or, while a pass runs, the next one
  // follows it without waiting; before start(), the first pass runs at start).
  void wake();
  // True from stop() until the next start(): a long pass checks it to end early.
  bool stopping() const;

 private:
  void run();

  const std::string name_;
  const std::chrono::milliseconds interval_;
  const std::function<Status()> pass_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace billhook::core
