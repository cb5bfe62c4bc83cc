#include "delivery/outcome.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/random.hpp"

namespace billhook::events {
// gtest prints a status by name (found by argument-dependent lookup).
[[maybe_unused]] static void PrintTo(DeliveryStatus status, std::ostream* os) { *os << to_string(status); }
}  // namespace billhook::events

namespace billhook::delivery {
namespace {

using namespace std::chrono_literals;
using events::DeliveryStatus;

// 2026-01-01T00:00:00Z: a whole second, so HTTP-dates relative to it are exact.
const core::TimePoint kNow = core::from_unix_ms(1'767'225'600'000);
const int64_t kNowMs = core::to_unix_ms(kNow);

const Schedule kSchedule = {10s, 60s, 300s};

OutboundResult answered(int status, std::vector<std::pair<std::string, std::string>> headers = {}) {
  OutboundResult r;
  r.status_code = status;
  r.error_class = status >= 200 && status < 300 ? ErrorClass::none : ErrorClass::http_status;
  r.headers = std::move(headers);
  return r;
}

OutboundResult network_error(ErrorClass error_class) {
  OutboundResult r;
  r.error_class = error_class;
  r.error_message = "no answer";
  return r;
}

// The delay chosen, in milliseconds after kNow.
int64_t delay_ms(const AttemptOutcome& outcome) { return outcome.next_attempt_ms - kNowMs; }

void expect_jittered(const AttemptOutcome& outcome, std::chrono::seconds base) {
  const auto base_ms = std::chrono::duration_cast<std::chrono::milliseconds>(base).count();
  EXPECT_EQ(outcome.status, DeliveryStatus::retrying);
  EXPECT_FALSE(outcome.exhausted);
  EXPECT_FALSE(outcome.disable.has_value());
  EXPECT_GE(delay_ms(outcome), base_ms * 8 / 10);
  EXPECT_LE(delay_ms(outcome), base_ms * 12 / 10);
}

TEST(Decide, EveryTwoHundredSucceeds) {
  core::SeededRandom random(1);
  for (int status : {200, 201, 202, 204, 299}) {
    const auto outcome = decide(answered(status), 1, kSchedule, kNow, random);
    EXPECT_EQ(outcome.status, DeliveryStatus::succeeded) << status;
    EXPECT_EQ(outcome.next_attempt_ms, 0) << status;
    EXPECT_FALSE(outcome.exhausted) << status;
    EXPECT_FALSE(outcome.disable.has_value()) << status;
  }
}

TEST(Decide, SuccessOnTheLastTryStillSucceeds) {
  core::SeededRandom random(1);
  const auto outcome = decide(answered(200), static_cast<int>(kSchedule.size()) + 1, kSchedule, kNow, random);
  EXPECT_EQ(outcome.status, DeliveryStatus::succeeded);
  EXPECT_FALSE(outcome.exhausted);
}

TEST(Decide, GoneFailsAndDisablesTheEndpoint) {
  core::SeededRandom random(1);
  for (int attempts : {1, 2, 4}) {
    const auto outcome = decide(answered(410), attempts, kSchedule, kNow, random);
    EXPECT_EQ(outcome.status, DeliveryStatus::failed);
    ASSERT_TRUE(outcome.disable.has_value());
    EXPECT_EQ(*outcome.disable, "gone");
    EXPECT_FALSE(outcome.exhausted);
    EXPECT_EQ(outcome.next_attempt_ms, 0);
  }
}

TEST(Decide, ServerErrorWaitsTheScheduledDelayWithJitter) {
  core::SeededRandom random(7);
  for (size_t n = 1; n <= kSchedule.size(); ++n) {
    SCOPED_TRACE("attempt " + std::to_string(n));
    expect_jittered(decide(answered(500), static_cast<int>(n), kSchedule, kNow, random), kSchedule[n - 1]);
  }
}

TEST(Decide, JitterSpreadsRetriesOverBothSidesOfTheDelay) {
  core::SeededRandom random(3);
  bool below = false;
  bool above = false;
  for (int i = 0; i < 200; ++i) {
    const auto outcome = decide(answered(500), 1, kSchedule, kNow, random);
    expect_jittered(outcome, 10s);
    below = below || delay_ms(outcome) < 10'000;
    above = above || delay_ms(outcome) > 10'000;
  }
  EXPECT_TRUE(below);
  EXPECT_TRUE(above);
}

TEST(Decide, ExhaustedScheduleFailsTheDelivery) {
  core::SeededRandom random(1);
  const auto outcome = decide(answered(500), static_cast<int>(kSchedule.size()) + 1, kSchedule, kNow, random);
  EXPECT_EQ(outcome.status, DeliveryStatus::failed);
  EXPECT_TRUE(outcome.exhausted);
  EXPECT_FALSE(outcome.disable.has_value());
  EXPECT_EQ(outcome.next_attempt_ms, 0);
}

TEST(Decide, ExhaustedScheduleFailsEvenWhenRetryAfterAsksForMore) {
  core::SeededRandom random(1);
  const auto outcome = decide(answered(503, {{"retry-after", "30"}}), static_cast<int>(kSchedule.size()) + 1,
                              kSchedule, kNow, random);
  EXPECT_EQ(outcome.status, DeliveryStatus::failed);
  EXPECT_TRUE(outcome.exhausted);
}

TEST(Decide, TooManyRequestsWaitsRetryAfterSeconds) {
  core::SeededRandom random(1);
  const auto outcome = decide(answered(429, {{"retry-after", "120"}}), 1, kSchedule, kNow, random);
  EXPECT_EQ(outcome.status, DeliveryStatus::retrying);
  EXPECT_EQ(delay_ms(outcome), 120'000);
}

TEST(Decide, UnavailableWaitsRetryAfterSeconds) {
  core::SeededRandom random(1);
  const auto outcome = decide(answered(503, {{"retry-after", "45"}}), 2, kSchedule, kNow, random);
  EXPECT_EQ(outcome.status, DeliveryStatus::retrying);
  EXPECT_EQ(delay_ms(outcome), 45'000);
}

TEST(Decide, RetryAfterAsAnHttpDate) {
  core::SeededRandom random(1);
  // kNow is Thu, 01 Jan 2026 00:00:00 GMT.
  const auto too_many = decide(answered(429, {{"retry-after", "Thu, 01 Jan 2026 00:01:30 GMT"}}), 1, kSchedule,
                               kNow, random);
  EXPECT_EQ(too_many.status, DeliveryStatus::retrying);
  EXPECT_EQ(delay_ms(too_many), 90'000);
  const auto unavailable = decide(answered(503, {{"retry-after", "Thu, 01 Jan 2026 01:00:00 GMT"}}), 1, kSchedule,
                                  kNow, random);
  EXPECT_EQ(unavailable.status, DeliveryStatus::retrying);
  EXPECT_EQ(delay_ms(unavailable), 3'600'000);
}

TEST(Decide, RetryAfterIsClamped) {
  core::SeededRandom random(1);
  EXPECT_EQ(delay_ms(decide(answered(429, {{"retry-after", "0"}}), 1, kSchedule, kNow, random)), 1'000);
  EXPECT_EQ(delay_ms(decide(answered(429, {{"retry-after", "9999999"}}), 1, kSchedule, kNow, random)), 86'400'000);
  // A date in the past asks for no wait at all; the minimum still applies.
  EXPECT_EQ(delay_ms(decide(answered(503, {{"retry-after", "Wed, 31 Dec 2025 00:00:00 GMT"}}), 1, kSchedule, kNow,
                            random)),
            1'000);
}

TEST(Decide, UnparsableOrMissingRetryAfterFallsBackToTheSchedule) {
  core::SeededRandom random(1);
  expect_jittered(decide(answered(429, {{"retry-after", "soon"}}), 1, kSchedule, kNow, random), 10s);
  expect_jittered(decide(answered(503), 2, kSchedule, kNow, random), 60s);
  expect_jittered(decide(answered(429, {{"x-retry-after", "5"}}), 3, kSchedule, kNow, random), 300s);
}

TEST(Decide, RetryAfterIsIgnoredOnOtherStatuses) {
  core::SeededRandom random(1);
  for (int status : {500, 502, 504, 400, 404}) {
    SCOPED_TRACE(status);
    expect_jittered(decide(answered(status, {{"retry-after", "2"}}), 2, kSchedule, kNow, random), 60s);
  }
}

TEST(Decide, RedirectIsAFailureThatRetries) {
  core::SeededRandom random(1);
  for (int status : {301, 302, 307, 308}) {
    SCOPED_TRACE(status);
    expect_jittered(decide(answered(status, {{"location", "https://elsewhere.example/"}}), 1, kSchedule, kNow, random),
                    10s);
  }
}

TEST(Decide, NetworkErrorsRetry) {
  core::SeededRandom random(1);
  for (auto error_class : {ErrorClass::dns, ErrorClass::connect, ErrorClass::tls, ErrorClass::timeout,
                           ErrorClass::ssrf_blocked, ErrorClass::response_too_large}) {
    SCOPED_TRACE(std::string(to_string(error_class)));
    expect_jittered(decide(network_error(error_class), 1, kSchedule, kNow, random), 10s);
    const auto last = decide(network_error(error_class), static_cast<int>(kSchedule.size()) + 1, kSchedule, kNow,
                             random);
    EXPECT_EQ(last.status, DeliveryStatus::failed);
    EXPECT_TRUE(last.exhausted);
  }
}

TEST(Decide, SameSeedSameDelay) {
  core::SeededRandom a(99);
  core::SeededRandom b(99);
  EXPECT_EQ(decide(answered(500), 2, kSchedule, kNow, a).next_attempt_ms,
            decide(answered(500), 2, kSchedule, kNow, b).next_attempt_ms);
}

TEST(ShouldDisableForFailing, HealthyEndpointIsNeverDisabled) {
  EXPECT_FALSE(should_disable_for_failing(0, kNowMs, 1h));
  EXPECT_FALSE(should_disable_for_failing(0, kNowMs, 0ms));
}

TEST(ShouldDisableForFailing, ExactlyAtTheThresholdDisables) {
  const int64_t since = kNowMs - 3'600'000;
  EXPECT_TRUE(should_disable_for_failing(since, kNowMs, 1h));
}

TEST(ShouldDisableForFailing, JustBelowTheThresholdDoesNot) {
  const int64_t since = kNowMs - 3'600'000 + 1;
  EXPECT_FALSE(should_disable_for_failing(since, kNowMs, 1h));
}

TEST(ShouldDisableForFailing, LongPastTheThresholdDisables) {
  EXPECT_TRUE(should_disable_for_failing(kNowMs - 6 * 86'400'000LL, kNowMs, 120h));
  EXPECT_FALSE(should_disable_for_failing(kNowMs - 4 * 86'400'000LL, kNowMs, 120h));
}

TEST(ShouldDisableForFailing, FailingJustNowIsNotYetDisabled) {
  EXPECT_FALSE(should_disable_for_failing(kNowMs, kNowMs, 1h));
}

}  // namespace
}  // namespace billhook::delivery
