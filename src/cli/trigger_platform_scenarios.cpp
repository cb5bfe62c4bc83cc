// Trigger scenarios for invoice batches, baskets, commissions, settlements, and webhooks themselves.

#include <boost/json.hpp>

#include "cli/trigger_scenarios.hpp"

namespace billhook::cli::scenarios {

namespace json = boost::json;

namespace {

json::array one_item(const std::string& customer) {
  auto item = TriggerDriver::invoice_body(customer);
  item.erase("auto_finalize");
  return json::array{std::move(item)};
}

// An endpoint on a loopback port nobody listens on, for `event_types`, retried once `retry_s` later.
std::string dead_endpoint(TriggerDriver& d, json::array event_types, int64_t retry_s = 60) {
  return d.remember("endpoint", d.api().post("/v1/endpoints", {{"url", "http://127.0.0.1:9/billhook-trigger"},
                                                               {"description", "billhook trigger (safe to delete)"},
                                                               {"event_types", std::move(event_types)},
                                                               {"retry_schedule", json::array{retry_s}}}));
}

}  // namespace

void batch_succeeded(TriggerDriver& d) {
  const auto batch = d.remember(
      "invoice_batch",
      d.api().post("/v1/invoice-batches", {{"items", one_item(d.customer())}}));
  d.await_event("invoice_batch.succeeded", batch);
}

void batch_failed(TriggerDriver& d) {
  const std::string unknown = "cus_01M6A6FT00XVYV3BGVAXJXAZAK";
  const auto batch = d.remember(
      "invoice_batch",
      d.api().post("/v1/invoice-batches", {{"items", one_item(unknown)}}));
  d.await_event("invoice_batch.failed", batch);
}

void basket_abandoned(TriggerDriver& d) {
  const auto basket = d.remember(
      "basket", d.api().post("/v1/baskets", {{"customer", d.customer()},
                                             {"currency", "EUR"},
                                             {"items", json::array{json::object{
                                                           {"description", "T-shirt"}, {"quantity", 1},
                                                           {"unit_amount", 2000}}}}}));
  d.advance(25 * 3600);
  d.await_event("basket.abandoned", basket);
}

void commission(TriggerDriver& d) {
  const auto partner = d.customer();
  d.api().post("/v1/partners", {{"customer", partner}});
  d.remember("commission_rule",
             d.api().post("/v1/commission-rules", {{"partner", partner}, {"rate_bps", 1500}, {"currency", "EUR"}}));
  const auto referred = d.customer_with_card(card::kGood);
  d.api().post("/v1/referrals", {{"customer", referred}, {"partner", partner}});
  d.pay(d.invoice(referred));
}

void payment_settled(TriggerDriver& d) {
  d.paid_invoice();
  d.advance(3 * kDay);
}

void delivery_exhausted(TriggerDriver& d) {
  const auto endpoint = dead_endpoint(d, json::array{"customer.updated"});
  const auto customer = d.customer();
  d.api().patch("/v1/customers/" + customer, {{"name", "Ada Unreachable"}});
  // The first try fails at once; its one retry comes due once the clock passes it.
  d.await_nonempty("/v1/deliveries?status=retrying&endpoint_id=" + endpoint, "a failed first try");
  d.advance(120);
  d.await_nonempty("/v1/events?limit=1&type=delivery.exhausted&aggregate_type=delivery&created[gte]=" +
                       std::to_string(d.now() - 120),
                   "delivery.exhausted");
  d.api().del("/v1/endpoints/" + endpoint);
}

void endpoint_disabled(TriggerDriver& d) {
  const auto endpoint = dead_endpoint(d, json::array{"endpoint.enabled"});
  d.api().patch("/v1/endpoints/" + endpoint, {{"enabled", false}});
}

void endpoint_enabled(TriggerDriver& d) {
  const auto endpoint = dead_endpoint(d, json::array{"endpoint.enabled"});
  d.api().patch("/v1/endpoints/" + endpoint, {{"enabled", false}});
  d.api().patch("/v1/endpoints/" + endpoint, {{"enabled", true}});
}

}  // namespace billhook::cli::scenarios
