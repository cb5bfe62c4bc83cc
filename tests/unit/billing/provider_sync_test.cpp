// The provider sync job and the sandbox provider as pure functions: the backoff schedule, what makes a
// new version, the outcomes' effect on the job, and the sandbox's deterministic replies.

#include "billing/provider_sync.hpp"

#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "billing/payment_provider.hpp"

namespace billhook::billing {
namespace {

namespace json = boost::json;

constexpr int64_t kNow = 1'793'491'200;
const std::string kCustomer = "cus_01KEQR1700HAGS0WWVQ3GT9HM6";

json::object customer_json(std::string email, int64_t balance = 0) {
  return json::object{{"id", kCustomer}, {"object", "customer"}, {"name", "Ada"}, {"email", email},
                      {"balance", balance}, {"metadata", json::object{}}, {"created", kNow}};
}

ProviderError refusal() { return {.code = "email_rejected", .message = "no", .param = "email"}; }

TEST(ProviderSyncRetryDelay, OneMinuteFiveMinutesHalfAnHourTwoHoursTwiceThenNone) {
  EXPECT_EQ(provider_sync_retry_delay(0), std::nullopt);
  EXPECT_EQ(provider_sync_retry_delay(1), 60);
  EXPECT_EQ(provider_sync_retry_delay(2), 300);
  EXPECT_EQ(provider_sync_retry_delay(3), 1800);
  EXPECT_EQ(provider_sync_retry_delay(4), 7200);
  EXPECT_EQ(provider_sync_retry_delay(5), 7200);
  EXPECT_EQ(provider_sync_retry_delay(6), std::nullopt);
  EXPECT_EQ(kMaxProviderSyncAttempts, 6);
}

TEST(ProviderSync, IdIsTheCustomersUlidUnderItsOwnPrefix) {
  EXPECT_EQ(provider_sync_id(kCustomer), "psync_01KEQR1700HAGS0WWVQ3GT9HM6");
  EXPECT_TRUE(core::is_valid_id(core::IdKind::provider_sync, provider_sync_id(kCustomer)));
}

TEST(ProviderSync, ANewJobWantsVersionOneNow) {
  const auto sync = new_provider_sync(kCustomer, "sandbox", "fp", kNow);
  EXPECT_EQ(sync.status, ProviderSyncStatus::pending);
  EXPECT_EQ(sync.version, 1);
  EXPECT_EQ(sync.next_attempt_at, kNow);
  EXPECT_EQ(kProviderSyncs.record(sync, sync.id, 0).wake_at, kNow);
  EXPECT_EQ(kProviderSyncs.record(sync, sync.id, 0).customer_id, kCustomer);
}

TEST(ProviderSync, OnlyAChangeOfAMirroredFieldIsANewVersion) {
  auto sync = new_provider_sync(kCustomer, "sandbox", mirrored_fingerprint(customer_json("a@x.test")), kNow);
  record_synced(sync, "sbx_cus_1", kNow);
  EXPECT_FALSE(want_version(sync, mirrored_fingerprint(customer_json("a@x.test", -500)), kNow + 1))
      << "the balance is not the provider's";
  EXPECT_EQ(sync.version, 1);
  EXPECT_EQ(sync.status, ProviderSyncStatus::synced);
  EXPECT_TRUE(want_version(sync, mirrored_fingerprint(customer_json("b@x.test")), kNow + 2));
  EXPECT_EQ(sync.version, 2);
  EXPECT_EQ(sync.status, ProviderSyncStatus::pending);
  EXPECT_EQ(sync.next_attempt_at, kNow + 2);
  EXPECT_EQ(sync.synced_version, 1);
}

TEST(ProviderSync, FailuresBackOffUntilTheAttemptsAreUsedUpAndAChangeStartsOver) {
  auto sync = new_provider_sync(kCustomer, "sandbox", "fp1", kNow);
  int64_t at = kNow;
  for (int64_t n = 1; n <= kMaxProviderSyncAttempts; ++n) {
    record_failed(sync, refusal(), at);
    EXPECT_EQ(sync.status, ProviderSyncStatus::failed);
    EXPECT_EQ(sync.attempts, n);
    EXPECT_EQ(sync.tries, n);
    ASSERT_EQ(sync.last_error, refusal());
    if (n < kMaxProviderSyncAttempts) {
      EXPECT_EQ(sync.next_attempt_at, at + kProviderSyncRetryDelays[static_cast<size_t>(n - 1)]);
      at = *sync.next_attempt_at;
    } else {
      EXPECT_EQ(sync.next_attempt_at, std::nullopt) << "given up";
    }
  }
  EXPECT_TRUE(want_version(sync, "fp2", at + 10));
  EXPECT_EQ(sync.attempts, 0);
  EXPECT_EQ(sync.tries, kMaxProviderSyncAttempts) << "attempt numbers keep counting: each is claimed once";
  record_synced(sync, "sbx_cus_1", at + 10);
  EXPECT_EQ(sync.status, ProviderSyncStatus::synced);
  EXPECT_EQ(sync.synced_version, 2);
  EXPECT_EQ(sync.last_error, std::nullopt);
  EXPECT_EQ(sync.next_attempt_at, std::nullopt);
}

TEST(ProviderSync, OnlyAFailedJobCanBeRetried) {
  auto sync = new_provider_sync(kCustomer, "sandbox", "fp", kNow);
  EXPECT_FALSE(retry_now(sync, kNow)) << "pending";
  record_failed(sync, refusal(), kNow);
  record_failed(sync, refusal(), kNow + 60);
  EXPECT_TRUE(retry_now(sync, kNow + 70));
  EXPECT_EQ(sync.attempts, 0);
  EXPECT_EQ(sync.next_attempt_at, kNow + 70);
  record_synced(sync, "sbx_cus_1", kNow + 70);
  EXPECT_FALSE(retry_now(sync, kNow + 80)) << "synced";
  EXPECT_EQ(sync.next_attempt_at, std::nullopt);
}

TEST(SandboxPaymentProvider, DerivesItsIdFromOursAndKeepsAKnownOne) {
  SandboxPaymentProvider sandbox;
  Customer c{.id = kCustomer, .email = std::string("ada@example.test")};
  const auto created = sandbox.mirror_customer(c, std::nullopt);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(*created.customer_id, "sbx_cus_01KEQR1700HAGS0WWVQ3GT9HM6");
  EXPECT_EQ(sandbox.mirror_customer(c, std::nullopt).customer_id, created.customer_id) << "deterministic";
  EXPECT_EQ(*sandbox.mirror_customer(c, "sbx_cus_kept").customer_id, "sbx_cus_kept");
  c.email.reset();
  EXPECT_TRUE(sandbox.mirror_customer(c, std::nullopt).ok()) << "no email is no reason to refuse";
}

TEST(SandboxPaymentProvider, RefusesEmailsEndingInFailTestWhateverTheirCase) {
  SandboxPaymentProvider sandbox;
  for (std::string email : {"ada@fail.test", "ADA@Fail.TEST"}) {
    const auto reply = sandbox.mirror_customer(Customer{.id = kCustomer, .email = email}, "sbx_cus_kept");
    EXPECT_FALSE(reply.ok()) << email;
    ASSERT_TRUE(reply.error.has_value()) << email;
    EXPECT_EQ(reply.error->code, "email_rejected");
    EXPECT_EQ(reply.error->param, "email");
    EXPECT_NE(reply.error->message.find("@fail.test"), std::string::npos);
  }
  EXPECT_TRUE(sandbox.mirror_customer(Customer{.id = kCustomer, .email = std::string("ada@fail.test.example")},
                                      std::nullopt)
                  .ok());
}

}  // namespace
}  // namespace billhook::billing
