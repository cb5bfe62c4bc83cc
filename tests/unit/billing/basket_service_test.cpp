// Baskets on the store, on both backends: abandonment exactly once per idle period on the test clock
// (and re-armed by a touch), never after a checkout or cancel, not twice across a restart or a claim
// taken by another node; checkout turns the lines into an issued, collected invoice; bad input is a 4xx
// naming the field with nothing changed.

#include "billing/basket_service.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "billing_fixture.hpp"
#include "core/described.hpp"

namespace billhook::billing::testing {
namespace {

namespace json = boost::json;

constexpr int64_t kHour = 3600;
constexpr const char* kGoodCard = "4242424242424242";

class BasketServiceTest : public BillingFixture {
 protected:
  BasketServiceTest() : BillingFixture(53) {}

  void open_services() override { baskets_ = std::make_unique<BasketService>(*service_, 24 * kHour); }
  void close_services() override { baskets_.reset(); }

  void advance_hours(int64_t hours) { clock_.advance(std::chrono::hours(hours)); }

  std::string customer(bool with_card = false) {
    auto c = write([&](store::WriteTx& tx) {
      return service_->create_customer(tx, {.name = std::optional<std::string>("Ada")}, {});
    });
    EXPECT_TRUE(c.ok());
    if (!c.ok()) return {};
    if (with_card) {
      AttachCard card{.customer_id = c->id, .number = kGoodCard, .exp_month = 12, .exp_year = 2030,
                      .make_default = true};
      EXPECT_TRUE(write([&](store::WriteTx& tx) { return service_->attach_card(tx, card, {}); }).ok());
    }
    return c->id;
  }

  core::Result<Basket> create(const json::object& body) {
    auto request = core::described::from_json<NewBasket>(body);
    if (!request) return std::move(request).error();
    return write([&](store::WriteTx& tx) { return baskets_->create(tx, *request, {}); });
  }

  core::Result<Basket> update(const std::string& id, const json::object& body) {
    auto request = core::described::from_json<BasketUpdate>(body);
    if (!request) return std::move(request).error();
    return write([&](store::WriteTx& tx) { return baskets_->update(tx, id, *request, {}); });
  }

  static json::object cart(const std::string& customer_id) {
    return {{"customer", customer_id},
            {"currency", "GBP"},
            {"checkout_url", "https://shop.example.com/cart/recover/h7Q2kP"},
            {"items", json::array{json::object{{"description", "Team plan (12 seats)"},
                                               {"quantity", 12},
                                               {"unit_amount", 19000}}}}};
  }

  Basket stored(const std::string& id) {
    auto found = store_->find_document(kBaskets.kind, id);
    EXPECT_TRUE(found.ok() && found->has_value());
    auto b = kBaskets.decode((*found)->body);
    EXPECT_TRUE(b.ok());
    return b.ok() ? *b : Basket{};
  }

  std::unique_ptr<BasketService> baskets_;
};

TEST_P(BasketServiceTest, AbandonedOncePerIdlePeriodAndReArmedByATouch) {
  auto basket = create(cart(customer()));
  ASSERT_TRUE(basket.ok()) << basket.error().message;
  EXPECT_EQ(basket->id.rfind("bsk_", 0), 0u);
  EXPECT_EQ(basket->total, 228000);
  EXPECT_EQ(basket->abandons_at, kStartMs / 1000 + 24 * kHour);

  advance_hours(23);
  run_scheduler();
  EXPECT_TRUE(events_of(basket->id).empty());
  advance_hours(1);
  run_scheduler();
  auto events = events_of(basket->id);  // schema-checked
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "basket.abandoned");
  EXPECT_EQ(events[0].object.at("status"), "abandoned");
  EXPECT_EQ(events[0].object.at("abandoned_at"), kStartMs / 1000 + 24 * kHour);
  EXPECT_EQ(events[0].object.at("total"), 228000);
  EXPECT_FALSE(events[0].object.contains("idle_period"));

  // Idle for days more, restarted: still once.
  advance_hours(72);
  run_scheduler();
  reopen();
  run_scheduler();
  EXPECT_EQ(events_of(basket->id).size(), 1u);

  // Touched: active again, a new idle period, abandoned once more 24 h later.
  auto touched = update(basket->id, {{"items", json::array{json::object{
                                                   {"description", "Team plan (15 seats)"},
                                                   {"quantity", 15},
                                                   {"unit_amount", 19000}}}}});
  ASSERT_TRUE(touched.ok()) << touched.error().message;
  EXPECT_EQ(touched->status, BasketStatus::active);
  EXPECT_FALSE(touched->abandoned_at.has_value());
  advance_hours(12);
  run_scheduler();
  EXPECT_EQ(events_of(basket->id).size(), 1u);
  advance_hours(12);
  run_scheduler();
  run_scheduler();
  events = events_of(basket->id);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].object.at("total"), 285000);
}

