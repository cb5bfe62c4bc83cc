// Proformas, partner invoices and invoice batches through the real binary: each driven with the API,
// its events arriving at a loopback receiver in order; refused requests (a credit on a voided proforma,
// paying a voided proforma, an empty or oversized batch, a malformed item) answered 4xx with a clear
// message and changing nothing; and a large batch that survives kill -9 half-way and, after a restart
// on the same data directory, finishes with exactly one invoice per item.

#include <chrono>
#include <set>

#include "integration/integration_helpers.hpp"
#include "support/receiver.hpp"

namespace billhook::testing {
namespace {

using namespace std::chrono_literals;
using Strings = std::vector<std::string>;

json::object invoice_body(const std::string& customer_id, int64_t unit_amount = 10000) {
  return json::object{{"customer", customer_id},
                      {"currency", "EUR"},
                      {"collection_method", "send_invoice"},
                      {"days_until_due", 14},
                      {"lines", json::array{json::object{{"description", "Annual licence"},
                                                         {"unit_amount", unit_amount},
                                                         {"tax_rate_bps", 1900}}}}};
}

class DocumentsApiTest : public BillingServerTest {
 protected:
  std::string customer(std::optional<std::string> currency = std::nullopt) {
    json::object fields;
    if (currency) fields["currency"] = *currency;
    return api_->customer(std::move(fields));
  }

  // The data.object of the last `type` event `path` received about `id`.
  json::object received_object(const std::string& path, const std::string& id, const std::string& type) {
    json::object out;
    for (const auto& r : rx_.requests_for(path)) {
      const auto body = r.json();
      if (str(body.at("aggregate").at("id")) == id && str(body.at("type")) == type)
        out = body.at("data").at("object").as_object();
    }
    return out;
  }

