#pragma once

// Waiting in tests for something to happen, instead of sleeping for a guessed time: poll a condition
// with a short growing pause until it holds or a timeout passes. A test that can be woken (a
// condition variable, such as Receiver::wait_until) should wait on that instead; this is for state
// that can only be asked for (an HTTP resource, a store, another process).

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <thread>

namespace billhook::testing {

// Calls `done()` until it answers true or `timeout` passes, pausing between two tries 1 ms at first,
// then twice as long each time up to `max_pause`. `done()` is tried once more at the deadline.
// Answers whether it held.
template <typename Done>
bool poll_until(Done&& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds max_pause = std::chrono::milliseconds(40)) {
  using std::chrono::milliseconds;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  milliseconds pause(1);
  for (;;) {
    if (done()) return true;
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left <= milliseconds(0)) return false;
    // The one pause of the test tree: between two looks at a condition, never instead of one.
    std::this_thread::sleep_for(std::min(pause, left));
    pause = std::min(pause * 2, max_pause);
  }
}

// poll_until for an assertion: ASSERT_TRUE(wait_until([&] { … }, 10s, "node b to take the lead"))
// fails with "timed out after 10000 ms waiting for node b to take the lead".
template <typename Done>
::testing::AssertionResult wait_until(Done&& done, std::chrono::milliseconds timeout, std::string_view what,
                                      std::chrono::milliseconds max_pause = std::chrono::milliseconds(40)) {
  if (poll_until(done, timeout, max_pause)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "timed out after " << timeout.count() << " ms waiting for " << what;
}

}  // namespace billhook::testing
