#include "core/log_throttle.hpp"

#include <gtest/gtest.h>

namespace billhook::core {
namespace {

using namespace std::chrono_literals;
using Clock = LogThrottle::Clock;

TEST(LogThrottle, OneLinePerIntervalWithTheCount) {
  LogThrottle throttle(1s);
  const Clock::time_point t0{};
  EXPECT_EQ(throttle.note(t0), 1u);
  EXPECT_FALSE(throttle.note(t0 + 10ms));
  EXPECT_FALSE(throttle.note(t0 + 999ms));
  EXPECT_EQ(throttle.note(t0 + 1s), 3u);
  EXPECT_EQ(throttle.note(t0 + 5s), 1u);
}

}  // namespace
}  // namespace billhook::core
