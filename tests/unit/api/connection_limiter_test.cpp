#include "api/connection_limiter.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <thread>
#include <vector>

namespace billhook::api {
namespace {

TEST(ConnectionLimiter, AdmitsUpToTheTotalThenRefuses) {
  ConnectionLimiter limiter(3, 10);
  EXPECT_EQ(limiter.admit("10.0.0.1"), Admission::admitted);
  EXPECT_EQ(limiter.admit("10.0.0.2"), Admission::admitted);
  EXPECT_EQ(limiter.admit("10.0.0.3"), Admission::admitted);
  EXPECT_EQ(limiter.admit("10.0.0.4"), Admission::over_total);
  EXPECT_EQ(limiter.open(), 3u);
  limiter.release("10.0.0.2");
  EXPECT_EQ(limiter.admit("10.0.0.4"), Admission::admitted);
}

// A connection that replaces one being closed to make room is let past the total by as many as are
// being closed, never past its client's own cap.
TEST(ConnectionLimiter, ReplacingConnectionsPassTheTotalByTheAllowanceOnly) {
  ConnectionLimiter limiter(2, 2);
  EXPECT_EQ(limiter.admit("a"), Admission::admitted);
  EXPECT_EQ(limiter.admit("b"), Admission::admitted);
  EXPECT_EQ(limiter.admit("c"), Admission::over_total);
  EXPECT_EQ(limiter.admit("c", 1), Admission::admitted);
  EXPECT_EQ(limiter.admit("d", 1), Admission::over_total);
  EXPECT_EQ(limiter.admit("d", 2), Admission::admitted);
  EXPECT_EQ(limiter.admit("d", 5), Admission::admitted);
  EXPECT_EQ(limiter.admit("d", 5), Admission::over_client);
  EXPECT_EQ(limiter.open(), 5u);
}

// So that the server closes no connection to make room for one its client's cap refuses anyway.
TEST(ConnectionLimiter, AClientAtItsOwnCapIsRefusedAsSuchWhenTheTotalIsReachedToo) {
  ConnectionLimiter limiter(2, 1);
  EXPECT_EQ(limiter.admit("a"), Admission::admitted);
  EXPECT_EQ(limiter.admit("b"), Admission::admitted);
  EXPECT_EQ(limiter.admit("a"), Admission::over_client);
  EXPECT_EQ(limiter.admit("c"), Admission::over_total);
  EXPECT_EQ(limiter.open_from("c"), 0u);
}

TEST(ConnectionLimiter, AdmitsUpToThePerClientCapThenRefusesThatClientOnly) {
  ConnectionLimiter limiter(100, 2);
  EXPECT_EQ(limiter.admit("::1"), Admission::admitted);
  EXPECT_EQ(limiter.admit("::1"), Admission::admitted);
  EXPECT_EQ(limiter.admit("::1"), Admission::over_client);
  EXPECT_EQ(limiter.admit("127.0.0.1"), Admission::admitted);
  EXPECT_EQ(limiter.open_from("::1"), 2u);
  EXPECT_EQ(limiter.open(), 3u);
  limiter.release("::1");
  EXPECT_EQ(limiter.admit("::1"), Admission::admitted);
}

TEST(ConnectionLimiter, ARefusalTakesNoSlotAndForgetsClientsWithNothingOpen) {
  ConnectionLimiter limiter(1, 1);
  EXPECT_EQ(limiter.admit("a"), Admission::admitted);
  EXPECT_EQ(limiter.admit("b"), Admission::over_total);
  EXPECT_EQ(limiter.open_from("b"), 0u);
  limiter.release("b");  // never admitted: nothing changes
  EXPECT_EQ(limiter.open(), 1u);
  limiter.release("a");
  EXPECT_EQ(limiter.open(), 0u);
  EXPECT_EQ(limiter.open_from("a"), 0u);
  ConnectionLimiter none_per_client(5, 0);
  EXPECT_EQ(none_per_client.admit("a"), Admission::over_client);
  EXPECT_EQ(none_per_client.open(), 0u);
}

TEST(ConnectionLimiter, ASlotGivesItsPlaceBackOnceWhenDestroyed) {
  ConnectionLimiter limiter(1, 1);
  ASSERT_EQ(limiter.admit("a"), Admission::admitted);
  {
    ConnectionSlot slot(limiter, "a");
    ConnectionSlot moved(std::move(slot));
    EXPECT_EQ(limiter.open(), 1u);
  }
  EXPECT_EQ(limiter.open(), 0u);
  EXPECT_EQ(limiter.admit("a"), Admission::admitted);
}

TEST(ConnectionLimiter, CountsStayExactUnderConcurrentUse) {
  ConnectionLimiter limiter(1000, 1000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&limiter, t] {
      const std::string client = "client" + std::to_string(t % 2);
      for (int i = 0; i < 10000; ++i) {
        if (limiter.admit(client) == Admission::admitted) limiter.release(client);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(limiter.open(), 0u);
}

}  // namespace
}  // namespace billhook::api