TEST_P(BasketServiceTest, CheckoutBeforeTheDeadlineMakesACollectedInvoiceAndNeverAbandons) {
  const std::string c = customer(/*with_card=*/true);
  json::object body = cart(c);
  body["items"].as_array()[0].as_object()["tax_rate_bps"] = 2000;
  auto basket = create(body);
  ASSERT_TRUE(basket.ok()) << basket.error().message;
  advance_hours(23);
  auto out = write([&](store::WriteTx& tx) { return baskets_->checkout(tx, basket->id, {}); });
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->status, BasketStatus::converted);
  ASSERT_TRUE(out->invoice.has_value());
  const Invoice invoice = stored_invoice(*out->invoice);
  EXPECT_EQ(invoice.status, InvoiceStatus::paid);
  EXPECT_EQ(invoice.currency, "GBP");
  EXPECT_EQ(invoice.total, 273600);  // 228,000 + 20 %
  EXPECT_EQ(invoice.metadata.at("basket"), basket->id);
  ASSERT_EQ(invoice.lines.size(), 1u);
  EXPECT_EQ(invoice.lines[0].quantity_milli, 12000);
  Strings types = types_of(invoice.id);
  EXPECT_NE(std::find(types.begin(), types.end(), "invoice.finalized"), types.end());
  EXPECT_NE(std::find(types.begin(), types.end(), "invoice.paid"), types.end());

  advance_hours(48);
  run_scheduler();
  EXPECT_TRUE(events_of(basket->id).empty());
  // Closed: no second checkout, no change, no cancel.
  auto again = write([&](store::WriteTx& tx) { return baskets_->checkout(tx, basket->id, {}); });
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "basket_closed");
  EXPECT_FALSE(update(basket->id, {{"items", json::array{}}}).ok());
  EXPECT_FALSE(write([&](store::WriteTx& tx) { return baskets_->cancel(tx, basket->id, {}); }).ok());
}

TEST_P(BasketServiceTest, ACanceledBasketIsNeverAbandoned) {
  auto basket = create(cart(customer()));
  ASSERT_TRUE(basket.ok());
  auto canceled = write([&](store::WriteTx& tx) { return baskets_->cancel(tx, basket->id, {}); });
  ASSERT_TRUE(canceled.ok());
  EXPECT_EQ(canceled->status, BasketStatus::canceled);
  advance_hours(48);
  run_scheduler();
  EXPECT_TRUE(events_of(basket->id).empty());
}

TEST_P(BasketServiceTest, AnAbandonmentClaimedByAnotherNodeIsNotSentAgain) {
  auto basket = create(cart(customer()));
  ASSERT_TRUE(basket.ok());
  auto claimed = write([&](store::WriteTx& tx) {
    return tx.claim_once(basket->id + ":abandoned:1", basket->id, kStartMs);
  });
  ASSERT_TRUE(claimed.ok() && *claimed);
  advance_hours(24);
  await_lead();
  auto woken = write([&](store::WriteTx& tx) { return baskets_->on_wake(tx, Wake{.id = basket->id}); });
  ASSERT_FALSE(woken.ok());
  EXPECT_EQ(woken.error().code, "basket_already_abandoned");
  EXPECT_TRUE(events_of(basket->id).empty());
  EXPECT_EQ(stored(basket->id).status, BasketStatus::active);  // rolled back
}

TEST_P(BasketServiceTest, BadInputNamesTheFieldAndChangesNothing) {
  const std::string c = customer();
  const int64_t before = event_count();
  struct Case {
    json::object body;
    std::string param;
  };
  json::object zero_quantity = cart(c);
  zero_quantity["items"].as_array()[0].as_object()["quantity"] = 0;
  json::object negative = cart(c);
  negative["items"].as_array()[0].as_object()["unit_amount"] = -1;
  json::object rate = cart(c);
  rate["items"].as_array()[0].as_object()["tax_rate_bps"] = 10001;
  json::object currency = cart(c);
  currency["currency"] = "GBX";
  json::object url = cart(c);
  url["checkout_url"] = "javascript:alert(1)";
  json::object unknown = cart("cus_01KEQR1700QZ62H3YWQEXTH3CM");
  for (const auto& [body, param] : {Case{zero_quantity, "items.0.quantity"}, Case{negative, "items.0.unit_amount"},
                                    Case{rate, "items.0.tax_rate_bps"}, Case{currency, "currency"},
                                    Case{url, "checkout_url"}, Case{unknown, "customer"}}) {
    auto r = create(body);
    ASSERT_FALSE(r.ok()) << param;
    EXPECT_EQ(r.error().param, param) << r.error().message;
  }
  // An empty basket cannot be checked out; it stays active.
  auto empty = create({{"customer", c}, {"currency", "EUR"}});
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  auto out = write([&](store::WriteTx& tx) { return baskets_->checkout(tx, empty->id, {}); });
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, "basket_empty");
  EXPECT_EQ(out.error().param, "items");
  EXPECT_EQ(stored(empty->id).status, BasketStatus::active);
  EXPECT_EQ(event_count(), before);
  auto missing = update("bsk_01KEQR1700QZ62H3YWQEXTH3CM", {{"items", json::array{}}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "basket_not_found");
}

INSTANTIATE_TEST_SUITE_P(Backends, BasketServiceTest, kBackends, backend_name);

}  // namespace
}  // namespace billhook::billing::testing