  size_t events_total() { return count_all(*client_, "/v1/events"); }
};

// --- proformas -------------------------------------------------------------------------------------

TEST_F(DocumentsApiTest, ProformaCreatedCreditedAndConvertedArriveInOrder) {
  endpoint("/proforma", json::array{"proforma.*", "invoice.created", "invoice.finalized", "invoice.paid"});
  auto body = invoice_body(customer());
  body["auto_finalize"] = true;
  const auto created = api_->post("/v1/proformas", body, 201);
  const auto id = str(created.at("id"));
  EXPECT_EQ(str(created.at("kind")), "proforma");
  EXPECT_EQ(str(created.at("status")), "open");
  EXPECT_TRUE(created.at("number").is_null());

  const auto credited = api_->post("/v1/proformas/" + id + "/credit",
                                   {{"amount", 1900}, {"reason", "order_change"}, {"description", "one seat fewer"}});
  EXPECT_EQ(credited.at("amount_credited").as_int64(), 1900);
  EXPECT_EQ(credited.at("amount_remaining").as_int64(), 10000);

  const auto paid = api_->pay(id, {{"external", true}, {"amount", 10000}});
  EXPECT_EQ(str(paid.at("status")), "converted");
  const auto tax_invoice = str(paid.at("converted_to"));

  ASSERT_TRUE(await_received("/proforma", id, 3));
  ASSERT_TRUE(await_received("/proforma", tax_invoice, 3));
  EXPECT_EQ(received("/proforma", id), (Strings{"proforma.created", "proforma.credited", "proforma.converted"}));
  EXPECT_EQ(received("/proforma", tax_invoice), (Strings{"invoice.created", "invoice.finalized", "invoice.paid"}));
  const auto credit = received_object("/proforma", id, "proforma.credited").at("credit");
  EXPECT_EQ(credit.at("amount").as_int64(), 1900);
  EXPECT_EQ(str(credit.at("reason")), "order_change");
  const auto invoice = api_->get("/v1/invoices/" + tax_invoice);
  EXPECT_EQ(str(invoice.at("status")), "paid");
  EXPECT_EQ(str(invoice.at("converted_from")), id);
  EXPECT_TRUE(invoice.at("number").is_string());
}

TEST_F(DocumentsApiTest, ProformaVoidedThenRefusesPaymentAndCredit) {
  endpoint("/proforma", json::array{"proforma.*"});
  auto body = invoice_body(customer());
  body["auto_finalize"] = true;
  const auto id = str(api_->post("/v1/proformas", body, 201).at("id"));
  api_->post("/v1/invoices/" + id + "/void");
  ASSERT_TRUE(await_received("/proforma", id, 2));
  EXPECT_EQ(received("/proforma", id), (Strings{"proforma.created", "proforma.voided"}));

  const size_t events = events_total();
  const auto before = client_->get("/v1/invoices/" + id).body;
  EXPECT_TRUE(is_error(client_->post("/v1/invoices/" + id + "/pay", json::object{{"external", true}, {"amount", 11900}}),
                       409, "invalid_transition"));
  const auto credit = client_->post("/v1/proformas/" + id + "/credit", json::object{{"amount", 100}});
  EXPECT_TRUE(is_error(credit, 409, "invalid_transition"));
  EXPECT_NE(credit.body.find("cannot credit a proforma that is void"), std::string::npos) << credit.body;
  EXPECT_EQ(client_->get("/v1/invoices/" + id).body, before);
  EXPECT_EQ(events_total(), events);
}

TEST_F(DocumentsApiTest, BadProformaRequestsAreRefusedAndChangeNothing) {
  const auto cus = customer();
  auto body = invoice_body(cus);
  body["auto_finalize"] = true;
  const auto id = str(api_->post("/v1/proformas", body, 201).at("id"));
  const auto invoice = str(api_->post("/v1/invoices", invoice_body(cus), 201).at("id"));
  const size_t events = events_total();

  auto as_invoice = invoice_body(cus);
  as_invoice["kind"] = "invoice";
  EXPECT_TRUE(is_error(client_->post("/v1/proformas", as_invoice), 400, "invalid_value", "kind"));
  EXPECT_TRUE(is_error(client_->post("/v1/proformas/" + id + "/credit", json::object{{"amount", 0}}), 400,
                       "parameter_invalid", "amount"));
  EXPECT_TRUE(is_error(client_->post("/v1/proformas/" + id + "/credit", json::object{}), 400, "missing_field", "amount"));
  EXPECT_TRUE(is_error(client_->post("/v1/proformas/" + id + "/credit", json::object{{"amount", 5}, {"reason", "whim"}}),
                       400, "invalid_value", "reason"));
  EXPECT_TRUE(is_error(client_->post("/v1/proformas/" + id + "/credit", json::object{{"amount", 11900}}), 409,
                       "credit_exceeds_remaining", "amount"));
  EXPECT_TRUE(is_error(client_->post("/v1/proformas/" + invoice + "/credit", json::object{{"amount", 5}}), 404,
                       "proforma_not_found"));
  EXPECT_TRUE(is_error(client_->post("/v1/proformas/inv_nope/credit", json::object{{"amount", 5}}), 404,
                       "proforma_not_found"));
  EXPECT_EQ(events_total(), events);
  EXPECT_EQ(api_->get("/v1/invoices/" + id).at("amount_credited").as_int64(), 0);
}

// --- partner invoices ------------------------------------------------------------------------------

TEST_F(DocumentsApiTest, PartnerInvoiceCreatedPaidAndOverdueOnce) {
  endpoint("/partner", json::array{"partner_invoice.*"});
  const auto partner = customer();
  auto body = invoice_body(partner, 45);
  body["auto_finalize"] = true;
  body["days_until_due"] = 7;
  const auto unpaid = api_->post("/v1/partner-invoices", body, 201);
  EXPECT_EQ(str(unpaid.at("audience")), "partner");
  const auto unpaid_id = str(unpaid.at("id"));
  const auto settled_id = str(api_->post("/v1/partner-invoices", body, 201).at("id"));
  const auto paid = api_->pay(settled_id, {{"external", true}, {"amount", 54}});
  EXPECT_EQ(str(paid.at("status")), "paid");

  advance_clock(*client_, 8 * kDay);
  ASSERT_TRUE(await_received("/partner", unpaid_id, 2));
  ASSERT_TRUE(await_received("/partner", settled_id, 2));
  // Another pass over the same due date sends nothing again. A partner invoice due now is the barrier:
  // once its own overdue arrived, the pass (in id order) has been over the first one again.
  auto due_now = body;
  due_now["days_until_due"] = 0;
  const auto marker = str(api_->post("/v1/partner-invoices", due_now, 201).at("id"));
  advance_clock(*client_, 1 * kDay);
  ASSERT_TRUE(await_received("/partner", marker, 2));
  EXPECT_EQ(received("/partner", marker), (Strings{"partner_invoice.created", "partner_invoice.overdue"}));
  EXPECT_EQ(received("/partner", unpaid_id), (Strings{"partner_invoice.created", "partner_invoice.overdue"}));
  EXPECT_EQ(received("/partner", settled_id), (Strings{"partner_invoice.created", "partner_invoice.paid"}));
  EXPECT_EQ(count_all(*client_, "/v1/events?type=partner_invoice.overdue&aggregate_id=" + unpaid_id), 1u);
  EXPECT_EQ(count_all(*client_, "/v1/events?type=invoice.overdue&aggregate_id=" + unpaid_id), 0u);

  auto with_kind = body;
  with_kind["kind"] = "proforma";
  EXPECT_TRUE(is_error(client_->post("/v1/partner-invoices", with_kind), 400, "unknown_parameter", "kind"));
}

// --- invoice batches -------------------------------------------------------------------------------

TEST_F(DocumentsApiTest, InvoiceBatchEventsArriveInOrderAndItsProgressCanBeRead) {
  endpoint("/batch", json::array{"invoice_batch.*"});
  const auto first = customer();
  const auto second = customer();
  const auto dollars = customer("USD");
  const std::string unknown = "cus_01M6A6FT00XVYV3BGVAXJXAZAK";
  const auto accepted = api_->post("/v1/invoice-batches",
                                   {{"description", "November class packs"},
                                    {"items", json::array{invoice_body(first), invoice_body(unknown),
                                                          invoice_body(dollars), invoice_body(second, 2000)}}},
                                   202);
  const auto id = str(accepted.at("id"));
  EXPECT_EQ(str(accepted.at("status")), "pending");
  EXPECT_EQ(accepted.at("total_count").as_int64(), 4);

  ASSERT_TRUE(await_received("/batch", id, 5));
  EXPECT_EQ(received("/batch", id), (Strings{"invoice_batch.created", "invoice_batch.processing",
                                             "invoice_batch.invoice_failed", "invoice_batch.invoice_failed",
                                             "invoice_batch.succeeded"}));
  std::vector<std::string> reasons;
  for (const auto& r : rx_.requests_for("/batch"))
    if (r.event_type() == "invoice_batch.invoice_failed")
      reasons.push_back(str(r.json().at("data").at("object").at("failed_item").at("reason")));
  EXPECT_EQ(reasons, (Strings{"customer_not_found", "currency_mismatch"}));

  const auto batch = api_->get("/v1/invoice-batches/" + id);
  EXPECT_EQ(str(batch.at("status")), "succeeded");
  EXPECT_EQ(batch.at("succeeded_count").as_int64(), 2);
  EXPECT_EQ(batch.at("failed_count").as_int64(), 2);
  EXPECT_TRUE(batch.at("completed_at").is_int64());
  const auto& items = batch.at("items").as_array();
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(str(items[1].at("failure").at("reason")), "customer_not_found");
  EXPECT_TRUE(items[1].at("invoice").is_null());
  EXPECT_EQ(str(items[2].at("failure").at("reason")), "currency_mismatch");
  for (size_t i : {size_t{0}, size_t{3}}) {
    EXPECT_EQ(str(items[i].at("status")), "succeeded");
    const auto invoice = api_->get("/v1/invoices/" + str(items[i].at("invoice")));
    EXPECT_EQ(invoice.at("customer"), items[i].at("customer"));
    EXPECT_EQ(str(invoice.at("status")), "open");
  }
  EXPECT_EQ(count_all(*client_, "/v1/invoices"), 2u);
  EXPECT_TRUE(is_error(client_->get("/v1/invoice-batches/ib_01M6A6FT003BDQCRHQQB4HNJ60"), 404,
                       "invoice_batch_not_found"));
  const auto listed = list_all(*client_, "/v1/invoice-batches");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(str(listed[0].at("id")), id);
  EXPECT_EQ(listed[0].at("failed_count").as_int64(), 2);
  EXPECT_FALSE(listed[0].contains("items")) << "a list shows the counts; GET one batch for its items";
  EXPECT_TRUE(is_error(client_->get("/v1/invoice-batches?starting_after=inv_01M6A6FT006QFQCJYSFZZCNTTR"), 400,
                       "invalid_id", "starting_after"));
}

TEST_F(DocumentsApiTest, BadBatchesAreRefusedAndStoreNothing) {
  const auto cus = customer();
  const size_t events = events_total();
  EXPECT_TRUE(is_error(client_->post("/v1/invoice-batches", json::object{{"items", json::array{}}}), 400,
                       "parameter_missing", "items"));
  EXPECT_TRUE(is_error(client_->post("/v1/invoice-batches", json::object{}), 400, "missing_field", "items"));
  json::array many;
  for (int i = 0; i < 1001; ++i) many.push_back(invoice_body(cus));
  const auto too_many = client_->post("/v1/invoice-batches", json::object{{"items", many}});
  EXPECT_TRUE(is_error(too_many, 400, "too_many_items", "items"));
  EXPECT_NE(too_many.body.find("at most 1000"), std::string::npos) << too_many.body;

  auto no_currency = invoice_body(cus);
  no_currency.erase("currency");
  const auto missing = client_->post("/v1/invoice-batches",
                                     json::object{{"items", json::array{invoice_body(cus), no_currency}}});
  EXPECT_TRUE(is_error(missing, 400, "missing_field", "items.1.currency"));
  EXPECT_NE(missing.body.find("items.1: "), std::string::npos) << missing.body;
  auto bad_line = invoice_body(cus);
  bad_line["lines"] = json::array{json::object{{"unit_amount", "ten"}}};
  EXPECT_TRUE(is_error(client_->post("/v1/invoice-batches", json::object{{"items", json::array{bad_line}}}), 400,
                       "invalid_type", "items.0.lines.0.unit_amount"));
  EXPECT_TRUE(is_error(client_->post("/v1/invoice-batches", json::object{{"items", json::array{invoice_body("ada")}}}),
                       400, "invalid_id", "items.0.customer"));
  auto finalize_choice = invoice_body(cus);
  finalize_choice["auto_finalize"] = false;
  EXPECT_TRUE(is_error(client_->post("/v1/invoice-batches", json::object{{"items", json::array{finalize_choice}}}),
                       400, "unknown_parameter", "items.0.auto_finalize"));
  EXPECT_EQ(events_total(), events);
  EXPECT_EQ(count_all(*client_, "/v1/invoices"), 0u);
}

TEST_F(DocumentsApiTest, ABatchPostedTwiceWithOneIdempotencyKeyIsCreatedOnce) {
  endpoint("/batch", json::array{"invoice_batch.succeeded"});
  const json::object body{{"items", json::array{invoice_body(customer())}}};
  const Headers key = {{"Idempotency-Key", "november-batch"}};
  const auto first = client_->post("/v1/invoice-batches", body, key);
  const auto second = client_->post("/v1/invoice-batches", body, key);
  ASSERT_EQ(first.status, 202) << describe(first);
  EXPECT_EQ(second.status, 202);
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(second.header("Idempotent-Replayed"), "true");
  const auto id = str(first.json().at("id"));
  ASSERT_TRUE(await_received("/batch", id, 1));
  EXPECT_EQ(count_all(*client_, "/v1/events?type=invoice_batch.created"), 1u);
  EXPECT_EQ(count_all(*client_, "/v1/invoices"), 1u);
}

// kill -9 while a large batch is being invoiced, then a restart on the same data directory: the batch
// resumes at its first pending item and every item ends with exactly one invoice.
TEST(InvoiceBatchCrash, ABatchKilledHalfWayFinishesAfterARestartWithOneInvoicePerItem) {
  ServerOptions options;
  options.extra_args = {"--batch-chunk-size", "5"};  // small chunks: many chances to stop half-way
  ServerProcess server(options);
  auto client = client_for(server);
  BillingApi api(client);
  std::vector<std::string> customers;
  for (int i = 0; i < 10; ++i) customers.push_back(api.customer());
  json::array items;
  for (size_t i = 0; i < 1000; ++i) items.push_back(invoice_body(customers[i % customers.size()], 100 + int64_t(i)));
  const auto id = str(api.post("/v1/invoice-batches", {{"items", items}}, 202).at("id"));

  // Wait (polling the progress, which is what a client does) until it is part-way, then kill it.
  int64_t done_before_kill = 0;
  poll_until(
      [&] {
        done_before_kill = api.get("/v1/invoice-batches/" + id).at("succeeded_count").as_int64();
        return done_before_kill >= 20;
      },
      30s, 5ms);
  server.kill9();
  ASSERT_GE(done_before_kill, 20) << "the batch never got going";
  ASSERT_LT(done_before_kill, 1000) << "the batch finished before it could be interrupted";

  server.restart();
  client.set_port(server.port());
  json::object batch;
  poll_until(
      [&] {
        batch = api.get("/v1/invoice-batches/" + id);
        return str(batch.at("status")) != "processing" && str(batch.at("status")) != "pending";
      },
      60s, 20ms);
  ASSERT_EQ(str(batch.at("status")), "succeeded") << json::serialize(batch);
  EXPECT_EQ(batch.at("succeeded_count").as_int64(), 1000);
  EXPECT_EQ(batch.at("failed_count").as_int64(), 0);
  EXPECT_NE(server.stderr_text().find("invoice batch resumed"), std::string::npos)
      << "the second run picked the batch up half-way";

  // Exactly one invoice per item: 1000 distinct invoices, each the one its item names, and no other.
  std::set<std::string> item_invoices;
  for (const auto& item : batch.at("items").as_array()) {
    EXPECT_EQ(str(item.at("status")), "succeeded");
    item_invoices.insert(str(item.at("invoice")));
  }
  EXPECT_EQ(item_invoices.size(), 1000u);
  std::set<std::string> stored;
  for (const auto& invoice : list_all(client, "/v1/invoices")) stored.insert(str(invoice.at("id")));
  EXPECT_EQ(stored, item_invoices);
  EXPECT_EQ(count_all(client, "/v1/events?type=invoice.created"), 1000u);
  EXPECT_EQ(count_all(client, "/v1/events?type=invoice_batch.succeeded"), 1u);
}

}  // namespace
}  // namespace billhook::testing
