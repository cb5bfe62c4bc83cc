// Settlement on the store, on both backends: succeeded card payments enter the batch of their payout
// day (T+2) in the change's transaction; the document clock pays the batch out on that day with one
// payment.settled per payment (batch id, gross, fee, net; schema-valid), never twice — not on a second
// pass, not after a restart, not when the payout was claimed by another node; refunds and lost
// disputes deduct; external payments are not the processor's to settle.

#include "billing/settlement_service.hpp"

#include <memory>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "credit_fixture.hpp"

namespace billhook::billing::testing {
namespace {

constexpr int64_t kDay = 86'400;
constexpr int64_t kNov1 = kStartMs / 1000;

class SettlementServiceTest : public CreditTest {
 protected:
  void open_services() override {
    CreditTest::open_services();
    settlement_ = std::make_unique<SettlementService>(*service_);
  }
  void close_services() override {
    settlement_.reset();
    CreditTest::close_services();
  }

  // An open invoice of `unit_amount` × 2 (+19 % tax) in `currency`, paid by the good card.
  std::string paid_by_card(const std::string& customer_id, int64_t unit_amount, const std::string& currency) {
    auto r = write([&](store::WriteTx& tx) {
      return service_->create_invoice(tx, document(customer_id, unit_amount, currency), true, {});
    });
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    if (!r.ok()) return {};
    auto paid = pay_card(r->invoice.id);
    EXPECT_TRUE(paid.ok()) << (paid.ok() ? "" : paid.error().message);
    EXPECT_EQ(stored_invoice(r->invoice.id).status, InvoiceStatus::paid);
    return r->invoice.id;
  }

  std::string card_customer() {
    const std::string c = customer();
    attach(c, kGoodCard);
    return c;
  }

  std::optional<SettlementBatch> batch(const std::string& id) {
    auto found = store_->find_document(kSettlementBatches.kind, id);
    EXPECT_TRUE(found.ok());
    if (!found.ok() || !*found) return std::nullopt;
    auto b = kSettlementBatches.decode((*found)->body);
    EXPECT_TRUE(b.ok());
    return b.ok() ? std::optional<SettlementBatch>(*b) : std::nullopt;
  }

  std::vector<PaymentSettlement> entries_of(const std::string& batch_id) {
    std::vector<PaymentSettlement> out;
    for (const auto& r : documents({.kind = "payment_settlement", .parent_id = batch_id})) {
      auto e = kPaymentSettlements.decode(r.body);
      EXPECT_TRUE(e.ok());
      if (e.ok()) out.push_back(*e);
    }
    return out;
  }

  // Every payment.settled stored, oldest first, each checked against its schema.
  std::vector<json::object> settled_events() {
    std::vector<json::object> out;
    auto page = store_->list_events({.page = {.limit = 100}, .type = "payment.settled"});
    EXPECT_TRUE(page.ok());
    if (!page.ok()) return out;
    for (auto it = page->items.rbegin(); it != page->items.rend(); ++it) {
      for (const auto& e : events_of(it->aggregate->id)) out.push_back(e.object);
    }
    return out;
  }

  std::unique_ptr<SettlementService> settlement_;
};

TEST_P(SettlementServiceTest, CardPaymentsArePaidOutOnTheSecondDayWithOneEventEach) {
  const std::string c = card_customer();
  clock_.advance(std::chrono::hours(13));  // 13:00 on Nov 1st
  const std::string a = paid_by_card(c, 5000, "EUR");  // 119.00: fee 3.75
  const std::string b = paid_by_card(c, 2500, "EUR");  // 59.50: 172.55 + 30 = 202.55 → 2.03
  const std::string po = settlement_batch_id(kNov1 + 2 * kDay, "EUR");
  auto pending = batch(po);
  ASSERT_TRUE(pending.has_value());
  EXPECT_EQ(pending->status, SettlementBatchStatus::pending);
  EXPECT_EQ(pending->payout_date, kNov1 + 2 * kDay);
  EXPECT_EQ(pending->payment_count, 2);
  EXPECT_EQ(pending->gross, 11900 + 5950);
  EXPECT_EQ(pending->fees, 375 + 203);
  EXPECT_EQ(pending->net, 17850 - 578);

  advance_days(1);  // Nov 2nd, 13:00: not yet
  run_scheduler();
  EXPECT_TRUE(settled_events().empty());
  advance_days(1);  // Nov 3rd, 13:00
  run_scheduler();
  auto events = settled_events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].at("object"), "payment_settlement");
  EXPECT_EQ(events[0].at("invoice"), json::value(a));
  EXPECT_EQ(events[0].at("payout"), json::value(po));
  EXPECT_EQ(events[0].at("amount"), 11900);
  EXPECT_EQ(events[0].at("fee"), 375);
  EXPECT_EQ(events[0].at("net"), 11525);
  EXPECT_EQ(events[0].at("currency"), "EUR");
  EXPECT_EQ(events[0].at("settled_at"), kNov1 + 2 * kDay + 13 * 3600);
  EXPECT_EQ(events[1].at("invoice"), json::value(b));
  EXPECT_EQ(events[1].at("fee"), 203);
  EXPECT_EQ(batch(po)->status, SettlementBatchStatus::paid);
  for (const auto& e : entries_of(po)) EXPECT_EQ(e.status, SettlementEntryStatus::settled);

