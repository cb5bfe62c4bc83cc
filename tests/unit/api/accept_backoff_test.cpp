#include "api/accept_backoff.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace billhook::api {
namespace {

using namespace std::chrono_literals;
using Clock = AcceptBackoff::Clock;

TEST(AcceptBackoff, OutOfDescriptorsWaitsLongerEachTimeUpToASecond) {
  AcceptBackoff backoff;
  const Clock::time_point t0{};
  std::vector<long> delays;
  for (int i = 0; i < 9; ++i) delays.push_back(backoff.failed(t0 + i * 1ms, true).delay.count());
  EXPECT_EQ(delays, (std::vector<long>{10, 20, 40, 80, 160, 320, 640, 1000, 1000}));
}

TEST(AcceptBackoff, ASuccessStartsAgainFromTheFirstDelay) {
  AcceptBackoff backoff;
  const Clock::time_point t0{};
  (void)backoff.failed(t0, true);
  (void)backoff.failed(t0, true);
  backoff.succeeded();
  EXPECT_EQ(backoff.failed(t0, true).delay, 10ms);
}

TEST(AcceptBackoff, OtherErrorsRetrySoonWithoutGrowing) {
  AcceptBackoff backoff;
  const Clock::time_point t0{};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(backoff.failed(t0, false).delay, 10ms);
}

TEST(AcceptBackoff, LogsAtMostOnceASecondCountingTheFailuresBetween) {
  AcceptBackoff backoff;
  const Clock::time_point t0{};
  EXPECT_EQ(backoff.failed(t0, true).log_failures, 1u);
  int logged = 0;
  for (int ms = 1; ms < 1000; ++ms) logged += backoff.failed(t0 + ms * 1ms, true).log_failures ? 1 : 0;
  EXPECT_EQ(logged, 0);
  EXPECT_EQ(backoff.failed(t0 + 1000ms, true).log_failures, 1000u);  // the 999 unlogged and this one
  EXPECT_FALSE(backoff.failed(t0 + 1500ms, true).log_failures);
}

TEST(DescriptorReserve, AConnectionOnOneOfTheLastDescriptorsReachesTheReserve) {
  const DescriptorReserve reserve{256, 16};
  EXPECT_FALSE(reserve.reached_by(3));
  EXPECT_FALSE(reserve.reached_by(239));  // 16 descriptors (240..255) still free above it
  EXPECT_TRUE(reserve.reached_by(240));
  EXPECT_TRUE(reserve.reached_by(255));
}

TEST(DescriptorReserve, NoLimitOrNoReserveIsNeverReached) {
  EXPECT_FALSE((DescriptorReserve{0, 16}.reached_by(100000)));
  EXPECT_FALSE((DescriptorReserve{256, 0}.reached_by(255)));
  EXPECT_FALSE((DescriptorReserve{256, 16}.reached_by(-1)));
}

}  // namespace
}  // namespace billhook::api
