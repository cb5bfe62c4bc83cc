// A wallet's top-up rules on the store, on both backends: an interval rule tops up once per interval on
// the test clock and once over a jump of several intervals; a threshold rule fires once per crossing after
// an invoice's draw and re-arms only when the balance rises above it again; a target rule buys exactly the
// gap (credits as exact decimals, money to the minor unit); a declined card fails the top-up; a restart
// does not top up again and a node holding a stale wallet loses the claim; bad rules name the field and
// change nothing.

#include <memory>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "billing/credit_service.hpp"
#include "billing/wallet_service.hpp"
#include "billing/wallet_topup.hpp"
#include "billing_fixture.hpp"
#include "core/decimal.hpp"
#include "core/described.hpp"

namespace billhook::billing::testing {
namespace {

namespace json = boost::json;

constexpr const char* kGoodCard = "4242424242424242";
constexpr const char* kDeclinedCard = "4000000000000002";

class WalletTopUpServiceTest : public BillingFixture {
 protected:
  WalletTopUpServiceTest() : BillingFixture(71) {}

  void open_services() override { wallets_ = std::make_unique<WalletService>(*service_); }
  void close_services() override { wallets_.reset(); }

  std::string customer(const char* card) {
    auto c = write([&](store::WriteTx& tx) {
      return service_->create_customer(tx, {.name = std::optional<std::string>("Ada")}, {});
    });
    EXPECT_TRUE(c.ok());
    if (!c.ok()) return {};
    AttachCard a{.customer_id = c->id, .number = card, .exp_month = 12, .exp_year = 2030, .make_default = true};
    EXPECT_TRUE(write([&](store::WriteTx& tx) { return service_->attach_card(tx, a, {}); }).ok());
    return c->id;
  }

  core::Result<Wallet> create(const json::object& body) {
    auto request = core::described::from_json<NewWallet>(body);
    if (!request) return std::move(request).error();
    return write([&](store::WriteTx& tx) { return wallets_->create(tx, *request, {}); });
  }

  core::Result<Wallet> patch(const std::string& id, const json::object& body) {
    auto change = core::described::from_json<WalletUpdate>(body);
    if (!change) return std::move(change).error();
    return write([&](store::WriteTx& tx) { return wallets_->update(tx, id, *change, {}); });
  }

  Wallet stored(const std::string& id) {
    auto found = store_->find_document(kWallets.kind, id);
    EXPECT_TRUE(found.ok() && found->has_value());
    auto w = kWallets.decode((*found)->body);
    EXPECT_TRUE(w.ok());
    return w.ok() ? *w : Wallet{};
  }

  // The wallet's transactions, oldest first.
  std::vector<WalletTransaction> transactions_of(const std::string& wallet_id) {
    auto found = write([&](store::WriteTx& tx) -> core::Result<std::vector<store::DocumentRecord>> {
      return tx.find_documents({.kind = std::string(kWalletTransactions.kind), .parent_id = wallet_id});
    });
    EXPECT_TRUE(found.ok());
    std::vector<WalletTransaction> out;
    if (!found.ok()) return out;
    for (const auto& r : *found) out.push_back(*kWalletTransactions.decode(r.body));
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return out;
  }

  std::vector<WalletTransaction> topups_of(const std::string& wallet_id) {
    std::vector<WalletTransaction> out;
    for (auto& t : transactions_of(wallet_id))
      if (t.trigger != WalletTransactionTrigger::manual) out.push_back(std::move(t));
    return out;
  }

  // An invoice issued as the server issues one: finalized, drawn on the wallets, the rest collected.
  Invoice issue_invoice(const std::string& customer_id, int64_t amount) {
    Invoice doc;
    doc.customer_id = customer_id;
    doc.currency = "EUR";
    doc.collection_method = CollectionMethod::charge_automatically;
    doc.billing_reason = BillingReason::manual;
    doc.lines.push_back(LineItem{.description = "Consulting", .quantity_milli = 1000, .unit_amount = amount});
    auto out = write([&](store::WriteTx& tx) -> core::Result<Invoice> {
      auto made = service_->create_invoice(tx, std::move(doc), /*auto_finalize=*/true, {});
      if (!made) return std::move(made).error();
      return CreditService(*service_).apply_balance(tx, made->invoice.id, /*only_if_any=*/true, {});
    });
    EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message);
    return out.ok() ? *out : Invoice{};
  }

