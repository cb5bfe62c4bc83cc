#pragma once

// The fixture every billing-service suite starts from: the billing service on a real store with a
// manual clock, each test once per backend — a fresh SQLite file, and a fresh PostgreSQL database
// (skipped with a message without BILLHOOK_TEST_DATABASE_URL, failed under CI=true; see
// support/pg_test_database.hpp). A suite derives from BillingFixture, writes TEST_P, and runs on both
// backends with
//
//   INSTANTIATE_TEST_SUITE_P(Backends, MySuite, kBackends, backend_name);

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "billing/billing_documents.hpp"
#include "billing/billing_service.hpp"
#include "billing/codec.hpp"
#include "billing/registry/document_clock.hpp"
#include "billing/registry/registry.hpp"
#include "catalog/catalog.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/random.hpp"
#include "profiles/profile.hpp"
#include "stored_events.hpp"
#include "support/wait.hpp"
#include "unit/store/store_backends.hpp"

namespace billhook::billing::testing {

inline constexpr int64_t kStartMs = 1'793'491'200'000;  // 2026-11-01T00:00:00Z

// The backends by name, as the store tests have them ("sqlite", "postgres").
inline const auto kBackends = ::testing::Values(std::string(store::SqliteBackend::kName),
                                                std::string(store::PostgresBackend::kName));

// Names each instance of a test after its backend: Backends/Suite.Test/sqlite.
inline std::string backend_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

class BillingFixture : public ::testing::TestWithParam<std::string> {
 protected:
  // `seed` makes the suite's ids.
  explicit BillingFixture(uint64_t seed) : random_{seed} {}

  void SetUp() override {
    if (GetParam() == store::PostgresBackend::kName) {
      BILLHOOK_REQUIRE_POSTGRES();
      postgres_.emplace();
    } else {
      sqlite_.emplace();
    }
    open();
  }

  void TearDown() override { close(); }

  // Opens the store on the backend's database and the services on it.
  void open() {
    store_ = sqlite_ ? sqlite_->open(clock_) : postgres_->open(clock_);
    ASSERT_NE(store_, nullptr) << "the " << GetParam() << " store did not open";
    service_ = std::make_unique<BillingService>(catalog::Catalog::builtin(), profiles::Registry::builtin(), ids_, clock_,
                                                processor_);
    open_services();
  }

  // A restart: a new store and services on the same database.
  void reopen() {
    close();
    open();
  }

  void close() {
    close_services();
    service_.reset();
    store_.reset();
  }

  // The suite's own services on store_ and service_: made after them, dropped before them.
  virtual void open_services() {}
  virtual void close_services() {}

  // Runs `f` in one write job; an error rolls the job back and comes back as the result.
  template <class F>
  auto write(F f) {
    using R = decltype(f(std::declval<store::WriteTx&>()));
    std::optional<R> out;
    (void)store_->write_and_wait([&](store::WriteTx& tx) -> core::Status {
      out.emplace(f(tx));
      if (!out->ok()) return out->error();
      return {};
    });
    return std::move(*out);
  }

  Invoice stored_invoice(const std::string& id) {
    auto found = store_->find_document(stored::kInvoice, id);
    EXPECT_TRUE(found.ok() && found->has_value());
    auto doc = decode_invoice((*found)->body);
    EXPECT_TRUE(doc.ok());
    return doc.ok() ? *doc : Invoice{};
  }

  Customer stored_customer(const std::string& id) {
    auto found = store_->find_document(stored::kCustomer, id);
    EXPECT_TRUE(found.ok() && found->has_value());
    auto doc = decode_customer((*found)->body);
    EXPECT_TRUE(doc.ok());
    return doc.ok() ? *doc : Customer{};
  }

  std::vector<StoredEvent> events_of(const std::string& aggregate_id) {
    return stored_events_of(*store_, aggregate_id);
  }

  Strings types_of(const std::string& aggregate_id) { return stored_types_of(*store_, aggregate_id); }

  static std::optional<StoredEvent> last_of(const std::vector<StoredEvent>& events, std::string_view type) {
    for (auto it = events.rbegin(); it != events.rend(); ++it)
      if (it->type == type) return *it;
    return std::nullopt;
  }

  int64_t event_count() { return *store_->count_events(); }

  void advance_days(double days) {
    clock_.advance(std::chrono::seconds(static_cast<int64_t>(days * kSecondsPerDay)));
  }

  // Time-driven work runs on the node that leads (at once on SQLite; on PostgreSQL once this node's
  // store has taken the lead, as after a real start).
  void await_lead() {
    ASSERT_TRUE(billhook::testing::wait_until([&] { return store_->runs_time_jobs(); }, std::chrono::seconds(10),
                                              "this node to lead the time-driven jobs"));
  }

  // The registered domains' services on store_ and service_, as a server makes them.
  DomainServices domain_services() {
    return document_kinds().make_services(
        {.catalog = service_->catalog(), .ids = ids_, .billing = *service_});
  }

  // One pass of the document clock with every registered handler (invoices' reminders and retries,
  // batches, refunds), as the server runs it; answers the number of events it emitted.
  int run_scheduler() {
    await_lead();
    const auto services = domain_services();
    DocumentClock clock(*store_, clock_);
    clock.on_registered(document_kinds(), services);
    const int64_t before = event_count();
    auto n = clock.run_once();
    EXPECT_TRUE(n.ok()) << (n.ok() ? "" : n.error().message);
    return n.ok() ? static_cast<int>(event_count() - before) : -1;
  }

  core::ManualClock clock_{core::from_unix_ms(kStartMs)};
  core::SeededRandom random_;
  core::IdGenerator ids_{clock_, random_};
  SandboxProcessor processor_;
  std::optional<store::SqliteBackend> sqlite_;
  std::optional<store::PostgresBackend> postgres_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<BillingService> service_;
};

}  // namespace billhook::billing::testing
