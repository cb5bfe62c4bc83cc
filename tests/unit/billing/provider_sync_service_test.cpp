// Mirroring customers at the payment provider, on both backends: a job written with each change of a
// mirrored field, worked by the document clock after the commit (nothing before it runs), one event
// per attempt — synced, or failed with the provider's error and retried with backoff on the test
// clock — never twice across restarts or a stale attempt, and nothing at all without a provider.

#include "billing/provider_sync_service.hpp"

#include <chrono>
#include <memory>
#include <string>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "billing/registry/document_clock.hpp"
#include "billing_fixture.hpp"

namespace billhook::billing::testing {
namespace {

namespace json = boost::json;

constexpr const char* kSynced = "customer.payment_provider_synced";
constexpr const char* kFailed = "customer.payment_provider_sync_failed";

class ProviderSyncServiceTest : public BillingFixture {
 protected:
  ProviderSyncServiceTest() : BillingFixture(31) {}

  void open_services() override {
    if (with_provider_) syncs_ = std::make_unique<ProviderSyncService>(*service_, sandbox_);
  }
  void close_services() override { syncs_.reset(); }

  int64_t now() const { return core::to_unix_ms(clock_.now()) / 1000; }
  void advance_seconds(int64_t s) { clock_.advance(std::chrono::seconds(s)); }

  std::string customer(std::optional<std::string> email) {
    CustomerChange fields{.name = std::optional<std::string>("Ada"), .email = email};
    auto c = write([&](store::WriteTx& tx) { return service_->create_customer(tx, fields, {"req_1", ""}); });
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
    return c.ok() ? c->id : std::string();
  }

  void change(const std::string& id, CustomerChange change) {
    auto c = write([&](store::WriteTx& tx) { return service_->update_customer(tx, id, change, {"req_2", ""}); });
    ASSERT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  }

  // One pass of the document clock with the job's handler; answers the transactions committed.
  int run_clock() {
    if (!syncs_) return 0;
    await_lead();
    DocumentClock documents(*store_, clock_);
    documents.on(kProviderSyncs.kind,
                 [&](store::WriteTx& tx, const Wake& wake) { return syncs_->on_wake(tx, wake); });
    auto n = documents.run_once();
    EXPECT_TRUE(n.ok()) << (n.ok() ? "" : n.error().message);
    return n.ok() ? *n : -1;
  }

  std::optional<ProviderSync> job_of(const std::string& customer_id) {
    auto found = store_->find_document(kProviderSyncs.kind, provider_sync_id(customer_id));
    EXPECT_TRUE(found.ok());
    if (!found.ok() || !found->has_value()) return std::nullopt;
    auto doc = kProviderSyncs.decode((*found)->body);
    EXPECT_TRUE(doc.ok());
    return doc.ok() ? std::optional<ProviderSync>(*doc) : std::nullopt;
  }

  static json::object provider_of(const StoredEvent& e) { return e.object.at("payment_provider").as_object(); }