  std::unique_ptr<WalletService> wallets_;
};

TEST_P(WalletTopUpServiceTest, AnIntervalRuleTopsUpOncePerIntervalAndOnceOverAJump) {
  const std::string c = customer(kGoodCard);
  auto wallet = create({{"customer", c},
                        {"currency", "EUR"},
                        {"rate_amount", "1"},
                        {"recurring_transaction_rules",
                         json::array{json::object{{"trigger", "interval"},
                                                  {"interval", "weekly"},
                                                  {"paid_credits", "5"},
                                                  {"granted_credits", "10"}}}}});
  ASSERT_TRUE(wallet.ok()) << wallet.error().message;
  // Shown on the wallet as given (method fixed by default); its state is not.
  const json::object shown = kWallets.api_json(*wallet);
  ASSERT_TRUE(shown.contains("recurring_transaction_rules"));
  const json::object& rule = shown.at("recurring_transaction_rules").as_array().at(0).as_object();
  EXPECT_EQ(rule.at("trigger"), "interval");
  EXPECT_EQ(rule.at("interval"), "weekly");
  EXPECT_EQ(rule.at("method"), "fixed");
  EXPECT_EQ(rule.at("paid_credits"), "5");
  EXPECT_FALSE(shown.contains("topup_state"));

  advance_days(6);
  run_scheduler();
  EXPECT_TRUE(topups_of(wallet->id).empty());
  advance_days(1);  // a week after the wallet's creation
  run_scheduler();
  auto topups = topups_of(wallet->id);
  ASSERT_EQ(topups.size(), 2u);
  EXPECT_EQ(topups[0].source, WalletTransactionSource::purchased);
  EXPECT_EQ(topups[0].status, WalletTransactionStatus::settled);
  EXPECT_TRUE(topups[0].invoice.has_value());
  EXPECT_EQ(topups[1].source, WalletTransactionSource::granted);
  for (const auto& t : topups) EXPECT_EQ(t.trigger, WalletTransactionTrigger::interval);
  EXPECT_EQ(stored(wallet->id).balance, 1500);
  run_scheduler();  // the same moment again: nothing more
  EXPECT_EQ(topups_of(wallet->id).size(), 2u);

  // Three boundaries pass while the clock is away: one top-up, for the latest.
  advance_days(21);
  run_scheduler();
  EXPECT_EQ(topups_of(wallet->id).size(), 4u);
  EXPECT_EQ(stored(wallet->id).balance, 3000);
  reopen();
  run_scheduler();
  EXPECT_EQ(topups_of(wallet->id).size(), 4u);
  // The next boundary is a week on from the last one, not from the jump.
  advance_days(6);
  run_scheduler();
  EXPECT_EQ(topups_of(wallet->id).size(), 4u);
  advance_days(1);
  run_scheduler();
  EXPECT_EQ(topups_of(wallet->id).size(), 6u);
  EXPECT_EQ(stored(wallet->id).balance, 4500);
}

TEST_P(WalletTopUpServiceTest, AMonthlyRuleRunsFromItsStartedAt) {
  const std::string c = customer(kGoodCard);
  const int64_t started = kStartMs / 1000 - 17 * kSecondsPerDay;  // 2026-10-15: next boundary 2026-11-15
  auto wallet = create({{"customer", c},
                        {"currency", "EUR"},
                        {"rate_amount", "0.5"},
                        {"recurring_transaction_rules",
                         json::array{json::object{{"trigger", "interval"},
                                                  {"interval", "monthly"},
                                                  {"started_at", started},
                                                  {"granted_credits", "4"}}}}});
  ASSERT_TRUE(wallet.ok()) << wallet.error().message;
  advance_days(13);
  run_scheduler();
  EXPECT_TRUE(topups_of(wallet->id).empty());
  advance_days(1);  // 2026-11-15
  run_scheduler();
  ASSERT_EQ(topups_of(wallet->id).size(), 1u);
  EXPECT_EQ(stored(wallet->id).balance, 200);
  advance_days(29);  // 2026-12-14
  run_scheduler();
  EXPECT_EQ(topups_of(wallet->id).size(), 1u);
  advance_days(1);  // 2026-12-15
  run_scheduler();
  EXPECT_EQ(topups_of(wallet->id).size(), 2u);
}

TEST_P(WalletTopUpServiceTest, AThresholdRuleFiresOncePerCrossingAndReArmsAboveIt) {
  const std::string c = customer(kGoodCard);
  auto wallet = create({{"customer", c},
                        {"currency", "EUR"},
                        {"rate_amount", "1"},
                        {"granted_credits", "100"},
                        {"recurring_transaction_rules",
                         json::array{json::object{
                             {"trigger", "threshold"}, {"threshold_credits", "20"}, {"granted_credits", "5"}}}}});
  ASSERT_TRUE(wallet.ok()) << wallet.error().message;
  EXPECT_TRUE(topups_of(wallet->id).empty());  // 100 is above 20
  issue_invoice(c, 8000);  // 20 left: at the level
  ASSERT_EQ(topups_of(wallet->id).size(), 1u);
  EXPECT_EQ(topups_of(wallet->id)[0].trigger, WalletTransactionTrigger::threshold);
  EXPECT_EQ(stored(wallet->id).credits_balance, "25");  // above again: re-armed
  issue_invoice(c, 1000);                               // 15: a second crossing
  EXPECT_EQ(topups_of(wallet->id).size(), 2u);
  EXPECT_EQ(stored(wallet->id).credits_balance, "20");  // the top-up leaves it at the level: not re-armed
  issue_invoice(c, 300);                                // 17: still the same crossing
  EXPECT_EQ(topups_of(wallet->id).size(), 2u);
  EXPECT_EQ(stored(wallet->id).credits_balance, "17");
  reopen();
  issue_invoice(c, 100);  // 16, after a restart: still not again
  EXPECT_EQ(topups_of(wallet->id).size(), 2u);
  // A grant takes it above the level: re-armed, and the next draw to the level fires.
  auto granted = write([&](store::WriteTx& tx) {
    return wallets_->add_transactions(tx, wallet->id, {.granted_credits = std::string("10")}, {});
  });
  ASSERT_TRUE(granted.ok()) << granted.error().message;
  EXPECT_EQ(topups_of(wallet->id).size(), 2u);  // a grant is no trigger
  issue_invoice(c, 700);                        // 19
  EXPECT_EQ(topups_of(wallet->id).size(), 3u);
  EXPECT_EQ(stored(wallet->id).credits_balance, "24");
}

TEST_P(WalletTopUpServiceTest, ATargetRuleBuysExactlyTheGap) {
  const std::string c = customer(kGoodCard);
  // A credit is worth 3.00 EUR: the gap's credits are not a whole number, its money is exact.
  auto wallet = create({{"customer", c},
                        {"currency", "EUR"},
                        {"rate_amount", "3"},
                        {"granted_credits", "30"},
                        {"recurring_transaction_rules",
                         json::array{json::object{{"trigger", "threshold"},
                                                  {"threshold_credits", "10"},
                                                  {"method", "target"},
                                                  {"target_ongoing_balance", "25"}}}}});
  ASSERT_TRUE(wallet.ok()) << wallet.error().message;
  const Invoice drawn = issue_invoice(c, 6001);  // 29.99 EUR left: 9.996666666667 credits
  EXPECT_EQ(drawn.amount_credited, 6001);
  auto topups = topups_of(wallet->id);
  ASSERT_EQ(topups.size(), 1u);
  const WalletTransaction& t = topups[0];
  EXPECT_EQ(t.source, WalletTransactionSource::purchased);
  EXPECT_EQ(t.status, WalletTransactionStatus::settled);
  EXPECT_EQ(t.amount, 4501);  // 75.00 − 29.99
  EXPECT_EQ(t.credits, "15.003333333333");
  ASSERT_TRUE(t.invoice.has_value());
  const Invoice purchase = stored_invoice(*t.invoice);
  EXPECT_EQ(purchase.billing_reason, BillingReason::credit_purchase);
  EXPECT_EQ(purchase.amount_paid, 4501);
  const Wallet w = stored(wallet->id);
  EXPECT_EQ(w.balance, 7500);
  EXPECT_EQ(w.ongoing_balance, 7500);
  EXPECT_EQ(w.ongoing_credits_balance, "25");
  // The credits at the rate are the amount to the minor unit.
  auto worth = core::Decimal::parse(t.credits)->times(*core::Decimal::parse("3"));
  ASSERT_TRUE(worth.ok());
  EXPECT_EQ(*core::to_minor_half_even(*worth, "EUR"), t.amount);
}

TEST_P(WalletTopUpServiceTest, ADeclinedCardFailsTheTopUpOnce) {
  const std::string c = customer(kDeclinedCard);
  auto wallet = create({{"customer", c},
                        {"currency", "EUR"},
                        {"rate_amount", "1"},
                        {"granted_credits", "50"},
                        {"recurring_transaction_rules",
                         json::array{json::object{
                             {"trigger", "threshold"}, {"threshold_credits", "10"}, {"paid_credits", "40"}}}}});
  ASSERT_TRUE(wallet.ok()) << wallet.error().message;
  issue_invoice(c, 4500);  // 5 left
  auto topups = topups_of(wallet->id);
  ASSERT_EQ(topups.size(), 1u);
  EXPECT_EQ(topups[0].status, WalletTransactionStatus::failed);
  EXPECT_EQ(topups[0].trigger, WalletTransactionTrigger::threshold);
  Strings types = types_of(topups[0].id);
  EXPECT_EQ(types, (Strings{"wallet_transaction.payment_failed", "wallet_transaction.updated"}));
  EXPECT_EQ(stored(wallet->id).balance, 500);
  issue_invoice(c, 100);  // still below, still disarmed: the card is not tried again
  EXPECT_EQ(topups_of(wallet->id).size(), 1u);
}

// Two nodes that both believe they lead: the second holds the wallet as it was before the first's
// top-up committed (its state says the boundary is not done), and its claim loses.
TEST_P(WalletTopUpServiceTest, AStaleNodeLosesTheClaimAndTopsUpNothing) {
  const std::string c = customer(kGoodCard);
  auto wallet = create({{"customer", c},
                        {"currency", "EUR"},
                        {"rate_amount", "1"},
                        {"recurring_transaction_rules",
                         json::array{json::object{
                             {"trigger", "interval"}, {"interval", "weekly"}, {"granted_credits", "10"}}}}});
  ASSERT_TRUE(wallet.ok()) << wallet.error().message;
  advance_days(7);
  const Wallet before = stored(wallet->id);
  run_scheduler();
  ASSERT_EQ(topups_of(wallet->id).size(), 1u);
  reopen();
  Wallet stale = before;
  stale.balance = stored(wallet->id).balance;  // only its top-up state is stale
  stale.credits_balance = stored(wallet->id).credits_balance;
  ASSERT_TRUE(write([&](store::WriteTx& tx) { return kWallets.update(tx, stale, stale.id); }).ok());
  const int64_t events = event_count();
  auto again = write([&](store::WriteTx& tx) -> core::Result<bool> {
    if (auto s = apply_interval_rules(*service_, tx, wallet->id, {}); !s) return std::move(s).error();
    return true;
  });
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "wallet_topup_claimed");
  EXPECT_EQ(topups_of(wallet->id).size(), 1u);
  EXPECT_EQ(event_count(), events);
  EXPECT_EQ(stored(wallet->id).balance, 1000);
}

