// A wallet's ongoing balance as usage arrives, on both backends: each intake prices the subscription's
// usage from the running aggregates and lowers the ongoing balance (not the balance); crossing zero sends
// wallet.balance_depleted once; the invoice that closes the period draws the wallet and the ongoing
// balance no longer counts the usage it billed.

#include <memory>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "billing/billable_metric_service.hpp"
#include "billing/subscription_service.hpp"
#include "billing/usage_service.hpp"
#include "billing/wallet_service.hpp"
#include "billing_fixture.hpp"
#include "core/described.hpp"

namespace billhook::billing::testing {
namespace {

namespace json = boost::json;

class WalletUsageServiceTest : public BillingFixture {
 protected:
  WalletUsageServiceTest() : BillingFixture(67) {}

  void open_services() override {
    subs_ = std::make_unique<SubscriptionService>(*service_, 0, 14);
    metrics_ = std::make_unique<BillableMetricService>(*service_);
    usage_ = std::make_unique<UsageService>(*service_);
    wallets_ = std::make_unique<WalletService>(*service_);
  }
  void close_services() override {
    wallets_.reset();
    usage_.reset();
    metrics_.reset();
    subs_.reset();
  }

  Wallet stored(const std::string& id) {
    auto found = store_->find_document(kWallets.kind, id);
    EXPECT_TRUE(found.ok() && found->has_value());
    auto w = kWallets.decode((*found)->body);
    EXPECT_TRUE(w.ok());
    return w.ok() ? *w : Wallet{};
  }

  void calls(const std::string& sub, const std::string& transaction_id, const std::string& n) {
    UsageEventInput e{.transaction_id = transaction_id,
                      .code = "calls",
                      .external_subscription_id = sub,
                      .external_customer_id = {},
                      .timestamp = std::nullopt,
                      .properties = {{"n", n}},
                      .properties_json = json::serialize(json::object{{"n", n}})};
    std::vector<UsageEventInput> events{e};
    auto in = write([&](store::WriteTx& tx) { return usage_->ingest(tx, events, "events"); });
    ASSERT_TRUE(in.ok()) << in.error().message;
  }

  int depletions(const std::string& wallet_id) {
    int n = 0;
    for (const auto& t : types_of(wallet_id)) n += t == "wallet.balance_depleted";
    return n;
  }

