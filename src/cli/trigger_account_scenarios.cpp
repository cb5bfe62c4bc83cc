// Trigger scenarios for customers, cards, credit notes, subscriptions, usage and wallets.

#include <boost/json.hpp>

#include "cli/trigger_scenarios.hpp"

namespace billhook::cli::scenarios {

namespace json = boost::json;

namespace {

json::object usage_charge(const std::string& code, bool in_advance = false) {
  json::object charge{{"billable_metric", code}, {"charge_model", "standard"}, {"properties", {{"amount", "1.00"}}}};
  if (in_advance) charge["pay_in_advance"] = true;
  return charge;
}

// A customer paying by `card_number`, subscribed to a fresh monthly plan (`plan_extra` added to it).
std::string subscribed(TriggerDriver& d, std::string_view card_number, json::object plan_extra = {},
                       json::object subscription_extra = {}) {
  return d.subscription(d.customer_with_card(card_number), d.plan(std::move(plan_extra)),
                        std::move(subscription_extra));
}

std::string stopped_collection(TriggerDriver& d, std::string& customer) {
  customer = d.customer();
  d.card(customer, card::kNoFunds);
  const auto sub = d.subscription(customer, d.plan());
  d.advance(15 * kDay);
  d.await_event("subscription.collection_stopped", sub);
  return sub;
}

std::string wallet(TriggerDriver& d, const std::string& customer, json::object extra = {}) {
  json::object body{{"customer", customer}, {"currency", "EUR"}, {"rate_amount", "1"}, {"granted_credits", "10"}};
  for (const auto& f : extra) body[f.key()] = f.value();
  return d.remember("wallet", d.api().post("/v1/wallets", body));
}

}  // namespace

void customer_updated(TriggerDriver& d) { d.api().patch("/v1/customers/" + d.customer(), {{"name", "Ada Lovelace"}}); }

void provider_synced(TriggerDriver& d) { d.await_event("customer.payment_provider_synced", d.customer()); }

void provider_sync_failed(TriggerDriver& d) {
  d.await_event("customer.payment_provider_sync_failed", d.customer({{"email", "ada@fail.test"}}));
}

void checkout_link(TriggerDriver& d) { d.api().post("/v1/customers/" + d.customer() + "/checkout-links"); }

void card_attached(TriggerDriver& d) { d.customer_with_card(card::kGood); }

void card_invalidated(TriggerDriver& d) {
  const auto pm = d.card(d.customer(), card::kGood);
  d.api().patch("/v1/payment-methods/" + pm, {{"valid", false}, {"invalid_reason", "suspected_fraud"}});
}

void card_revalidated(TriggerDriver& d) {
  const auto pm = d.card(d.customer(), card::kGood);
  d.api().patch("/v1/payment-methods/" + pm, {{"valid", false}, {"invalid_reason", "suspected_fraud"}});
  d.api().patch("/v1/payment-methods/" + pm, {{"valid", true}});
}

void default_card_changed(TriggerDriver& d) {
  const auto cus = d.customer_with_card(card::kGood);
  d.api().patch("/v1/payment-methods/" + d.card(cus, card::kGood), {{"default", true}});
}

void card_replaced(TriggerDriver& d) {
  const auto cus = d.customer();
  const auto old = d.card(cus, card::kNoFunds);
  d.card(cus, card::kGood, {{"replaces", old}});
}

void credit_note_pdf(TriggerDriver& d) {
  const auto inv = d.unpaid_invoice();
  const auto note = d.remember(
      "credit_note", d.api().post("/v1/credit-notes", {{"invoice", inv}, {"amount", 1900}, {"reason", "order_change"}}));
  d.await_event("credit_note.pdf_generated", note);
}

void credit_note_voided(TriggerDriver& d) {
  const auto inv = d.unpaid_invoice();
  const auto note = d.remember(
      "credit_note", d.api().post("/v1/credit-notes", {{"invoice", inv}, {"amount", 1900}, {"reason", "order_change"}}));
  d.api().post("/v1/credit-notes/" + note + "/void");
}

void upcoming_invoice(TriggerDriver& d) {
  const auto sub = subscribed(d, card::kGood);
  d.advance(28 * kDay);
  d.await_event("invoice.upcoming", sub);
}

void subscription_started(TriggerDriver& d) { subscribed(d, card::kGood); }

void subscription_cancel_scheduled(TriggerDriver& d) {
  d.api().post("/v1/subscriptions/" + subscribed(d, card::kGood) + "/cancel", {{"at_period_end", true}});
}

void trial_ended(TriggerDriver& d) {
  const auto sub = subscribed(d, card::kGood, {{"trial_period_days", 1}});
  d.advance(2 * kDay);
  d.await_event("subscription.trial_ended", sub);
}

void usage_threshold(TriggerDriver& d) {
  const auto code = d.metric();
  const auto sub = subscribed(d, card::kGood,
                              {{"amount", 0},
                               {"charges", json::array{usage_charge(code)}},
                               {"usage_thresholds", json::array{json::object{{"amount", 1000}}}}});
  d.usage(sub, code, "20");
}

void collection_stopped(TriggerDriver& d) {
  std::string customer;
  stopped_collection(d, customer);
}

void collection_reactivated(TriggerDriver& d) {
  std::string customer;
  const auto sub = stopped_collection(d, customer);
  d.card(customer, card::kGood, {{"default", true}});
  const auto invoices = d.api().get("/v1/invoices?customer=" + customer);
  for (const auto& inv : invoices.at("data").as_array())
    if (inv.at("status").as_string() == "open") d.pay(std::string(inv.at("id").as_string()));
  d.await_event("subscription.reactivated", sub);
}

void subscription_completed(TriggerDriver& d) {
  const auto sub = subscribed(d, card::kGood, {{"bill_cycles", 2}});
  d.advance(32 * kDay);
  d.await_event("subscription.completed", sub);
}

void subscription_canceled(TriggerDriver& d) {
  d.api().post("/v1/subscriptions/" + subscribed(d, card::kGood) + "/cancel");
}

void subscription_terminated(TriggerDriver& d) {
  d.api().post("/v1/subscriptions/" + subscribed(d, card::kGood) + "/terminate");
}

void wallet_created(TriggerDriver& d) { wallet(d, d.customer()); }

void wallet_topped_up(TriggerDriver& d) {
  d.api().post("/v1/wallets/" + wallet(d, d.customer()) + "/transactions", {{"granted_credits", "5"}});
}

void wallet_depleted(TriggerDriver& d) {
  const auto code = d.metric();
  const auto customer = d.customer_with_card(card::kGood);
  const auto sub = d.subscription(customer, d.plan({{"amount", 0}, {"charges", json::array{usage_charge(code)}}}));
  const auto id = wallet(d, customer);
  d.usage(sub, code, "20");
  d.await_event("wallet.balance_depleted", id);
}

void wallet_terminated(TriggerDriver& d) { d.api().post("/v1/wallets/" + wallet(d, d.customer()) + "/terminate"); }

void wallet_purchase_declined(TriggerDriver& d) {
  const auto id = wallet(d, d.customer_with_card(card::kNoFunds));
  d.api().post("/v1/wallets/" + id + "/transactions", {{"paid_credits", "20"}});
}

void metric_created(TriggerDriver& d) { d.metric(); }

void metric_updated(TriggerDriver& d) {
  d.metric();
  d.api().patch("/v1/billable-metrics/" + d.created().back().id, {{"name", "Storage (GB)"}});
}

void metric_archived(TriggerDriver& d) {
  d.metric();
  d.api().post("/v1/billable-metrics/" + d.created().back().id + "/archive");
}

void fee_in_advance(TriggerDriver& d) {
  const auto code = d.metric();
  const auto sub = subscribed(d, card::kGood, {{"amount", 0}, {"charges", json::array{usage_charge(code, true)}}});
  d.usage(sub, code, "3");
}

void usage_not_billable(TriggerDriver& d) {
  const auto sub = subscribed(d, card::kGood);
  d.usage(sub, d.unique("unknown-code"), "1");
  d.api().post("/v1/usage-events/validate");
}

}  // namespace billhook::cli::scenarios
