// Order per endpoint and aggregate, through the real binary: a later event of an invoice waits
// while an earlier one is pending or retrying (seed 001: created → payment_failed → paid, with
// payment_failed failing once), other invoices and other endpoints are not held up, a finally
// failed event releases the next, and `ordering: "none"` holds nothing.

#include <chrono>
#include <map>

#include "integration/delivery_fixture.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;

class OrderTest : public DeliveryTest {
 protected:
  void SetUp() override { start(); }

  std::string publish(const std::string& invoice, std::string_view type) {
    auto r = client_->post("/v1/events", invoice_event(invoice, type));
    if (r.status != 202) throw std::runtime_error("publish: " + describe(r));
    return str(r.json().at("id"));
  }
  // "type@invoice" of each request to `path`, in arrival order.
  std::vector<std::string> arrivals(const std::string& path) {
    std::vector<std::string> out;
    for (const auto& r : rx_.requests_for(path)) {
      const auto body = r.json();
      out.push_back(str(body.at("type")) + "@" + str(body.at("aggregate").at("id")));
    }
    return out;
  }

  // Fails the first attempt of each event of `type` with a 500; answers 200 otherwise.
  static Decider fail_once(std::string type) {
    auto failed = std::make_shared<std::set<std::string>>();
    return [type = std::move(type), failed](const ReceivedRequest& r) {
      if (r.event_type() == type && failed->insert(r.header("webhook-id")).second) return Behaviour::status_code(500);
      return Behaviour::ok();
    };
  }

};

// Seed 001: the payment fails once, then the invoice is paid. The receiver must see the payment
// failure (retried) before the payment, never the other way round.
TEST_F(OrderTest, Seed001PaymentFailedIsRetriedBeforePaidIsSent) {
  rx_.on("/ordered", fail_once("invoice.payment_failed"));
  const auto ordered = endpoint("/ordered");
  const auto other_endpoint = endpoint("/other-endpoint");
  const std::string inv = unique_name("inv_seed001_");
  publish(inv, "invoice.created");
  const auto payment_failed = publish(inv, "invoice.payment_failed");
  const auto paid = publish(inv, "invoice.paid");

  const auto failed_delivery = delivery_of(*client_, payment_failed, ordered);
  await_status(*client_, failed_delivery, "retrying", 1);
  const auto paid_delivery = delivery_of(*client_, paid, ordered);

  // Another endpoint is not held up by this one's retry: it has all three already.
  ASSERT_TRUE(rx_.wait_for_requests("/other-endpoint", 3, 10s));
  EXPECT_EQ(
      arrivals("/other-endpoint"),
      (std::vector<std::string>{"invoice.created@" + inv, "invoice.payment_failed@" + inv, "invoice.paid@" + inv}));
  // Another invoice is not held up either, on this very endpoint.
  const std::string other_invoice = unique_name("inv_seed001_other_");
  publish(other_invoice, "invoice.created");
  ASSERT_TRUE(rx_.wait_for_requests("/ordered", 3, 10s));
  EXPECT_EQ(arrivals("/ordered"), (std::vector<std::string>{"invoice.created@" + inv, "invoice.payment_failed@" + inv,
                                                            "invoice.created@" + other_invoice}));
  // invoice.paid waits, untried, while payment_failed is retrying.
  EXPECT_FALSE(rx_.wait_for_requests("/ordered", 4, 300ms));
  const auto waiting = client_->get("/v1/deliveries/" + paid_delivery).json();
  EXPECT_EQ(waiting.at("status"), json::value("pending"));
  EXPECT_EQ(waiting.at("attempt_count"), json::value(0));

  advance_clock(*client_, 7);
  await_status(*client_, failed_delivery, "succeeded", 2);
  await_status(*client_, paid_delivery, "succeeded", 1);
  ASSERT_TRUE(rx_.wait_for_requests("/ordered", 5, 10s));
  EXPECT_EQ(arrivals("/ordered"), (std::vector<std::string>{"invoice.created@" + inv, "invoice.payment_failed@" + inv,
                                                            "invoice.created@" + other_invoice,
                                                            "invoice.payment_failed@" + inv, "invoice.paid@" + inv}));
  const auto got = rx_.requests_for("/ordered");
  EXPECT_EQ(got[1].answered, 500);
  EXPECT_EQ(got[3].answered, 200);
  EXPECT_GT(got[4].arrived, got[3].arrived);
  std::vector<int64_t> sequences;
  for (const auto& r : got) sequences.push_back(r.json().at("aggregate").at("sequence").as_int64());
  EXPECT_EQ(sequences, (std::vector<int64_t>{1, 2, 1, 2, 3}));
  (void)other_endpoint;
}