  // Never twice: another pass, a restart, another day.
  run_scheduler();
  reopen();
  advance_days(3);
  run_scheduler();
  EXPECT_EQ(settled_events().size(), 2u);
}

TEST_P(SettlementServiceTest, ARefundInTheSameBatchAndALostDisputeDeduct) {
  const std::string c = card_customer();
  const std::string a = paid_by_card(c, 5000, "EUR");  // 11,900, fee 375
  auto r = refund(a, 2000);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const std::string po = settlement_batch_id(kNov1 + 2 * kDay, "EUR");
  auto same_day = batch(po);
  ASSERT_TRUE(same_day.has_value());
  EXPECT_EQ(same_day->deductions, 2000);
  EXPECT_EQ(same_day->net, 11900 - 375 - 2000);
  EXPECT_EQ(same_day->gross - same_day->fees - same_day->deductions, same_day->net);

  advance_days(1);
  const std::string d = paid_by_card(c, 1000, "EUR");  // 2,380: 69.02 + 30 → 99
  auto dispute = write([&](store::WriteTx& tx) { return credit_->open_dispute(tx, d, {}, {}); });
  ASSERT_TRUE(dispute.ok()) << dispute.error().message;
  auto lost = write([&](store::WriteTx& tx) { return credit_->close_dispute(tx, dispute->id, DisputeStatus::lost, {}); });
  ASSERT_TRUE(lost.ok()) << lost.error().message;
  const std::string next = settlement_batch_id(kNov1 + 3 * kDay, "EUR");
  auto day_two = batch(next);
  ASSERT_TRUE(day_two.has_value());
  EXPECT_EQ(day_two->gross, 2380);
  EXPECT_EQ(day_two->fees, 99);
  EXPECT_EQ(day_two->deductions, 2380);
  EXPECT_EQ(day_two->net, -99);
  ASSERT_EQ(entries_of(next).size(), 2u);

  advance_days(3);
  run_scheduler();
  auto events = settled_events();
  ASSERT_EQ(events.size(), 2u);  // payments only; the deductions are in their batches
  EXPECT_EQ(events[0].at("net"), 11525);
  EXPECT_EQ(events[1].at("payout"), json::value(next));
  EXPECT_EQ(batch(po)->status, SettlementBatchStatus::paid);
  EXPECT_EQ(batch(next)->status, SettlementBatchStatus::paid);
}

TEST_P(SettlementServiceTest, JpyAndBhdFeesInTheirMinorUnitsExternalPaymentsNotSettled) {
  const std::string c = card_customer();
  paid_by_card(c, 6193, "JPY");   // 2 × 6,193 + 19 % = 14,739.34 → 14,739 yen: 427.431 + 0.3 → 428
  paid_by_card(c, 5187, "BHD");   // 12,345.06 → 12.345 BHD: 358.005 + 300 → 658
  auto external = open_invoice(c);
  ASSERT_TRUE(pay_external(external, 11900).ok());
  const auto yen = batch(settlement_batch_id(kNov1 + 2 * kDay, "JPY"));
  const auto dinar = batch(settlement_batch_id(kNov1 + 2 * kDay, "BHD"));
  ASSERT_TRUE(yen && dinar);
  EXPECT_EQ(yen->gross, 14739);
  EXPECT_EQ(yen->fees, 428);
  EXPECT_EQ(dinar->gross, 12345);
  EXPECT_EQ(dinar->fees, 658);
  EXPECT_EQ(dinar->net, 11687);
  EXPECT_FALSE(batch(settlement_batch_id(kNov1 + 2 * kDay, "EUR")).has_value());  // the external one
}

TEST_P(SettlementServiceTest, APayoutClaimedByAnotherNodeIsNotPaidOutAgain) {
  const std::string c = card_customer();
  paid_by_card(c, 5000, "EUR");
  const std::string po = settlement_batch_id(kNov1 + 2 * kDay, "EUR");
  // Another node that believed it led paid this batch out (its claim committed).
  auto claimed = write([&](store::WriteTx& tx) { return tx.claim_once("settlement:" + po, po, kStartMs); });
  ASSERT_TRUE(claimed.ok() && *claimed);
  advance_days(2);
  await_lead();
  auto woken = write([&](store::WriteTx& tx) { return settlement_->on_wake(tx, Wake{.id = po}); });
  ASSERT_FALSE(woken.ok());
  EXPECT_EQ(woken.error().code, "settlement_batch_paid");
  EXPECT_TRUE(settled_events().empty());
  EXPECT_EQ(batch(po)->status, SettlementBatchStatus::pending);  // rolled back
}

INSTANTIATE_TEST_SUITE_P(Backends, SettlementServiceTest, kBackends, backend_name);

}  // namespace
}  // namespace billhook::billing::testing