TEST_P(WalletTopUpServiceTest, BadRulesNameTheFieldAndChangeNothing) {
  const std::string c = customer(kGoodCard);
  auto wallet = create({{"customer", c}, {"currency", "EUR"}, {"rate_amount", "1"}});
  ASSERT_TRUE(wallet.ok());
  const int64_t before = event_count();
  const json::object interval{{"trigger", "interval"}, {"interval", "weekly"}, {"granted_credits", "1"}};
  struct Case {
    json::array rules;
    std::string param;
  };
  std::vector<Case> cases = {
      {{json::object{{"trigger", "daily"}, {"granted_credits", "1"}}}, "recurring_transaction_rules.0.trigger"},
      {{json::object{{"trigger", "interval"}, {"granted_credits", "1"}}}, "recurring_transaction_rules.0.interval"},
      {{json::object{{"trigger", "interval"}, {"interval", "yearly"}, {"granted_credits", "1"}}},
       "recurring_transaction_rules.0.interval"},
      {{json::object{{"trigger", "threshold"}, {"granted_credits", "1"}}},
       "recurring_transaction_rules.0.threshold_credits"},
      {{json::object{{"trigger", "threshold"}, {"threshold_credits", "-1"}, {"granted_credits", "1"}}},
       "recurring_transaction_rules.0.threshold_credits"},
      {{json::object{{"trigger", "threshold"}, {"threshold_credits", "x"}, {"granted_credits", "1"}}},
       "recurring_transaction_rules.0.threshold_credits"},
      {{interval, json::object{{"trigger", "interval"}, {"interval", "weekly"}, {"method", "double"},
                               {"granted_credits", "1"}}},
       "recurring_transaction_rules.1.method"},
      {{json::object{{"trigger", "threshold"}, {"threshold_credits", "10"}, {"method", "target"},
                     {"target_ongoing_balance", "10"}}},
       "recurring_transaction_rules.0.target_ongoing_balance"},
      {{json::object{{"trigger", "interval"}, {"interval", "weekly"}, {"method", "target"}}},
       "recurring_transaction_rules.0.target_ongoing_balance"},
      {{json::object{{"trigger", "interval"}, {"interval", "weekly"}}}, "recurring_transaction_rules.0.paid_credits"},
      {{json::object{{"trigger", "interval"}, {"interval", "weekly"}, {"paid_credits", "0"}}},
       "recurring_transaction_rules.0.paid_credits"},
      {{json::object{{"trigger", "interval"}, {"interval", "weekly"}, {"granted_credits", "0.001"}}},
       "recurring_transaction_rules.0.granted_credits"},
      {{json::object{{"trigger", "interval"}, {"interval", "weekly"}, {"granted_credits", "1"}, {"every", 2}}},
       "recurring_transaction_rules.0.every"},
      {{interval, interval, interval, interval, interval, interval}, "recurring_transaction_rules"},
  };
  for (const auto& k : cases) {
    auto refused = create({{"customer", c}, {"currency", "GBP"}, {"rate_amount", "1"},
                           {"recurring_transaction_rules", k.rules}});
    ASSERT_FALSE(refused.ok()) << json::serialize(k.rules);
    EXPECT_EQ(refused.error().param, k.param) << json::serialize(k.rules);
    EXPECT_EQ(refused.error().kind, core::ErrorKind::invalid_request) << json::serialize(k.rules);
    auto patched = patch(wallet->id, {{"recurring_transaction_rules", k.rules}});
    ASSERT_FALSE(patched.ok()) << json::serialize(k.rules);
    EXPECT_EQ(patched.error().param, k.param) << json::serialize(k.rules);
  }
  EXPECT_EQ(event_count(), before);
  EXPECT_TRUE(stored(wallet->id).recurring_transaction_rules.empty());

  // Rules set by PATCH are shown; on a terminated wallet they are a conflict.
  auto set = patch(wallet->id, {{"recurring_transaction_rules", json::array{interval}}});
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(stored(wallet->id).recurring_transaction_rules.size(), 1u);
  ASSERT_TRUE(write([&](store::WriteTx& tx) { return wallets_->terminate(tx, wallet->id, {}); }).ok());
  const int64_t terminated = event_count();
  auto refused = patch(wallet->id, {{"recurring_transaction_rules", json::array{}}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, core::ErrorKind::conflict);
  EXPECT_EQ(refused.error().param, "recurring_transaction_rules");
  EXPECT_EQ(event_count(), terminated);
  // A terminated wallet is never topped up.
  advance_days(8);
  run_scheduler();
  EXPECT_TRUE(topups_of(wallet->id).empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, WalletTopUpServiceTest, kBackends, backend_name);

}  // namespace
}  // namespace billhook::billing::testing
