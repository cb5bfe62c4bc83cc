// The background loop the billing scheduler and the invoice batch runner run on. Every wait here is on
// a condition (with a generous deadline), never a sleep.
#include "core/worker_loop.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

namespace billhook::core {
namespace {

using namespace std::chrono_literals;

constexpr auto kDeadline = 10s;
constexpr auto kNever = std::chrono::hours(24);  // an interval that never elapses in a test

// Counts the passes and lets the test wait until enough have run.
class Passes {
 public:
  explicit Passes(std::function<Status(int)> body = [](int) { return Status{}; }) : body_(std::move(body)) {}

  Status run() {
    int n;
    {
      std::lock_guard lock(mutex_);
      n = ++count_;
    }
    cv_.notify_all();
    return body_(n);
  }
  bool wait_for(int at_least) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, kDeadline, [&] { return count_ >= at_least; });
  }
  int count() {
    std::lock_guard lock(mutex_);
    return count_;
  }

 private:
  std::function<Status(int)> body_;
  std::mutex mutex_;
  std::condition_variable cv_;
  int count_ = 0;
};

TEST(WorkerLoop, WakeRunsAPassAtOnce) {
  Passes passes;
  WorkerLoop loop("test", kNever, [&] { return passes.run(); });
  loop.start();
  loop.wake();
  ASSERT_TRUE(passes.wait_for(1));
  loop.wake();
  ASSERT_TRUE(passes.wait_for(2));
  loop.stop();
  EXPECT_EQ(passes.count(), 2) << "with an interval that never elapses, only the wakes ran passes";
}

TEST(WorkerLoop, AWakeBeforeStartRunsTheFirstPass) {
  Passes passes;
  WorkerLoop loop("test", kNever, [&] { return passes.run(); });
  loop.wake();
  loop.start();
  EXPECT_TRUE(passes.wait_for(1));
}

TEST(WorkerLoop, RunsEveryIntervalWithoutAWake) {
  Passes passes;
  WorkerLoop loop("test", 5ms, [&] { return passes.run(); });
  loop.start();
  EXPECT_TRUE(passes.wait_for(3));
}

TEST(WorkerLoop, StopEndsThePassInProgressAndNoPassFollows) {
  std::atomic<bool> saw_stopping{false};
  WorkerLoop* self = nullptr;
  std::mutex mutex;
  std::condition_variable cv;
  bool in_pass = false;
  Passes passes([&](int) {
    {
      std::lock_guard lock(mutex);
      in_pass = true;
    }
    cv.notify_all();
    // A long pass that checks stopping(), as the batch runner does between chunks.
    std::unique_lock lock(mutex);
    saw_stopping = cv.wait_for(lock, kDeadline, [&] { return self->stopping(); });
    return Status{};
  });
  WorkerLoop loop("test", kNever, [&] { return passes.run(); });
  self = &loop;
  EXPECT_FALSE(loop.stopping());
  loop.start();
  loop.wake();
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(cv.wait_for(lock, kDeadline, [&] { return in_pass; }));
  }
  std::thread stopper([&] { loop.stop(); });
  // stop() sets the flag before it joins; nudge the pass's wait until it sees it.
  while (!saw_stopping) {
    cv.notify_all();
    std::this_thread::yield();
  }
  stopper.join();  // stop() returned: the pass ended and the thread is gone
  EXPECT_TRUE(saw_stopping);
  EXPECT_TRUE(loop.stopping());
  loop.wake();
  EXPECT_EQ(passes.count(), 1) << "no pass after stop";
  loop.stop();  // again: harmless
}

TEST(WorkerLoop, StartsAgainAfterStop) {
  Passes passes;
  WorkerLoop loop("test", kNever, [&] { return passes.run(); });
  loop.start();
  loop.start();  // already running: nothing happens
  loop.wake();
  ASSERT_TRUE(passes.wait_for(1));
  loop.stop();
  loop.start();
  EXPECT_FALSE(loop.stopping());
  loop.wake();
  EXPECT_TRUE(passes.wait_for(2));
}

TEST(WorkerLoop, StopWithoutStartAndDestructionStop) {
  Passes passes;
  {
    WorkerLoop never_started("test", kNever, [&] { return passes.run(); });
    never_started.stop();
  }
  {
    WorkerLoop running("test", 1ms, [&] { return passes.run(); });
    running.start();
    ASSERT_TRUE(passes.wait_for(1));
  }  // the destructor stops and joins: `passes` outlives every pass
  EXPECT_GE(passes.count(), 1);
}

TEST(WorkerLoop, AnExceptionOrAnErrorDoesNotEndTheLoop) {
  Passes passes([](int n) -> Status {
    if (n == 1) throw std::runtime_error("boom");
    if (n == 2) throw 42;  // not even a std::exception
    if (n == 3) return Error::internal("a pass failed");
    return {};
  });
  WorkerLoop loop("test", kNever, [&] { return passes.run(); });
  loop.start();
  for (int n = 1; n <= 4; ++n) {
    loop.wake();
    ASSERT_TRUE(passes.wait_for(n)) << "pass " << n;
  }
}

}  // namespace
}  // namespace billhook::core