  bool with_provider_ = true;
  SandboxPaymentProvider sandbox_;
  std::unique_ptr<ProviderSyncService> syncs_;
};

TEST_P(ProviderSyncServiceTest, ANewCustomerIsSyncedOnceAfterTheClockRunsAndNotBefore) {
  const std::string id = customer("ada@example.test");
  EXPECT_EQ(types_of(id), Strings({"customer.created"})) << "nothing is sent in the customer's transaction";
  auto job = job_of(id);
  ASSERT_TRUE(job.has_value()) << "the job is written with the customer";
  EXPECT_EQ(job->status, ProviderSyncStatus::pending);
  EXPECT_EQ(job->next_attempt_at, now());

  EXPECT_EQ(run_clock(), 1);
  const auto events = events_of(id);
  ASSERT_EQ(types_of(id), Strings({"customer.created", kSynced}));
  const auto provider = provider_of(events.back());
  EXPECT_EQ(provider.at("name"), "sandbox");
  EXPECT_EQ(provider.at("customer_id"), json::value(sandbox_customer_id(id)));
  EXPECT_EQ(provider.at("synced_at"), json::value(now()));
  EXPECT_TRUE(provider.at("error").is_null());
  EXPECT_EQ(events.back().object.at("email"), "ada@example.test") << "the customer's JSON, as it is";
  job = job_of(id);
  EXPECT_EQ(job->status, ProviderSyncStatus::synced);
  EXPECT_EQ(job->synced_version, 1);
  EXPECT_EQ(job->provider_customer_id, sandbox_customer_id(id));
  EXPECT_EQ(job->next_attempt_at, std::nullopt);

  EXPECT_EQ(run_clock(), 0);
  reopen();
  advance_seconds(86'400);
  EXPECT_EQ(run_clock(), 0) << "a restart sends nothing again";
  EXPECT_EQ(types_of(id).size(), 2u);
}

TEST_P(ProviderSyncServiceTest, AChangeIsSyncedAgainAsANewVersionButABalanceMoveIsNot) {
  const std::string id = customer("ada@example.test");
  EXPECT_EQ(run_clock(), 1);
  advance_seconds(10);
  change(id, {.name = std::optional<std::string>("Ada Lovelace"), .currency = std::optional<std::string>("USD")});
  EXPECT_EQ(job_of(id)->version, 2);
  EXPECT_EQ(job_of(id)->status, ProviderSyncStatus::pending);
  EXPECT_EQ(run_clock(), 1);
  const auto events = events_of(id);
  ASSERT_EQ(types_of(id), Strings({"customer.created", kSynced, "customer.updated", kSynced}));
  EXPECT_EQ(events.back().object.at("name"), "Ada Lovelace");
  EXPECT_EQ(provider_of(events.back()).at("customer_id"), json::value(sandbox_customer_id(id)))
      << "the provider's customer is updated, not made again";
  EXPECT_EQ(job_of(id)->synced_version, 2);

  auto moved = write([&](store::WriteTx& tx) {
    return service_->move_balance(tx, id, -500, BalanceEntryType::overpayment, "USD", std::nullopt, std::nullopt, {});
  });
  ASSERT_TRUE(moved.ok()) << (moved.ok() ? "" : moved.error().message);
  EXPECT_EQ(types_of(id).back(), "customer.updated");
  EXPECT_EQ(job_of(id)->version, 2) << "the balance is not the provider's";
  EXPECT_EQ(job_of(id)->status, ProviderSyncStatus::synced);
  EXPECT_EQ(run_clock(), 0);
}

TEST_P(ProviderSyncServiceTest, ARefusalIsRetriedWithBackoffUntilTheCustomerIsFixed) {
  const std::string id = customer("ada@fail.test");
  EXPECT_EQ(run_clock(), 1);
  auto events = events_of(id);
  ASSERT_EQ(types_of(id), Strings({"customer.created", kFailed}));
  const auto error = provider_of(events.back()).at("error").as_object();
  EXPECT_EQ(error.at("code"), "email_rejected");
  EXPECT_EQ(error.at("param"), "email");
  EXPECT_TRUE(provider_of(events.back()).at("customer_id").is_null());
  auto job = job_of(id);
  EXPECT_EQ(job->status, ProviderSyncStatus::failed);
  EXPECT_EQ(job->attempts, 1);
  EXPECT_EQ(job->next_attempt_at, now() + 60);
  ASSERT_TRUE(job->last_error.has_value());
  EXPECT_EQ(job->last_error->code, "email_rejected");

  advance_seconds(59);
  EXPECT_EQ(run_clock(), 0) << "a minute has not passed";
  advance_seconds(1);
  reopen();  // a restart between attempts loses nothing and repeats nothing
  EXPECT_EQ(run_clock(), 1);
  EXPECT_EQ(job_of(id)->attempts, 2);
  EXPECT_EQ(job_of(id)->next_attempt_at, now() + 300);
  advance_seconds(299);
  EXPECT_EQ(run_clock(), 0);
  advance_seconds(1);
  EXPECT_EQ(run_clock(), 1);
  EXPECT_EQ(job_of(id)->next_attempt_at, now() + 1800);
  ASSERT_EQ(types_of(id), Strings({"customer.created", kFailed, kFailed, kFailed}));

  change(id, {.email = std::optional<std::string>("ada@example.test")});
  job = job_of(id);
  EXPECT_EQ(job->attempts, 0) << "a newer change starts over";
  EXPECT_EQ(job->next_attempt_at, now()) << "and is due at once";
  EXPECT_EQ(run_clock(), 1);
  events = events_of(id);
  ASSERT_EQ(types_of(id), Strings({"customer.created", kFailed, kFailed, kFailed, "customer.updated", kSynced}));
  EXPECT_TRUE(provider_of(events.back()).at("error").is_null());
  EXPECT_EQ(job_of(id)->last_error, std::nullopt);
  advance_seconds(7200);
  EXPECT_EQ(run_clock(), 0) << "the old retry is gone with the failure";
}

TEST_P(ProviderSyncServiceTest, AfterTheLastAttemptItWaitsForAChangeOrARetry) {
  const std::string id = customer("ada@fail.test");
  for (int64_t n = 1; n <= kMaxProviderSyncAttempts; ++n) {
    EXPECT_EQ(run_clock(), 1) << "attempt " << n;
    advance_seconds(7200);
  }
  auto job = job_of(id);
  EXPECT_EQ(job->attempts, kMaxProviderSyncAttempts);
  EXPECT_EQ(job->next_attempt_at, std::nullopt);
  advance_seconds(30 * 86'400);
  EXPECT_EQ(run_clock(), 0) << "given up";
  EXPECT_EQ(types_of(id).size(), 1u + kMaxProviderSyncAttempts);

  auto retried = write([&](store::WriteTx& tx) { return syncs_->retry(tx, job->id); });
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(retried->attempts, 0);
  EXPECT_EQ(retried->next_attempt_at, now());
  EXPECT_EQ(run_clock(), 1);
  EXPECT_EQ(types_of(id).back(), kFailed);
  EXPECT_EQ(job_of(id)->next_attempt_at, now() + 60) << "the backoff starts over";

  change(id, {.email = std::optional<std::string>("ada@example.test")});
  EXPECT_EQ(run_clock(), 1);
  auto again = write([&](store::WriteTx& tx) { return syncs_->retry(tx, job->id); });
  ASSERT_FALSE(again.ok()) << "a synced version is never sent twice";
  EXPECT_EQ(again.error().code, "provider_sync_not_failed");
  auto unknown = write([&](store::WriteTx& tx) { return syncs_->retry(tx, "psync_01KEQR1700HAGS0WWVQ3GT9HM6"); });
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, "provider_sync_not_found");
}

TEST_P(ProviderSyncServiceTest, AnAttemptAnotherNodeAlreadyMadeRollsBackAndSendsNothing) {
  const std::string id = customer("ada@example.test");
  // What a second node that took the same attempt has left: its claim on the attempt.
  auto claimed = write([&](store::WriteTx& tx) {
    return tx.claim_once(fmt::format("{}:provider_sync:1:1", id), provider_sync_id(id), now() * 1000);
  });
  ASSERT_TRUE(claimed.ok() && *claimed);
  EXPECT_EQ(run_clock(), 0) << "the attempt's transaction rolled back";
  EXPECT_EQ(types_of(id), Strings({"customer.created"}));
  EXPECT_EQ(job_of(id)->status, ProviderSyncStatus::pending);
}

TEST_P(ProviderSyncServiceTest, WithoutAProviderThereIsNoJobAndNoEvent) {
  with_provider_ = false;
  reopen();
  const std::string id = customer("ada@fail.test");
  change(id, {.name = std::optional<std::string>("Ada Lovelace")});
  EXPECT_EQ(job_of(id), std::nullopt);
  EXPECT_EQ(run_scheduler(), 0);
  EXPECT_EQ(types_of(id), Strings({"customer.created", "customer.updated"}));
  // The server makes the service only with a provider (DomainDeps::payment_provider).
  EXPECT_EQ(domain_services().find<ProviderSyncService>(), nullptr);
  auto with = document_kinds().make_services(
      {.catalog = service_->catalog(), .ids = ids_, .billing = *service_, .payment_provider = &sandbox_});
  EXPECT_NE(with.find<ProviderSyncService>(), nullptr);
}

INSTANTIATE_TEST_SUITE_P(Backends, ProviderSyncServiceTest, kBackends, backend_name);

}  // namespace
}  // namespace billhook::billing::testing
