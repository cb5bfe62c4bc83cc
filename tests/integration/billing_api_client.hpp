#pragma once

// The billing API as the integration tests drive it: one call per route, each checking the status
// of the answer and returning its JSON (or the new resource's id). An unexpected answer throws
// std::runtime_error naming the call and showing the answer, which GoogleTest reports as the test's
// failure. Tests that check a refused request call the HttpClient (http()) and is_error themselves.

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "support/http_client.hpp"

namespace billhook::testing {

namespace json = boost::json;

// Sandbox card numbers (README, "Billing").
constexpr const char* kGoodCard = "4242424242424242";
constexpr const char* kNoFundsCard = "4000000000009995";
constexpr const char* kRefundsFailCard = "4000000000005126";

constexpr int64_t kDay = 86'400;

// A plan billed 25.00 EUR every month, in advance (the default), with the code `code`.
inline json::object plan_body(const std::string& code) {
  return {{"code", code}, {"name", "Pro monthly"}, {"interval", "month"}, {"amount", 2500}, {"currency", "EUR"}};
}

// The JSON object of `response`, which must have `status`; otherwise throws naming `what`.
inline json::object expect_json(const Response& response, int status, const std::string& what) {
  if (response.status != status) throw std::runtime_error(what + ": " + describe(response));
  return response.json().as_object();
}

class BillingApi {
 public:
  explicit BillingApi(HttpClient& http) : http_(http) {}

  HttpClient& http() { return http_; }

  // Any route: the answer, which must have `status`.
  json::object get(const std::string& path, int status = 200) {
    return expect_json(http_.get(path), status, "GET " + path);
  }
  json::object post(const std::string& path, const json::object& body = {}, int status = 200) {
    return expect_json(http_.post(path, body), status, "POST " + path);
  }

  // --- customers and cards ---

  // A customer named Ada with an e-mail address; `fields` add to or replace those. Answers its id.
  std::string customer(json::object fields = {}) {
    json::object body{{"name", "Ada"}, {"email", "ada@example.com"}};
    for (const auto& field : fields) body[field.key()] = field.value();
    return id_of(post("/v1/customers", body, 201));
  }

  // Attaches the sandbox card `number` (expiring 12/2035) to the customer; `extra` goes into the body
  // ("default", "fallback_order", …). Answers its id.
  std::string card(const std::string& customer_id, std::string_view number, json::object extra = {}) {
    extra["customer"] = customer_id;
    extra["type"] = "card";
    extra["card"] = json::object{{"number", number}, {"exp_month", 12}, {"exp_year", 2035}};
    return id_of(post("/v1/payment-methods", extra, 201));
  }

  // --- invoices ---

  // An invoice of 2 × 50.00 EUR at 19 % tax (119.00 EUR), due 10 days after it is issued, issued at
  // once ("auto_finalize"); `extra` adds or replaces fields.
  static json::object invoice_body(const std::string& customer_id, json::object extra = {}) {
    json::object body{{"customer", customer_id},
                      {"currency", "EUR"},
                      {"auto_finalize", true},
                      {"days_until_due", 10},
                      {"lines", json::array{json::object{{"description", "Consulting"},
                                                         {"quantity", 2},
                                                         {"unit_amount", 5000},
                                                         {"tax_rate_bps", 1900}}}}};
    for (const auto& field : extra) body[field.key()] = field.value();
    return body;
  }

  // Creates the invoice_body invoice; answers its id.
  std::string invoice(const std::string& customer_id, json::object extra = {}) {
    return id_of(post("/v1/invoices", invoice_body(customer_id, std::move(extra)), 201));
  }
  // The same invoice left a draft (no "auto_finalize" at all); answers its id.
  std::string draft(const std::string& customer_id, json::object extra = {}) {
    auto body = invoice_body(customer_id, std::move(extra));
    body.erase("auto_finalize");
    return id_of(post("/v1/invoices", body, 201));
  }
  json::object invoice_of(const std::string& invoice_id) { return get("/v1/invoices/" + invoice_id); }
  json::object finalize(const std::string& invoice_id) {
    return post("/v1/invoices/" + invoice_id + "/finalize");
  }
  // Collects the invoice: `{}` charges the customer's cards, `{"external": true, "amount": n}`
  // records money paid elsewhere. Answers the invoice.
  json::object pay(const std::string& invoice_id, json::object body = {}) {
    return post("/v1/invoices/" + invoice_id + "/pay", body);
  }

  // --- refunds, disputes, credit notes and the balance ---

  json::object refund(const std::string& invoice_id, json::object body) {
    return post("/v1/invoices/" + invoice_id + "/refunds", body, 201);
  }
  json::object confirm_refund(const std::string& refund_id) { return post("/v1/refunds/" + refund_id + "/confirm"); }
  json::object dispute(const std::string& invoice_id, json::object body = {}) {
    return post("/v1/invoices/" + invoice_id + "/disputes", body, 201);
  }
  json::object close_dispute(const std::string& dispute_id, std::string_view status) {
    return post("/v1/disputes/" + dispute_id + "/close", {{"status", status}});
  }
  json::object credit_note(json::object body) { return post("/v1/credit-notes", body, 201); }
  json::object issue_credit_note(const std::string& id) { return post("/v1/credit-notes/" + id + "/issue"); }
  json::object void_credit_note(const std::string& id) { return post("/v1/credit-notes/" + id + "/void"); }
  json::object balance(const std::string& customer_id) { return get("/v1/customers/" + customer_id + "/balance"); }
  // The customer's balance ledger, newest first.
  json::array balance_transactions(const std::string& customer_id) {
    return get("/v1/customers/" + customer_id + "/balance-transactions").at("data").as_array();
  }

  // Seed 001's three collection flows, each on a customer of its own: an invoice paid at once, one whose
  // card is declined (left open, sent), and one declined then paid with a new default card.
  struct Seed001Invoices {
    std::string good_customer;  // the customer paid at once
    std::string poor_customer;  // the customer whose card is declined
    std::string paid_at_once;
    std::string failed;
    std::string recovered;
  };
  Seed001Invoices seed001_flows() {
    Seed001Invoices out;
    out.good_customer = customer();
    card(out.good_customer, kGoodCard);
    out.paid_at_once = invoice(out.good_customer);
    EXPECT_EQ(json::value_to<std::string>(pay(out.paid_at_once).at("status")), "paid");

    out.poor_customer = customer();
    card(out.poor_customer, kNoFundsCard);
    out.failed = invoice(out.poor_customer, {{"collection_method", "send_invoice"}});
    EXPECT_EQ(json::value_to<std::string>(pay(out.failed).at("status")), "open");

    const auto recovering = customer();
    card(recovering, kNoFundsCard);
    out.recovered = invoice(recovering);
    EXPECT_EQ(json::value_to<std::string>(pay(out.recovered).at("status")), "open");
    card(recovering, kGoodCard, {{"default", true}});
    EXPECT_EQ(json::value_to<std::string>(pay(out.recovered).at("status")), "paid");
    return out;
  }

  // --- endpoints and events ---

  // Creates an endpoint; answers it as created (with its secret).
  json::object endpoint(json::object body) { return post("/v1/endpoints", body, 201); }
  // How many events the server stored about `aggregate_id`.
  size_t events_about(const std::string& aggregate_id);

 private:
  static std::string id_of(const json::object& resource) { return json::value_to<std::string>(resource.at("id")); }

  HttpClient& http_;
};

}  // namespace billhook::testing
