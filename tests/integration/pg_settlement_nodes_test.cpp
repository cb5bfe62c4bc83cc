// Two billhook nodes on one PostgreSQL database, both on the test clock (issue 18): card payments and
// baskets made through both, both clocks moved past the payout day and the abandonment deadline, and the
// node that led killed while the time-driven work runs, so the other takes the lead and finds the same
// work due. Each payment settles exactly once and each basket is abandoned exactly once: the document
// clock's steps claim their keys (tx.claim_once), so a step done by the first leader is not done again.

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "integration/integration_helpers.hpp"
#include "support/pg_test_database.hpp"
#include "support/wait.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;

ServerOptions clock_node(const std::string& database_url) {
  ServerOptions options;
  options.extra_args = {"--database-url", database_url, "--allow-networks", "127.0.0.0/8", "--test-clock",
                        "--basket-abandon-after", "1h"};
  return options;
}

void advance(HttpClient& client, int64_t seconds) {
  auto r = client.post("/v1/test/clock", json::object{{"advance_seconds", seconds}});
  if (r.status != 200) throw std::runtime_error("advance: " + describe(r));
}

// How many events of `type` name each value of data.object.`key`.
std::map<std::string, int> count_by(HttpClient& client, const std::string& type, const std::string& key) {
  std::map<std::string, int> out;
  for (const auto& event : list_all(client, "/v1/events?type=" + type))
    ++out[str(event.at("data").at("object").at(key))];
  return out;
}

TEST(PgSettlementNodesTest, EachPaymentSettlesAndEachBasketIsAbandonedExactlyOnceAcrossNodes) {
  BILLHOOK_REQUIRE_POSTGRES();
  PgTestDatabase database;
  ASSERT_TRUE(database.available()) << database.error();
  ServerProcess node_a(clock_node(database.url()));
  ServerProcess node_b(clock_node(database.url()));
  HttpClient a = client_for(node_a);
  HttpClient b = client_for(node_b);

  // Through both nodes: 6 invoices paid by card (one payment each) and 6 baskets left idle.
  constexpr int kEach = 6;
  BillingApi api_a(a);
  BillingApi api_b(b);
  std::vector<std::string> invoices;
  std::vector<std::string> baskets;
  for (int i = 0; i < kEach; ++i) {
    BillingApi& api = i % 2 ? api_b : api_a;
    const auto customer = api.customer();
    api.card(customer, kGoodCard);
    const auto invoice = api.invoice(customer);
    ASSERT_EQ(str(api.pay(invoice).at("status")), "paid");
    invoices.push_back(invoice);
    baskets.push_back(str(api.post("/v1/baskets",
                                   {{"customer", customer},
                                    {"currency", "EUR"},
                                    {"items", json::array{json::object{
                                                  {"description", "Seat"}, {"quantity", 1}, {"unit_amount", 500}}}}},
                                   201)
                              .at("id")));
  }

  // Both clocks past the deadline (1 h idle) and the payout day (T+2): whichever node leads starts the
  // work; node a is then killed, and node b (leading now, or already) finds the rest due.
  advance(a, 3 * 86'400);
  advance(b, 3 * 86'400);
  std::this_thread::sleep_for(300ms);
  node_a.kill9();
  advance(b, 60);  // wakes b's clock at once

  const auto settled = [&] { return count_by(b, "payment.settled", "invoice"); };
  const auto abandoned = [&] { return count_by(b, "basket.abandoned", "id"); };
  ASSERT_TRUE(wait_until([&] { return settled().size() == invoices.size() && abandoned().size() == baskets.size(); },
                         60s, "every payment settled and every basket abandoned"));
  // Time moves on on b alone: nothing is done twice.
  advance(b, 2 * 86'400);
  std::this_thread::sleep_for(2s);
  const auto settled_once = settled();
  const auto abandoned_once = abandoned();
  for (const auto& i : invoices) EXPECT_EQ(settled_once.count(i) ? settled_once.at(i) : 0, 1) << i;
  for (const auto& basket : baskets) EXPECT_EQ(abandoned_once.count(basket) ? abandoned_once.at(basket) : 0, 1) << basket;
  EXPECT_EQ(settled_once.size(), invoices.size());
  EXPECT_EQ(abandoned_once.size(), baskets.size());

  // The batch pays each payment out once: its entries name each payment once, all settled.
  std::map<std::string, int> entries;
  for (const auto& batch : list_all(b, "/v1/settlements")) {
    const auto shown = b.get("/v1/settlements/" + str(batch.at("id"))).json();
    for (const auto& entry : shown.at("entries").as_array())
      if (str(entry.at("type")) == "payment") ++entries[str(entry.at("invoice"))];
  }
  for (const auto& i : invoices) EXPECT_EQ(entries[i], 1) << i;
}

}  // namespace
}  // namespace billhook::testing
