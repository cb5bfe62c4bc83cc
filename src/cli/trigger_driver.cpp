#include "cli/trigger_driver.hpp"

#include <boost/json.hpp>
#include <chrono>
#include <random>
#include <thread>

namespace billhook::cli {

namespace json = boost::json;

namespace {

std::string str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : std::string(); }

}  // namespace

std::string TriggerDriver::remember(std::string kind, const json::object& resource) {
  auto id = str(resource.contains("id") ? resource.at("id") : json::value());
  if (id.empty()) throw ApiError(0, "the new " + kind + " has no id");
  created_.push_back({std::move(kind), id});
  return id;
}

std::string TriggerDriver::unique(std::string_view what) {
  if (run_tag_.empty()) {
    std::random_device rd;
    run_tag_ = std::to_string(rd() % 1'000'000'000);
  }
  return "trg-" + std::string(what) + "-" + run_tag_ + "-" + std::to_string(++counter_);
}

std::string TriggerDriver::customer(json::object fields) {
  json::object body{{"name", "Ada Trigger"}, {"email", "ada@example.com"}};
  for (const auto& f : fields) body[f.key()] = f.value();
  return remember("customer", api_.post("/v1/customers", body));
}

std::string TriggerDriver::card(const std::string& customer_id, std::string_view number, json::object extra) {
  extra["customer"] = customer_id;
  extra["type"] = "card";
  extra["card"] = json::object{{"number", number}, {"exp_month", 12}, {"exp_year", 2035}};
  return remember("payment_method", api_.post("/v1/payment-methods", extra));
}

std::string TriggerDriver::customer_with_card(std::string_view number) {
  auto id = customer();
  card(id, number);
  return id;
}

json::object TriggerDriver::invoice_body(const std::string& customer_id, json::object extra) {
  json::object body{{"customer", customer_id},
                    {"currency", "EUR"},
                    {"auto_finalize", true},
                    {"days_until_due", 10},
                    {"lines", json::array{json::object{{"description", "Consulting"},
                                                       {"quantity", 2},
                                                       {"unit_amount", 5000},
                                                       {"tax_rate_bps", 1900}}}}};
  for (const auto& f : extra) body[f.key()] = f.value();
  return body;
}

std::string TriggerDriver::invoice(const std::string& customer_id, json::object extra, bool draft) {
  auto body = invoice_body(customer_id, std::move(extra));
  if (draft) body.erase("auto_finalize");
  return remember("invoice", api_.post("/v1/invoices", body));
}

std::string TriggerDriver::unpaid_invoice(int64_t days) {
  return invoice(customer(), {{"collection_method", "send_invoice"}, {"days_until_due", days}});
}

std::string TriggerDriver::paid_invoice(std::string_view card_number) {
  const auto inv = invoice(customer_with_card(card_number));
  const auto paid = pay(inv);
  if (str(paid.at("status")) != "paid") throw ApiError(0, "invoice " + inv + " was not paid: " + json::serialize(paid));
  return inv;
}

json::object TriggerDriver::pay(const std::string& invoice_id, json::object body) {
  return api_.post("/v1/invoices/" + invoice_id + "/pay", body);
}

std::string TriggerDriver::first_payment_of(const std::string& invoice_id) {
  const auto payments = api_.get("/v1/invoices/" + invoice_id + "/payments");
  for (const auto& p : payments.at("data").as_array())
    if (str(p.at("status")) == "succeeded") return str(p.at("id"));
  throw ApiError(0, "invoice " + invoice_id + " has no succeeded payment");
}

std::string TriggerDriver::plan(json::object extra) {
  json::object body{{"code", unique("plan")}, {"name", "Pro monthly"}, {"interval", "month"}, {"amount", 2500},
                    {"currency", "EUR"}};
  for (const auto& f : extra) body[f.key()] = f.value();
  return remember("plan", api_.post("/v1/plans", body));
}

std::string TriggerDriver::subscription(const std::string& customer_id, const std::string& plan_id,
                                        json::object extra) {
  extra["customer"] = customer_id;
  extra["plan"] = plan_id;
  return remember("subscription", api_.post("/v1/subscriptions", extra));
}

std::string TriggerDriver::metric() {
  const auto code = unique("gb");
  remember("billable_metric", api_.post("/v1/billable-metrics", {{"code", code},
                                                                 {"name", "Storage"},
                                                                 {"aggregation_type", "sum"},
                                                                 {"field_name", "gb"}}));
  return code;
}

void TriggerDriver::usage(const std::string& subscription_id, const std::string& code, std::string_view amount) {
  remember("usage_event", api_.post("/v1/usage-events", {{"transaction_id", unique("tx")},
                                                         {"code", code},
                                                         {"external_subscription_id", subscription_id},
                                                         {"properties", json::object{{"gb", amount}}}}));
}

void TriggerDriver::advance(int64_t seconds) {
  const auto answer = api_.call("POST", "/v1/test/clock", json::serialize(json::object{{"advance_seconds", seconds}}));
  if (answer.status == 404)
    throw ApiError(404, "this event is time-driven: start the server with --test-clock (POST /v1/test/clock -> 404)");
  if (answer.status != 200)
    throw ApiError(answer.status, "POST /v1/test/clock -> " + std::to_string(answer.status) + " " + answer.body +
                                      answer.error);
}

int64_t TriggerDriver::now() {
  const auto c = api_.post("/v1/customers", {{"name", "Clock reading"}});
  created_.push_back({"customer", str(c.at("id"))});
  return c.at("created").to_number<int64_t>();
}

void TriggerDriver::await_event(std::string_view type, std::string_view aggregate_id) {
  std::string path = "/v1/events?limit=1&type=" + std::string(type);
  if (!aggregate_id.empty()) path += "&aggregate_id=" + std::string(aggregate_id);
  await_nonempty(path, std::string(type) + " about " + std::string(aggregate_id));
}

void TriggerDriver::await_nonempty(const std::string& path, std::string_view what) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  auto pause = std::chrono::milliseconds(20);
  while (api_.get(path).at("data").as_array().empty()) {
    if (std::chrono::steady_clock::now() > deadline)
      throw ApiError(0, "waited 60 s for " + std::string(what) + " (GET " + path + ")");
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(500));
  }
}

}  // namespace billhook::cli
