#pragma once

// The fixture of the refund, dispute, credit-note and balance tests: the billing fixture (the
// billing service on each store backend, with a manual clock) and the credit service beside it.
// events_of checks every stored event against its catalog schema and its per-aggregate sequence.

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "billing/credit_service.hpp"
#include "billing_fixture.hpp"

namespace billhook::billing::testing {

namespace json = boost::json;

inline constexpr const char* kGoodCard = "4242424242424242";
inline constexpr const char* kRefundsFailCard = "4000000000005126";

class CreditTest : public BillingFixture {
 protected:
  CreditTest() : BillingFixture(23) {}

  void open_services() override { credit_ = std::make_unique<CreditService>(*service_); }
  void close_services() override { credit_.reset(); }

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
      auto entry = kBalanceTransactions.decode(r.body);
      EXPECT_TRUE(entry.ok());
      if (entry.ok()) out.push_back(*entry);
    }
    return out;
  }

  CreditNote stored_note(const std::string& id) {
    auto found = store_->find_document("credit_note", id);
    EXPECT_TRUE(found.ok() && found->has_value());
    auto note = kCreditNotes.decode((*found)->body);
    EXPECT_TRUE(note.ok());
    return note.ok() ? *note : CreditNote{};
  }

  // The events of `aggregate_id` after the first `skip`.
  Strings types_after(const std::string& aggregate_id, size_t skip) {
    Strings all = types_of(aggregate_id);
    return Strings(all.begin() + static_cast<std::ptrdiff_t>(std::min(skip, all.size())), all.end());
  }

  std::unique_ptr<CreditService> credit_;
};

}  // namespace billhook::billing::testing
