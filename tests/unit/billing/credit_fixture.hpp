#pragma once

// The fixture of the refund, dispute, credit-note and balance tests: the billing service and the
// credit service beside it, on a real SQLite store in a temporary directory, with a manual clock.
// events_of checks every stored event against its catalog schema and its per-aggregate sequence.

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "billing/billing_scheduler.hpp"
#include "billing/billing_service.hpp"
#include "billing/codec.hpp"
#include "billing/credit_service.hpp"
#include "catalog/catalog.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/random.hpp"
#include "profiles/profile.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "stored_events.hpp"

namespace billhook::billing::testing {

namespace json = boost::json;

inline constexpr int64_t kStartMs = 1'793'491'200'000;  // 2026-11-01T00:00:00Z
inline constexpr const char* kGoodCard = "4242424242424242";
inline constexpr const char* kRefundsFailCard = "4000000000005126";

class CreditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("billhook-credit-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto opened = store::sqlite::SqliteStore::open({.path = (dir_ / "billhook.db").string()}, clock_);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(*opened);
    service_ = std::make_unique<BillingService>(catalog::Catalog::builtin(), profiles::Registry::builtin(), ids_, clock_,
                                                processor_);
    credit_ = std::make_unique<CreditService>(*service_, *store_);
  }

  void TearDown() override {
    credit_.reset();
    service_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

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

  std::string customer() {
    auto c = write([&](store::WriteTx& tx) {
      return service_->create_customer(tx, {.name = std::optional<std::string>("Ada")}, {});
    });
    EXPECT_TRUE(c.ok());
    return c.ok() ? c->id : std::string();
  }

  std::string attach(const std::string& customer_id, const char* number) {
    AttachCard card{.customer_id = customer_id, .number = number, .exp_month = 12, .exp_year = 2030,
                    .make_default = true};
    auto pm = write([&](store::WriteTx& tx) { return service_->attach_card(tx, card, {}); });
    EXPECT_TRUE(pm.ok()) << (pm.ok() ? "" : pm.error().message);
    return pm.ok() ? pm->id : std::string();
  }

  // Two lines of 5,000 at 19 % tax: a total of 11,900 (EUR unless said otherwise).
  Invoice document(const std::string& customer_id, int64_t unit_amount = 5000, std::string currency = "EUR") {
    Invoice doc;
    doc.customer_id = customer_id;
    doc.currency = std::move(currency);
    doc.lines = {LineItem{.description = "Consulting", .quantity_milli = 2000, .unit_amount = unit_amount,
                          .tax_rate_bps = 1900}};
    doc.days_until_due = 30;
    return doc;
  }

  std::string open_invoice(const std::string& customer_id, int64_t unit_amount = 5000) {
    auto r = write([&](store::WriteTx& tx) {
      return service_->create_invoice(tx, document(customer_id, unit_amount), true, {});
    });
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r->invoice.id : std::string();
  }

  std::string draft_invoice(const std::string& customer_id) {
    auto r = write([&](store::WriteTx& tx) { return service_->create_invoice(tx, document(customer_id), false, {}); });
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->invoice.id : std::string();
  }

  core::Result<InvoiceResult> pay_external(const std::string& id, int64_t amount) {
    return write([&](store::WriteTx& tx) {
      return service_->pay(tx, id, PayRequest{.external = true, .amount = amount}, {});
    });
  }

  core::Result<InvoiceResult> pay_card(const std::string& id) {
    return write([&](store::WriteTx& tx) { return service_->pay(tx, id, PayRequest{}, {}); });
  }

  core::Result<Refund> refund(const std::string& invoice_id, std::optional<int64_t> amount) {
    return write([&](store::WriteTx& tx) { return credit_->create_refund(tx, invoice_id, {.amount = amount}, {}); });
  }

  core::Result<CreditNote> credit_note(const std::string& invoice_id, int64_t total,
                                       std::optional<int64_t> refund_amount = std::nullopt,
                                       std::optional<int64_t> credit_amount = std::nullopt,
                                       std::optional<int64_t> out_of_band = std::nullopt) {
    CreditNoteCreate request{.invoice_id = invoice_id,
                             .split = {.total = total,
                                       .refund_amount = refund_amount,
                                       .credit_amount = credit_amount,
                                       .out_of_band_amount = out_of_band},
                             .reason = CreditNoteReason::order_change};
    return write([&](store::WriteTx& tx) { return credit_->create_credit_note(tx, request, {}); });
  }

  Invoice stored_invoice(const std::string& id) {
    auto found = store_->find_invoice(id);
    EXPECT_TRUE(found.ok() && found->has_value());
    auto doc = decode_invoice((*found)->body);
    EXPECT_TRUE(doc.ok());
    return doc.ok() ? *doc : Invoice{};
  }

  Customer stored_customer(const std::string& id) {
    auto found = store_->find_customer(id);
    EXPECT_TRUE(found.ok() && found->has_value());
    auto doc = decode_customer((*found)->body);
    EXPECT_TRUE(doc.ok());
    return doc.ok() ? *doc : Customer{};
  }

  // Every document of `kind` matching the filter, oldest first.
  std::vector<store::DocumentRecord> documents(store::DocumentFilter filter) {
    std::vector<store::DocumentRecord> out;
    store::DocumentQuery query{.page = {.limit = 100}, .filter = std::move(filter)};
    for (;;) {
      auto page = store_->list_documents(query);
      EXPECT_TRUE(page.ok());
      if (!page.ok()) break;
      out.insert(out.end(), page->items.begin(), page->items.end());
      if (!page->has_more || page->items.empty()) break;
      query.page.starting_after = page->items.back().id;
    }
    std::reverse(out.begin(), out.end());
    return out;
  }

  std::vector<BalanceTransaction> ledger_of(const std::string& customer_id) {
    std::vector<BalanceTransaction> out;
    for (const auto& r : documents({.kind = "balance_transaction", .customer_id = customer_id})) {
      auto entry = decode_balance_transaction(r.body);
      EXPECT_TRUE(entry.ok());
      if (entry.ok()) out.push_back(*entry);
    }
    return out;
  }

  CreditNote stored_note(const std::string& id) {
    auto found = store_->find_document("credit_note", id);
    EXPECT_TRUE(found.ok() && found->has_value());
    auto note = decode_credit_note((*found)->body);
    EXPECT_TRUE(note.ok());
    return note.ok() ? *note : CreditNote{};
  }

  std::vector<StoredEvent> events_of(const std::string& aggregate_id) {
    return testing::stored_events_of(*store_, aggregate_id);
  }

  Strings types_of(const std::string& aggregate_id) { return testing::stored_types_of(*store_, aggregate_id); }

  // The events of `aggregate_id` after the first `skip`.
  Strings types_after(const std::string& aggregate_id, size_t skip) {
    Strings all = types_of(aggregate_id);
    return Strings(all.begin() + static_cast<std::ptrdiff_t>(std::min(skip, all.size())), all.end());
  }

  static std::optional<StoredEvent> last_of(const std::vector<StoredEvent>& events, std::string_view type) {
    for (auto it = events.rbegin(); it != events.rend(); ++it)
      if (it->type == type) return *it;
    return std::nullopt;
  }

  static inline std::atomic<int> counter_{0};
  std::filesystem::path dir_;
  core::ManualClock clock_{core::from_unix_ms(kStartMs)};
  core::SeededRandom random_{23};
  core::IdGenerator ids_{clock_, random_};
  SandboxProcessor processor_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<BillingService> service_;
  std::unique_ptr<CreditService> credit_;
};

}  // namespace billhook::billing::testing
