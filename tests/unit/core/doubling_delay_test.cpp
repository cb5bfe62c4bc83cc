#include "core/doubling_delay.hpp"

#include <gtest/gtest.h>

namespace billhook::core {
namespace {

using namespace std::chrono_literals;

TEST(DoublingDelay, DoublesFromTheFirstToTheCeilingAndStartsOverAfterASuccess) {
  DoublingDelay delay(250ms, 2s);
  EXPECT_EQ(delay.failed(), 250ms);
  EXPECT_EQ(delay.failed(), 500ms);
  EXPECT_EQ(delay.failed(), 1s);
  EXPECT_EQ(delay.failed(), 2s);
  EXPECT_EQ(delay.failed(), 2s);
  EXPECT_EQ(delay.failures(), 5);
  delay.succeeded();
  EXPECT_EQ(delay.failures(), 0);
  EXPECT_EQ(delay.failed(), 250ms);
}

TEST(DoublingDelay, ACeilingThatIsNoPowerOfTwoOfTheFirstIsReachedNotPassed) {
  DoublingDelay delay(10ms, 25ms);
  EXPECT_EQ(delay.failed(), 10ms);
  EXPECT_EQ(delay.failed(), 20ms);
  EXPECT_EQ(delay.failed(), 25ms);
  EXPECT_EQ(delay.failed(), 25ms);
}

}  // namespace
}  // namespace billhook::core