TEST_F(OrderTest, AFinallyFailedEventReleasesTheNext) {
  rx_.on("/ordered", Decider([](const ReceivedRequest& r) {
           return r.event_type() == "invoice.payment_failed" ? Behaviour::status_code(500) : Behaviour::ok();
         }));
  const auto ordered = endpoint("/ordered", {{"retry_schedule", json::array{5}}});
  const std::string inv = unique_name("inv_release_");
  const auto payment_failed = publish(inv, "invoice.payment_failed");
  const auto paid = publish(inv, "invoice.paid");
  const auto failed_delivery = delivery_of(*client_, payment_failed, ordered);
  await_status(*client_, failed_delivery, "retrying", 1);
  EXPECT_FALSE(rx_.wait_for_requests("/ordered", 2, 200ms)) << "paid waits for the retry";
  advance_clock(*client_, 7);
  await_status(*client_, failed_delivery, "failed", 2);
  // The dead letter no longer holds the invoice's later events.
  await_status(*client_, delivery_of(*client_, paid, ordered), "succeeded", 1);
  EXPECT_EQ(arrivals("/ordered"), (std::vector<std::string>{"invoice.payment_failed@" + inv,
                                                            "invoice.payment_failed@" + inv, "invoice.paid@" + inv}));
}

TEST_F(OrderTest, OrderingNoneHoldsNothing) {
  rx_.on("/unordered", Decider([](const ReceivedRequest& r) {
           return r.event_type() == "invoice.payment_failed" ? Behaviour::status_code(500) : Behaviour::ok();
         }));
  const auto unordered = endpoint("/unordered", {{"ordering", "none"}});
  auto ep = client_->get("/v1/endpoints/" + unordered).json();
  EXPECT_EQ(ep.at("ordering"), json::value("none"));
  const std::string inv = unique_name("inv_none_");
  const auto payment_failed = publish(inv, "invoice.payment_failed");
  const auto paid = publish(inv, "invoice.paid");
  // Both are sent at once, in no promised order: await each one's first answer rather than assume
  // that payment_failed's came before paid's.
  const auto failing = delivery_of(*client_, payment_failed, unordered);
  await_status(*client_, failing, "retrying", 1);
  await_status(*client_, delivery_of(*client_, paid, unordered), "succeeded", 1);
  EXPECT_EQ(client_->get("/v1/deliveries/" + failing).json().at("status"), json::value("retrying"))
      << "paid went out while payment_failed was still retrying";
}

TEST_F(OrderTest, EachInvoiceArrivesInSequenceWhileInvoicesInterleave) {
  rx_.on("/busy", Behaviour::delayed(30ms));
  endpoint("/busy");
  constexpr int kPerInvoice = 8;
  const std::vector<std::string> invoices{unique_name("inv_seq_a_"), unique_name("inv_seq_b_"),
                                          unique_name("inv_seq_c_")};
  for (int i = 0; i < kPerInvoice; ++i)
    for (const auto& inv : invoices) publish(inv, i % 2 ? "invoice.updated" : "invoice.finalized");
  ASSERT_TRUE(rx_.wait_for_requests("/busy", invoices.size() * kPerInvoice, 20s));
  std::map<std::string, std::vector<int64_t>> per_invoice;
  for (const auto& r : rx_.requests_for("/busy")) {
    const auto body = r.json();
    per_invoice[str(body.at("aggregate").at("id"))].push_back(body.at("aggregate").at("sequence").as_int64());
  }
  std::vector<int64_t> expected;
  for (int i = 1; i <= kPerInvoice; ++i) expected.push_back(i);
  for (const auto& inv : invoices) EXPECT_EQ(per_invoice[inv], expected) << inv;
  EXPECT_GE(rx_.peak_concurrency("/busy"), 2) << "different invoices are sent side by side";
}

}  // namespace
}  // namespace billhook::testing
