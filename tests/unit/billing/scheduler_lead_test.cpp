// The document clock (what time does to invoices, batches, refunds, …) with several nodes on one
// PostgreSQL database: only the node that leads the time-driven jobs runs its passes, and when that
// node goes away another takes over.
#include <atomic>
#include <chrono>

#include <gtest/gtest.h>

#include "billing/billing_service.hpp"
#include "billing/registry/document_clock.hpp"
#include "billing/registry/registry.hpp"
#include "catalog/catalog.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/random.hpp"
#include "profiles/profile.hpp"
#include "store/postgres/pg_store.hpp"
#include "support/forwarding_store.hpp"
#include "support/pg_test_database.hpp"
#include "support/wait.hpp"

namespace billhook::billing {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kStartMs = 1'793'491'200'000;  // 2026-11-01T00:00:00Z

using testing::wait_until;

// A node's store that counts how often its scheduler asked whether it leads: once it has asked
// twice, the pass it might have run after the first answer is over.
class LeadWatch final : public testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  bool runs_time_jobs() override {
    const bool leads = inner_.runs_time_jobs();
    ++asked_;
    return leads;
  }
  int asked() const { return asked_.load(); }

 private:
  std::atomic<int> asked_{0};
};

TEST(SchedulerLeadTest, OnlyTheLeadingNodeRunsPassesAndAnotherTakesOverWhenItGoes) {
  BILLHOOK_REQUIRE_POSTGRES();
  testing::PgTestDatabase database;
  ASSERT_TRUE(database.available()) << database.error();
  core::ManualClock clock{core::from_unix_ms(kStartMs)};
  core::SeededRandom random{3};
  core::IdGenerator ids{clock, random};
  SandboxProcessor processor;
  BillingService service(catalog::Catalog::builtin(), profiles::Registry::builtin(), ids, clock, processor);

  auto open = [&] {
    auto store = store::postgres::PostgresStore::open({.url = database.url(), .pool_size = 2}, clock);
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::move(*store) : nullptr;
  };
  auto leader = open();
  ASSERT_NE(leader, nullptr);
  ASSERT_TRUE(wait_until([&] { return leader->runs_time_jobs(); }, 10s, "the first node to lead"));
  auto follower = open();
  ASSERT_NE(follower, nullptr);

  // An invoice due in ten days; 7.5 days on, its "will be due" notice is owed.
  std::string invoice_id;
  ASSERT_TRUE(follower
                  ->write_and_wait([&](store::WriteTx& tx) -> core::Status {
                    auto customer = service.create_customer(tx, {.name = std::optional<std::string>("Ada")}, {});
                    if (!customer) return std::move(customer).error();
                    Invoice doc;
                    doc.customer_id = customer->id;
                    doc.currency = "EUR";
                    doc.collection_method = CollectionMethod::send_invoice;
                    doc.days_until_due = 10;
                    doc.lines = {LineItem{.description = "Hosting", .unit_amount = 2500}};
                    auto created = service.create_invoice(tx, doc, true, {});
                    if (!created) return std::move(created).error();
                    invoice_id = created->invoice.id;
                    return {};
                  })
                  .ok());
  clock.advance(std::chrono::hours(24 * 7 + 12));
  auto notices = [&] {
    auto page = follower->list_events({.page = {.limit = 100}, .type = "invoice.will_be_due", .aggregate_id = invoice_id});
    return page.ok() ? page->items.size() : size_t{0};
  };

  // The follower's scheduler polls every 20 ms, but does nothing while the other node leads: after
  // it has looked at the lead several times, no pass has run.
  LeadWatch follower_node(*follower);
  const auto services = document_kinds().make_services(
      {.catalog = service.catalog(), .ids = ids, .billing = service});
  DocumentClock scheduler(follower_node, clock, 20ms);
  scheduler.on_registered(document_kinds(), services);
  scheduler.start();
  ASSERT_TRUE(wait_until([&] { return follower_node.asked() >= 5; }, 10s,
                         "the follower's scheduler to look at the lead five times"));
  EXPECT_EQ(notices(), 0u) << "a node that does not lead ran the time-driven jobs";

  leader.reset();  // the leading node goes away
  EXPECT_TRUE(wait_until([&] { return notices() == 1; }, 10s, "the remaining node to take over and send the notice"));
  scheduler.stop();
}

}  // namespace
}  // namespace billhook::billing