  std::unique_ptr<SubscriptionService> subs_;
  std::unique_ptr<BillableMetricService> metrics_;
  std::unique_ptr<UsageService> usage_;
  std::unique_ptr<WalletService> wallets_;
};

TEST_P(WalletUsageServiceTest, UsageLowersTheOngoingBalanceAndTheClosingInvoiceDrawsTheWallet) {
  auto metric = core::described::from_json<NewBillableMetric>(
      json::object{{"code", "calls"}, {"name", "Calls"}, {"aggregation_type", "sum"}, {"field_name", "n"}});
  ASSERT_TRUE(metric.ok()) << metric.error().message;
  ASSERT_TRUE(write([&](store::WriteTx& tx) { return metrics_->create(tx, *metric, {}); }).ok());
  auto customer = write([&](store::WriteTx& tx) {
    return service_->create_customer(tx, {.name = std::optional<std::string>("Ada")}, {});
  });
  ASSERT_TRUE(customer.ok());
  AttachCard card{.customer_id = customer->id, .number = "4242424242424242", .exp_month = 12, .exp_year = 2030,
                  .make_default = true};
  ASSERT_TRUE(write([&](store::WriteTx& tx) { return service_->attach_card(tx, card, {}); }).ok());
  json::object plan_body{{"code", "calls"}, {"name", "Calls"}, {"interval", "month"}, {"amount", 0},
                         {"currency", "USD"},
                         {"pay_in_advance", false},
                         {"charges", json::array{json::object{{"billable_metric", "calls"},
                                                              {"charge_model", "standard"},
                                                              {"properties", {{"amount", "0.25"}}}}}}};
  auto plan = write([&](store::WriteTx& tx) { return subs_->create_plan(tx, plan_body); });
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  auto sub = write([&](store::WriteTx& tx) {
    return subs_->create(tx, NewSubscription{.customer = customer->id, .plan = plan->id}, {});
  });
  ASSERT_TRUE(sub.ok()) << sub.error().message;
  auto request = core::described::from_json<NewWallet>(
      json::object{{"customer", customer->id}, {"currency", "USD"}, {"rate_amount", "0.1"}, {"granted_credits", "200"}});
  ASSERT_TRUE(request.ok());
  auto wallet = write([&](store::WriteTx& tx) { return wallets_->create(tx, *request, {}); });
  ASSERT_TRUE(wallet.ok()) << wallet.error().message;
  const std::string sub_id = sub->subscription.id;

  calls(sub_id, "c1", "40");  // 10.00 of the wallet's 20.00
  Wallet w = stored(wallet->id);
  EXPECT_EQ(w.balance, 2000);
  EXPECT_EQ(w.ongoing_balance, 1000);
  EXPECT_EQ(w.ongoing_credits_balance, "100");
  EXPECT_EQ(depletions(wallet->id), 0);
  calls(sub_id, "c2", "44");  // 21.00: below zero
  w = stored(wallet->id);
  EXPECT_EQ(w.ongoing_balance, -100);
  EXPECT_EQ(w.balance, 2000);
  EXPECT_EQ(depletions(wallet->id), 1);
  calls(sub_id, "c3", "4");  // still below: not again
  EXPECT_EQ(stored(wallet->id).ongoing_balance, -200);
  EXPECT_EQ(depletions(wallet->id), 1);
  // Usage moves only the ongoing balance: no wallet.updated per intake.
  EXPECT_EQ(types_of(wallet->id),
            (Strings{"wallet.created", "wallet.updated", "wallet.balance_depleted"}));

  // The period closes: 88 calls are 22.00, the wallet's 20.00 first, the card the rest.
  advance_days(31);
  run_scheduler();
  w = stored(wallet->id);
  EXPECT_EQ(w.balance, 0);
  EXPECT_EQ(w.consumed_amount, 2000);
  EXPECT_EQ(w.ongoing_balance, 0);  // the usage is invoiced: no longer accrued
  EXPECT_EQ(depletions(wallet->id), 1);
  int64_t credited = 0, paid = 0;
  auto invoices = write([&](store::WriteTx& tx) -> core::Result<std::vector<store::DocumentRecord>> {
    return tx.find_documents({.kind = std::string(stored::kInvoice), .customer_id = customer->id});
  });
  ASSERT_TRUE(invoices.ok());
  for (const auto& r : *invoices) {
    const Invoice inv = *decode_invoice(r.body);
    credited += inv.amount_credited;
    paid += inv.amount_paid;
  }
  EXPECT_EQ(credited, 2000);
  EXPECT_EQ(paid, 200);

  // Usage in the new period counts again, against what is left (nothing): depleted is not re-armed by 0.
  calls(sub_id, "c4", "8");
  EXPECT_EQ(stored(wallet->id).ongoing_balance, -200);
  EXPECT_EQ(depletions(wallet->id), 1);
}

// A threshold top-up rule after usage intakes: the intake that takes the ongoing credits to the level
// grants once; more usage below it, also after a restart, does not; the rule re-arms only above it.
TEST_P(WalletUsageServiceTest, UsageToAThresholdTopsUpOncePerCrossing) {
  auto metric = core::described::from_json<NewBillableMetric>(
      json::object{{"code", "calls"}, {"name", "Calls"}, {"aggregation_type", "sum"}, {"field_name", "n"}});
  ASSERT_TRUE(metric.ok()) << metric.error().message;
  ASSERT_TRUE(write([&](store::WriteTx& tx) { return metrics_->create(tx, *metric, {}); }).ok());
  auto customer = write([&](store::WriteTx& tx) {
    return service_->create_customer(tx, {.name = std::optional<std::string>("Ada")}, {});
  });
  ASSERT_TRUE(customer.ok());
  json::object plan_body{{"code", "calls"}, {"name", "Calls"}, {"interval", "month"}, {"amount", 0},
                         {"currency", "USD"},
                         {"pay_in_advance", false},
                         {"charges", json::array{json::object{{"billable_metric", "calls"},
                                                              {"charge_model", "standard"},
                                                              {"properties", {{"amount", "0.25"}}}}}}};
  auto plan = write([&](store::WriteTx& tx) { return subs_->create_plan(tx, plan_body); });
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  auto sub = write([&](store::WriteTx& tx) {
    return subs_->create(tx, NewSubscription{.customer = customer->id, .plan = plan->id}, {});
  });
  ASSERT_TRUE(sub.ok()) << sub.error().message;
  // 200 credits of 0.10; below 50 credits (5.00), 30 credits are given.
  auto request = core::described::from_json<NewWallet>(json::object{
      {"customer", customer->id}, {"currency", "USD"}, {"rate_amount", "0.1"}, {"granted_credits", "200"},
      {"recurring_transaction_rules",
       json::array{json::object{{"trigger", "threshold"}, {"threshold_credits", "50"}, {"granted_credits", "30"}}}}});
  ASSERT_TRUE(request.ok()) << request.error().message;
  auto wallet = write([&](store::WriteTx& tx) { return wallets_->create(tx, *request, {}); });
  ASSERT_TRUE(wallet.ok()) << wallet.error().message;
  const std::string sub_id = sub->subscription.id;
  const auto granted = [&] { return stored(wallet->id).balance; };

  calls(sub_id, "t1", "40");  // 10.00 used: 100 credits, above 50
  EXPECT_EQ(granted(), 2000);
  calls(sub_id, "t2", "24");  // 16.00 used: 40 credits — 30 given, 70
  EXPECT_EQ(granted(), 2300);
  EXPECT_EQ(stored(wallet->id).ongoing_credits_balance, "70");
  calls(sub_id, "t3", "12");  // 19.00 used: 40 credits, a second crossing (70 was above)
  EXPECT_EQ(granted(), 2600);
  EXPECT_EQ(stored(wallet->id).ongoing_credits_balance, "70");
  calls(sub_id, "t4", "36");  // 28.00 used: -20 credits + 30 = 10, still at or below 50 after the top-up
  EXPECT_EQ(granted(), 2900);
  EXPECT_EQ(stored(wallet->id).ongoing_credits_balance, "10");
  reopen();
  calls(sub_id, "t5", "4");  // the same crossing, after a restart: nothing
  EXPECT_EQ(granted(), 2900);
  EXPECT_EQ(stored(wallet->id).ongoing_credits_balance, "0");
}

INSTANTIATE_TEST_SUITE_P(Backends, WalletUsageServiceTest, kBackends, backend_name);

}  // namespace
}  // namespace billhook::billing::testing
