// Settlement through the real binary (issue 18's "done when", for Ezypay): a receiver switching on
// Ezypay's names (Node) gets transaction_settled for a card payment two days after it, with gross, fee and
// net, and the batch is on GET /v1/settlements, paid, with its entries.

#include <chrono>

#include "integration/integration_helpers.hpp"
#include "support/node_receiver.hpp"
#include "support/receiver.hpp"
#include "support/wait.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;

class SettlementApiTest : public BillingServerTest {
 protected:
  void advance_seconds(int64_t seconds) { api_->post("/v1/test/clock", {{"advance_seconds", seconds}}); }
  void advance_days(int64_t days) { advance_seconds(days * kDay); }
};

TEST_F(SettlementApiTest, EzypayReceiverGetsTransactionSettledTwoDaysAfterACardPayment) {
  NodeReceiver rx("ezypay.mjs");
  api_->endpoint({{"url", rx.url("/webhooks/ezypay")},
                  {"profile", "ezypay"},
                  {"event_types", json::array{"payment.settled"}},
                  {"profile_settings", json::object{{"merchant_id", "m_9"}}}});
  const auto customer = api_->customer();
  api_->card(customer, kGoodCard);
  const auto invoice = api_->invoice(customer);  // 119.00 EUR, collected at once
  const auto paid = api_->pay(invoice);
  ASSERT_EQ(str(paid.at("status")), "paid");

  const auto pending = api_->get("/v1/settlements").at("data").as_array();
  ASSERT_EQ(pending.size(), 1u);
  const auto batch_id = str(pending.at(0).at("id"));
  EXPECT_EQ(str(pending.at(0).at("object")), "settlement_batch");
  EXPECT_EQ(str(pending.at(0).at("status")), "pending");

  advance_days(2);
  const auto records = rx.received(1);
  ASSERT_EQ(records.size(), 1u);
  const auto& settled = records.at(0).as_object();
  EXPECT_EQ(str(settled.at("handler")), "transaction_settled");
  EXPECT_EQ(str(settled.at("merchantId")), "m_9");
  const auto& data = settled.at("data").as_object();
  EXPECT_EQ(str(data.at("invoice")), invoice);
  EXPECT_EQ(str(data.at("payout")), batch_id);
  EXPECT_EQ(data.at("amount").as_int64(), 11900);
  EXPECT_EQ(data.at("fee").as_int64(), 375);  // 2.9 % + 0.30, rounded once
  EXPECT_EQ(data.at("net").as_int64(), 11525);

  const auto batch = api_->get("/v1/settlements/" + batch_id);
  EXPECT_EQ(str(batch.at("status")), "paid");
  EXPECT_EQ(batch.at("gross").as_int64(), 11900);
  EXPECT_EQ(batch.at("fees").as_int64(), 375);
  EXPECT_EQ(batch.at("net").as_int64(), 11525);
  const auto& entries = batch.at("entries").as_array();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(str(entries.at(0).at("invoice")), invoice);
  EXPECT_EQ(str(entries.at(0).at("status")), "settled");
  expect_json(client_->get("/v1/settlements/po_01KEQR1700HAGS0WWVQ3GT9HM6"), 404, "an unknown batch");
}

}  // namespace
}  // namespace billhook::testing
