// Wallets through the real binary (issue 16's "done when"): a lago-profile receiver gets wallet.created,
// wallet_transaction.updated (a purchase settled), wallet_transaction.payment_failure (a declined card),
// wallet.depleted_ongoing_balance (invoices eat the credits), wallet.updated and wallet.terminated (by the
// API and by expiry on the test clock); an invoice the wallet covers is paid with no card charge; bad
// input answers 4xx naming the field and changes nothing.

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "integration/integration_helpers.hpp"
#include "support/node_receiver.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;
using Strings = std::vector<std::string>;

constexpr const char* kDeclinedCard = "4000000000000002";

class WalletApiTest : public BillingServerTest {};

TEST_F(WalletApiTest, ALagoReceiverGetsTheWalletEventsAndAnInvoicePaidFromTheWallet) {
  NodeReceiver rx("lago.mjs");
  api_->endpoint({{"url", rx.url("/webhooks/lago")}, {"profile", "lago"}});
  rx.configure(lago_jwt_receiver_config(*server_));  // Lago signs with a JWT by default

  const auto ada = api_->customer();
  api_->card(ada, kGoodCard);
  const auto wallet = api_->post("/v1/wallets",
                                 {{"customer", ada},
                                  {"currency", "EUR"},
                                  {"rate_amount", "1"},
                                  {"name", "Prepaid"},
                                  {"granted_credits", "100"}},
                                 201);
  const auto wallet_id = str(wallet.at("id"));
  EXPECT_EQ(wallet_id.rfind("wal_", 0), 0u);
  EXPECT_EQ(wallet.at("balance").as_int64(), 10000);
  EXPECT_EQ(str(wallet.at("credits_balance")), "100");

  // A purchase of 50 credits, charged to the card: settled.
  const auto bought = api_->post("/v1/wallets/" + wallet_id + "/transactions", {{"paid_credits", "50"}});
  const auto& purchase = bought.at("data").as_array().at(0);
  EXPECT_EQ(str(purchase.at("status")), "settled");
  EXPECT_EQ(str(api_->invoice_of(str(purchase.at("invoice"))).at("status")), "paid");
  EXPECT_EQ(api_->get("/v1/wallets/" + wallet_id).at("balance").as_int64(), 15000);
  const auto listed = api_->get("/v1/wallets/" + wallet_id + "/transactions");
  ASSERT_EQ(listed.at("data").as_array().size(), 2u);
  EXPECT_EQ(str(listed.at("data").as_array()[0].at("source")), "purchased");  // newest first
  EXPECT_EQ(str(listed.at("data").as_array()[1].at("source")), "granted");
  EXPECT_EQ(api_->get("/v1/wallet-transactions?wallet=" + wallet_id).at("data").as_array().size(), 2u);

  // Bad input: 4xx naming the field, nothing changed — no wallet, transaction, invoice or event made.
  // The purchase's invoice gets its PDF in the background (invoice.pdf_generated): awaited first, so that
  // the events counted before are all the purchase makes.
  const auto purchase_invoice = str(purchase.at("invoice"));
  ASSERT_TRUE(wait_until(
      [&] {
        return count_all(*client_, "/v1/events?type=invoice.pdf_generated&aggregate_id=" + purchase_invoice) == 1;
      },
      20s, "the purchase's invoice PDF"));
  const auto events_before = api_->events_about(wallet_id);
  const auto all_events_before = count_all(*client_, "/v1/events");
  const auto invoices_before = count_all(*client_, "/v1/invoices?customer=" + ada);
  EXPECT_TRUE(is_error(client_->post("/v1/wallets", json::object{{"customer", ada}, {"currency", "EUR"},
                                                                  {"rate_amount", "1"}}),
                       409, "wallet_exists", "currency"));
  EXPECT_TRUE(is_error(client_->post("/v1/wallets", json::object{{"customer", ada}, {"currency", "GBP"},
                                                                  {"rate_amount", "0"}}),
                       400, "", "rate_amount"));
  EXPECT_TRUE(is_error(client_->post("/v1/wallets", json::object{{"customer", ada}, {"currency", "GBP"},
                                                                  {"rate_amount", "1"}, {"paid_credits", "-10"}}),
                       400, "", "paid_credits"));
  EXPECT_TRUE(is_error(client_->post("/v1/wallets/" + wallet_id + "/transactions",
                                     json::object{{"granted_credits", "-3"}}),
                       400, "", "granted_credits"));
  EXPECT_TRUE(is_error(client_->post("/v1/wallets/" + wallet_id + "/transactions",
                                     json::object{{"paid_credits", "-5"}}),
                       400, "", "paid_credits"));
  // A good amount beside a bad one: the good one is not made either.
  EXPECT_TRUE(is_error(client_->post("/v1/wallets/" + wallet_id + "/transactions",
                                     json::object{{"paid_credits", "5"}, {"granted_credits", "-1"}}),
                       400, "", "granted_credits"));
  EXPECT_EQ(api_->events_about(wallet_id), events_before);
  EXPECT_EQ(count_all(*client_, "/v1/events"), all_events_before);
  EXPECT_EQ(count_all(*client_, "/v1/wallets?customer=" + ada), 1u);
  EXPECT_EQ(count_all(*client_, "/v1/wallet-transactions?wallet=" + wallet_id), 2u);
  EXPECT_EQ(count_all(*client_, "/v1/invoices?customer=" + ada), invoices_before);
  EXPECT_EQ(api_->get("/v1/wallets/" + wallet_id).at("balance").as_int64(), 15000);

  // 119.00 EUR: covered by the wallet, paid with no card charge.
  const auto covered_id = api_->invoice(ada);
  const auto covered = api_->invoice_of(covered_id);
  EXPECT_EQ(str(covered.at("status")), "paid");
  EXPECT_EQ(str(covered.at("paid_via")), "wallet");
  EXPECT_EQ(covered.at("amount_paid").as_int64(), 0);
  EXPECT_EQ(covered.at("amount_credited").as_int64(), 11900);
  EXPECT_FALSE(covered.contains("payment") && covered.at("payment").is_object());
  EXPECT_TRUE(api_->get("/v1/invoices/" + covered_id + "/payments").at("data").as_array().empty())
      << "a card was charged for an invoice the wallet covered";
  // Another 119.00: the wallet's last 31.00 (depleted) when issued, the card the rest when paid.
  const auto split_id = api_->invoice(ada);
  auto split = api_->invoice_of(split_id);
  EXPECT_EQ(str(split.at("status")), "open");
  EXPECT_EQ(split.at("amount_credited").as_int64(), 3100);
  EXPECT_EQ(split.at("amount_remaining").as_int64(), 8800);
  split = api_->pay(split_id);
  EXPECT_EQ(str(split.at("status")), "paid");
  EXPECT_EQ(split.at("amount_paid").as_int64(), 8800);

  api_->post("/v1/wallets/" + wallet_id + "/transactions", {{"granted_credits", "5"}});
  const auto renamed = client_->patch("/v1/wallets/" + wallet_id, json::object{{"name", "Team credits"}});
  ASSERT_EQ(renamed.status, 200) << describe(renamed);
  const auto ended = api_->post("/v1/wallets/" + wallet_id + "/terminate");
  EXPECT_EQ(str(ended.at("status")), "terminated");
  // A top-up on the terminated wallet, bought, granted or by a rule: 409 naming the field, nothing changed.
  const auto ended_events = api_->events_about(wallet_id);
  const auto ended_invoices = count_all(*client_, "/v1/invoices?customer=" + ada);
  const auto ended_transactions = count_all(*client_, "/v1/wallet-transactions?wallet=" + wallet_id);
  EXPECT_TRUE(is_error(client_->post("/v1/wallets/" + wallet_id + "/transactions",
                                     json::object{{"paid_credits", "5"}}),
                       409, "wallet_terminated", "paid_credits"));
  EXPECT_TRUE(is_error(client_->post("/v1/wallets/" + wallet_id + "/transactions",
                                     json::object{{"granted_credits", "5"}}),
                       409, "wallet_terminated", "granted_credits"));
  EXPECT_TRUE(is_error(
      client_->patch("/v1/wallets/" + wallet_id,
                     json::object{{"recurring_transaction_rules",
                                   json::array{json::object{{"trigger", "interval"}, {"interval", "weekly"},
                                                            {"granted_credits", "5"}}}}}),
      409, "wallet_terminated", "recurring_transaction_rules"));
  const auto after_refusals = api_->get("/v1/wallets/" + wallet_id);
  EXPECT_EQ(after_refusals, ended);
  EXPECT_EQ(api_->events_about(wallet_id), ended_events);
  EXPECT_EQ(count_all(*client_, "/v1/invoices?customer=" + ada), ended_invoices);
  EXPECT_EQ(count_all(*client_, "/v1/wallet-transactions?wallet=" + wallet_id), ended_transactions);

  // Bob's card is declined: his purchase fails. His wallet expires by itself on the test clock.
  const auto bob = api_->customer({{"email", "bob@example.com"}});
  api_->card(bob, kDeclinedCard);
  const int64_t now = api_->get("/v1/wallets/" + wallet_id).at("created").as_int64();
  const auto bobs = api_->post("/v1/wallets",
                               {{"customer", bob}, {"currency", "EUR"}, {"rate_amount", "0.5"},
                                {"expires_at", now + 86'400}},
                               201);
  const auto failed = api_->post("/v1/wallets/" + str(bobs.at("id")) + "/transactions", {{"paid_credits", "20"}});
  EXPECT_EQ(str(failed.at("data").as_array().at(0).at("status")), "failed");
  advance_clock(*client_, 2 * 86'400);
  ASSERT_TRUE(wait_until([&] { return str(api_->get("/v1/wallets/" + str(bobs.at("id"))).at("status")) == "terminated"; },
                         15s, "Bob's wallet to expire"));

  const auto delivered = [&](const std::string& handler) {
    const auto records = rx.received(0);
    return std::count_if(records.begin(), records.end(),
                         [&](const json::value& r) { return str(r.at("handler")) == handler; });
  };
  ASSERT_TRUE(wait_until([&] {
    return delivered("wallet.created") >= 2 && delivered("wallet.terminated") >= 2 &&
           delivered("wallet_transaction.payment_failure") >= 1 && delivered("wallet.depleted_ongoing_balance") >= 1 &&
           delivered("wallet.updated") >= 1 && delivered("wallet_transaction.updated") >= 1;
  }, 20s, "the wallet events"));

  const std::string bobs_wallet = str(bobs.at("id"));
  bool purchase_settled = false, renamed_seen = false;
  std::set<std::string> created, terminated;
  for (const auto& r : rx.received(0)) {
    EXPECT_TRUE(r.at("verified").as_bool()) << json::serialize(r);
    const std::string handler = str(r.at("handler"));
    if (handler.rfind("wallet", 0) != 0) continue;
    const auto& object = r.at("object");
    if (handler == "wallet_transaction.updated" && str(object.at("transaction_status")) == "purchased" &&
        str(object.at("status")) == "settled") {
      purchase_settled = true;
      EXPECT_EQ(str(object.at("lago_wallet_id")), wallet_id);
      EXPECT_EQ(str(object.at("credit_amount")), "50");
      EXPECT_EQ(object.at("amount_cents").as_int64(), 5000);
    }
    if (handler == "wallet_transaction.payment_failure") {
      EXPECT_EQ(str(object.at("status")), "failed");
      EXPECT_EQ(str(r.at("object_type")), "wallet_transaction");
      EXPECT_EQ(str(object.at("lago_wallet_id")), bobs_wallet);
    }
    if (handler == "wallet.depleted_ongoing_balance") {
      EXPECT_EQ(str(object.at("lago_id")), wallet_id);
      EXPECT_LE(object.at("ongoing_balance_cents").as_int64(), 0);
    }
    if (handler == "wallet.updated" && object.at("name").is_string() && str(object.at("name")) == "Team credits")
      renamed_seen = true;
    if (handler == "wallet.created") {
      EXPECT_EQ(str(object.at("status")), "active");
      created.insert(str(object.at("lago_id")));
    }
    if (handler == "wallet.terminated") {
      EXPECT_EQ(str(object.at("status")), "terminated");
      EXPECT_FALSE(object.at("terminated_at").is_null());
      terminated.insert(str(object.at("lago_id")));
    }
  }
  EXPECT_TRUE(purchase_settled);
  EXPECT_TRUE(renamed_seen);
  // Ada's by the API, Bob's by expiry on the test clock.
  EXPECT_EQ(created, (std::set<std::string>{wallet_id, bobs_wallet}));
  EXPECT_EQ(terminated, (std::set<std::string>{wallet_id, bobs_wallet}));
  EXPECT_EQ(delivered("wallet.depleted_ongoing_balance"), 1);
}

// Usage eats the credits: the ongoing balance is the balance less the usage accrued (priced from the
// running aggregates), and wallet.depleted_ongoing_balance comes once when it reaches zero or below.
TEST_F(WalletApiTest, UsageLowersTheOngoingBalanceAndDepletesItOnce) {
  NodeReceiver rx("lago.mjs");
  api_->endpoint({{"url", rx.url("/webhooks/lago")}, {"profile", "lago"},
                  {"event_types", json::array{"wallet.balance_depleted"}}});
  rx.configure(lago_jwt_receiver_config(*server_));
  api_->post("/v1/billable-metrics",
             {{"code", "calls"}, {"name", "Calls"}, {"aggregation_type", "sum"}, {"field_name", "n"}}, 201);
  json::object plan = plan_body("calls");
  plan["amount"] = 0;
  plan["charges"] = json::array{json::object{
      {"billable_metric", "calls"}, {"charge_model", "standard"}, {"properties", {{"amount", "0.25"}}}}};
  const auto plan_id = str(api_->post("/v1/plans", plan, 201).at("id"));
  const auto grace = api_->customer({{"email", "grace@example.com"}});
  api_->card(grace, kGoodCard);
  api_->post("/v1/subscriptions", {{"customer", grace}, {"plan", plan_id}, {"external_id", "grace-calls"}}, 201);
  const auto wallet = api_->post("/v1/wallets",
                                 {{"customer", grace}, {"currency", "EUR"}, {"rate_amount", "0.1"},
                                  {"granted_credits", "200"}},
                                 201);
  const auto wallet_id = str(wallet.at("id"));
  const auto usage = [&](const std::string& id, int n) {
    api_->post("/v1/usage-events", {{"transaction_id", id}, {"code", "calls"},
                                    {"external_subscription_id", "grace-calls"}, {"properties", {{"n", n}}}},
               201);
  };
  usage("c1", 40);  // 10.00 of 20.00
  auto now = api_->get("/v1/wallets/" + wallet_id);
  EXPECT_EQ(now.at("balance").as_int64(), 2000);
  EXPECT_EQ(now.at("ongoing_balance").as_int64(), 1000);
  EXPECT_EQ(str(now.at("ongoing_credits_balance")), "100");
  usage("c2", 44);  // 21.00: below zero
  now = api_->get("/v1/wallets/" + wallet_id);
  EXPECT_EQ(now.at("ongoing_balance").as_int64(), -100);
  EXPECT_EQ(now.at("balance").as_int64(), 2000);  // nothing is invoiced yet
  usage("c3", 4);   // still below: no second depletion
  EXPECT_EQ(api_->get("/v1/wallets/" + wallet_id).at("ongoing_balance").as_int64(), -200);

  ASSERT_TRUE(wait_until([&] { return !rx.received(0).empty(); }, 15s, "the depletion"));
  std::this_thread::sleep_for(500ms);  // a second one would have been sent with the third event
  const auto records = rx.received(0);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_TRUE(records[0].at("verified").as_bool());
  EXPECT_EQ(str(records[0].at("handler")), "wallet.depleted_ongoing_balance");
  EXPECT_EQ(str(records[0].at("object").at("lago_id")), wallet_id);
  EXPECT_EQ(records[0].at("object").at("ongoing_balance_cents").as_int64(), -100);
}

// A threshold rule through the API: shown on the wallet, a bad one refused naming the field, and usage that
// takes the ongoing credits to the level buys exactly what brings them back to the target, on the card —
// a Lago receiver sees the purchase with `source` threshold.
TEST_F(WalletApiTest, AThresholdRuleTopsUpToItsTargetWhenUsageEatsTheCredits) {
  NodeReceiver rx("lago.mjs");
  api_->endpoint({{"url", rx.url("/webhooks/lago")}, {"profile", "lago"},
                  {"event_types", json::array{"wallet_transaction.updated"}}});
  rx.configure(lago_jwt_receiver_config(*server_));
  api_->post("/v1/billable-metrics",
             {{"code", "calls"}, {"name", "Calls"}, {"aggregation_type", "sum"}, {"field_name", "n"}}, 201);
  json::object plan = plan_body("calls");
  plan["amount"] = 0;
  plan["charges"] = json::array{json::object{
      {"billable_metric", "calls"}, {"charge_model", "standard"}, {"properties", {{"amount", "0.25"}}}}};
  const auto plan_id = str(api_->post("/v1/plans", plan, 201).at("id"));
  const auto grace = api_->customer({{"email", "grace@example.com"}});
  api_->card(grace, kGoodCard);
  api_->post("/v1/subscriptions", {{"customer", grace}, {"plan", plan_id}, {"external_id", "grace-topup"}}, 201);
  EXPECT_TRUE(is_error(client_->post("/v1/wallets",
                                     json::object{{"customer", grace}, {"currency", "EUR"}, {"rate_amount", "0.1"},
                                                  {"recurring_transaction_rules",
                                                   json::array{json::object{{"trigger", "threshold"},
                                                                            {"threshold_credits", "-1"},
                                                                            {"granted_credits", "1"}}}}}),
                       400, "", "recurring_transaction_rules.0.threshold_credits"));
  const auto wallet = api_->post("/v1/wallets",
                                 {{"customer", grace}, {"currency", "EUR"}, {"rate_amount", "0.1"},
                                  {"granted_credits", "200"},
                                  {"recurring_transaction_rules",
                                   json::array{json::object{{"trigger", "threshold"},
                                                            {"threshold_credits", "50"},
                                                            {"method", "target"},
                                                            {"target_ongoing_balance", "200"}}}}},
                                 201);
  const auto wallet_id = str(wallet.at("id"));
  const json::value rule = api_->get("/v1/wallets/" + wallet_id).at("recurring_transaction_rules").as_array().at(0);
  EXPECT_EQ(str(rule.at("trigger")), "threshold");
  EXPECT_EQ(str(rule.at("threshold_credits")), "50");
  EXPECT_EQ(str(rule.at("method")), "target");
  const auto usage = [&](const std::string& id, int n) {
    api_->post("/v1/usage-events", {{"transaction_id", id}, {"code", "calls"},
                                    {"external_subscription_id", "grace-topup"}, {"properties", {{"n", n}}}},
               201);
  };
  usage("t1", 40);  // 10.00 of 20.00: 100 credits left, above 50
  EXPECT_EQ(api_->get("/v1/wallets/" + wallet_id + "/transactions").at("data").as_array().size(), 1u);
  usage("t2", 24);  // 6.00 more: 40 credits, at or below 50 — buy 160 (16.00) back up to 200
  const auto now = api_->get("/v1/wallets/" + wallet_id);
  EXPECT_EQ(now.at("balance").as_int64(), 3600);
  EXPECT_EQ(now.at("ongoing_balance").as_int64(), 2000);
  EXPECT_EQ(str(now.at("ongoing_credits_balance")), "200");
  const auto listed = api_->get("/v1/wallets/" + wallet_id + "/transactions").at("data").as_array();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(str(listed[0].at("source")), "purchased");  // newest first
  EXPECT_EQ(str(listed[0].at("trigger")), "threshold");
  EXPECT_EQ(str(listed[0].at("credits")), "160");
  EXPECT_EQ(listed[0].at("amount").as_int64(), 1600);
  EXPECT_EQ(str(listed[0].at("status")), "settled");
  usage("t3", 4);  // 1.00 more: 190 credits, above 50: nothing
  EXPECT_EQ(api_->get("/v1/wallets/" + wallet_id + "/transactions").at("data").as_array().size(), 2u);

  ASSERT_TRUE(wait_until([&] { return rx.received(0).size() >= 2; }, 15s, "the top-up's transaction"));
  std::this_thread::sleep_for(300ms);
  const auto records = rx.received(0);
  ASSERT_EQ(records.size(), 2u);
  int threshold = 0;
  for (const auto& r : records) {
    EXPECT_TRUE(r.at("verified").as_bool());
    if (str(r.at("object").at("source")) != "threshold") continue;
    ++threshold;
    EXPECT_EQ(str(r.at("object").at("transaction_status")), "purchased");
    EXPECT_EQ(str(r.at("object").at("credit_amount")), "160");
  }
  EXPECT_EQ(threshold, 1);
}

}  // namespace
}  // namespace billhook::testing
