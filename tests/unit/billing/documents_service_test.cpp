// Proformas, partner invoices and invoice batches against each store backend: one test per event type
// they emit — the event is stored with its change, in order among its neighbours, and its data.object
// is valid against the catalog's schema for that type — plus the refusals that change nothing, and a
// batch that resumes after a crash without invoicing anyone twice.
#include <map>
#include <set>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "billing/registry/document_clock.hpp"
#include "billing/registry/document_reads.hpp"
#include "billing/invoice_batch_service.hpp"
#include "billing/proforma_service.hpp"
#include "billing_fixture.hpp"
#include "support/forwarding_store.hpp"
#include "support/wait.hpp"

namespace billhook::billing {
namespace {

namespace json = boost::json;
using testing::BillingFixture;
using testing::kStartMs;
using testing::StoredEvent;
using testing::Strings;

// What a caller asks to invoice: 100.00 EUR plus 19 % tax by default, due in 14 days.
Invoice document(const std::string& customer_id, int64_t unit_amount = 10000) {
  Invoice doc;
  doc.customer_id = customer_id;
  doc.currency = "EUR";
  doc.collection_method = CollectionMethod::send_invoice;
  doc.days_until_due = 14;
  doc.lines = {LineItem{.description = "Annual licence", .unit_amount = unit_amount, .tax_rate_bps = 1900}};
  return doc;
}

class DocumentsTest : public BillingFixture {
 protected:
  DocumentsTest() : BillingFixture(17) {}

  void open_services() override {
    batches_ = std::make_unique<InvoiceBatches>(*service_, catalog::Catalog::builtin(), ids_, chunk_size_);
  }
  void close_services() override { batches_.reset(); }

  // A restart with batches of `chunk_size` items per transaction.
  void reopen(size_t chunk_size = 2) {
    chunk_size_ = chunk_size;
    BillingFixture::reopen();
  }

  std::string customer(std::optional<std::string> currency = std::nullopt) {
    CustomerChange fields{.name = std::optional<std::string>("Ada")};
    if (currency) fields.currency = std::optional<std::string>(*currency);
    auto c = write([&](store::WriteTx& tx) { return service_->create_customer(tx, fields, {}); });
    EXPECT_TRUE(c.ok());
    return c.ok() ? c->id : std::string();
  }

  core::Result<InvoiceResult> create(Invoice doc, bool auto_finalize) {
    return write([&](store::WriteTx& tx) { return service_->create_invoice(tx, doc, auto_finalize, {}); });
  }

  std::string open_proforma(const std::string& customer_id) {
    Invoice doc = document(customer_id);
    doc.kind = InvoiceKind::proforma;
    auto r = create(doc, true);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r->invoice.id : std::string();
  }

  core::Result<InvoiceResult> credit(const std::string& id, int64_t amount,
                                     ProformaCreditReason reason = ProformaCreditReason::order_change) {
    return write([&](store::WriteTx& tx) {
      return credit_proforma(*service_, tx, id, {.amount = amount, .reason = reason, .description = "one seat fewer"},
                             {});
    });
  }

  core::Result<InvoiceResult> pay_external(const std::string& id, int64_t amount) {
    return write(
        [&](store::WriteTx& tx) { return service_->pay(tx, id, {.external = true, .amount = amount}, {}); });
  }


  // --- batches -------------------------------------------------------------------------------------

  core::Result<InvoiceBatch> create_batch(std::vector<Invoice> items, bool auto_finalize = true) {
    return write([&](store::WriteTx& tx) {
      return batches_->create(tx, {.description = "November class packs", .auto_finalize = auto_finalize,
                                   .items = std::move(items)},
                              {.request_id = "req_batch", .idempotency_key = ""});
    });
  }

  core::Result<InvoiceBatch> chunk(const std::string& batch_id) {
    return write([&](store::WriteTx& tx) { return batches_->process_chunk(tx, batch_id); });
  }

  InvoiceBatch run_to_end(const std::string& batch_id) {
    for (int i = 0; i < 1000; ++i) {
      auto b = chunk(batch_id);
      EXPECT_TRUE(b.ok()) << (b.ok() ? "" : b.error().message);
      if (!b.ok() || b->finished()) return b.ok() ? *b : InvoiceBatch{};
    }
    ADD_FAILURE() << "the batch never finished";
    return {};
  }

  std::vector<BatchItem> items_of(const std::string& batch_id) {
    auto page = store_->list_documents({.page = {.limit = 1000},
                                        .filter = {.kind = std::string(kBatchItems.kind), .parent_id = batch_id}});
    EXPECT_TRUE(page.ok());
    std::vector<BatchItem> out;
    for (auto it = page->items.rbegin(); it != page->items.rend(); ++it) out.push_back(*kBatchItems.decode(it->body));
    return out;
  }

  // How many stored invoices each customer has.
  std::map<std::string, int> invoices_per_customer() {
    std::map<std::string, int> out;
    auto page =
        store_->list_documents({.page = {.limit = 1000}, .filter = {.kind = std::string(stored::kInvoice)}});
    EXPECT_TRUE(page.ok());
    EXPECT_FALSE(page->has_more);
    for (const auto& r : page->items) ++out[r.customer_id];
    return out;
  }

  size_t chunk_size_ = 2;
  std::unique_ptr<InvoiceBatches> batches_;
};

// --- proformas -------------------------------------------------------------------------------------

TEST_P(DocumentsTest, ProformaCreated) {
  Invoice doc = document(customer());
  doc.kind = InvoiceKind::proforma;
  auto draft = create(doc, false);
  ASSERT_TRUE(draft.ok()) << draft.error().message;
  const auto events = events_of(draft->invoice.id);
  ASSERT_EQ(types_of(draft->invoice.id), Strings{"proforma.created"});
  EXPECT_EQ(events[0].object.at("kind"), "proforma");
  EXPECT_EQ(events[0].object.at("status"), "draft");
  EXPECT_TRUE(events[0].object.at("number").is_null()) << "a proforma has no legal number";
}

TEST_P(DocumentsTest, ProformaCredited) {
  const auto id = open_proforma(customer());
  const Invoice before = stored_invoice(id);
  ASSERT_EQ(before.amount_remaining, 11900);
  auto r = credit(id, 1900);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->invoice.amount_credited, 1900);
  EXPECT_EQ(r->invoice.amount_remaining, 10000);
  EXPECT_EQ(stored_invoice(id), r->invoice) << "stored with its event";
  const auto events = events_of(id);
  ASSERT_EQ(types_of(id), (Strings{"proforma.created", "proforma.credited"}));
  const auto& credited = events[1];
  EXPECT_EQ(credited.object.at("amount_credited"), 1900);
  EXPECT_EQ(credited.object.at("amount_remaining"), 10000);
  EXPECT_EQ(credited.object.at("credit").at("amount"), 1900);
  EXPECT_EQ(credited.object.at("credit").at("reason"), "order_change");
  EXPECT_EQ(credited.previous.at("amount_credited"), 0);
  EXPECT_EQ(credited.previous.at("amount_remaining"), 11900);
}

TEST_P(DocumentsTest, ProformaCreditRefusalsChangeNothing) {
  const auto cus = customer();
  const auto id = open_proforma(cus);
  Invoice draft_doc = document(cus);
  draft_doc.kind = InvoiceKind::proforma;
  const auto draft = create(draft_doc, false)->invoice.id;
  const auto invoice = create(document(cus), true)->invoice.id;
  const int64_t events = event_count();
  const Invoice before = stored_invoice(id);

  auto zero = credit(id, 0);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().kind, core::ErrorKind::invalid_request);
  EXPECT_EQ(zero.error().param, "amount");

  auto too_much = credit(id, 11900);
  ASSERT_FALSE(too_much.ok());
  EXPECT_EQ(too_much.error().kind, core::ErrorKind::conflict);
  EXPECT_EQ(too_much.error().code, "credit_exceeds_remaining");
  EXPECT_NE(too_much.error().message.find("void the proforma"), std::string::npos) << too_much.error().message;

  auto on_draft = credit(draft, 100);
  ASSERT_FALSE(on_draft.ok());
  EXPECT_EQ(on_draft.error().code, "invalid_transition");
  EXPECT_EQ(on_draft.error().message, "cannot credit a proforma that is draft");

  auto on_invoice = credit(invoice, 100);
  ASSERT_FALSE(on_invoice.ok());
  EXPECT_EQ(on_invoice.error().kind, core::ErrorKind::not_found);
  EXPECT_EQ(on_invoice.error().code, "proforma_not_found");

  EXPECT_EQ(event_count(), events);
  EXPECT_EQ(stored_invoice(id), before);
}

TEST_P(DocumentsTest, ProformaVoided) {
  const auto id = open_proforma(customer());
  auto r = write([&](store::WriteTx& tx) { return service_->apply(tx, id, Void{}, {}); });
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(types_of(id), (Strings{"proforma.created", "proforma.voided"}));
  EXPECT_EQ(events_of(id)[1].previous.at("status"), "open");
}

TEST_P(DocumentsTest, ProformaConvertedAfterACreditIntoAPaidTaxInvoice) {
  const auto id = open_proforma(customer());
  ASSERT_TRUE(credit(id, 1900).ok());
  auto paid = pay_external(id, 10000);
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  ASSERT_TRUE(paid->spawned.has_value());
  EXPECT_EQ(types_of(id), (Strings{"proforma.created", "proforma.credited", "invoice.payment_created",
                                   "invoice.payment_succeeded", "invoice.payment_status_updated",
                                   "proforma.converted"}));
  const auto converted = events_of(id).back();
  EXPECT_EQ(converted.object.at("status"), "converted");
  EXPECT_EQ(converted.object.at("converted_to"), json::value(paid->spawned->id));
  const Invoice tax_invoice = stored_invoice(paid->spawned->id);
  EXPECT_EQ(tax_invoice.status, InvoiceStatus::paid);
  EXPECT_EQ(tax_invoice.amount_credited, 1900) << "the proforma's credit carries over";
  EXPECT_EQ(tax_invoice.amount_paid, 10000);
  EXPECT_EQ(tax_invoice.amount_remaining, 0);
  EXPECT_EQ(types_of(tax_invoice.id), (Strings{"invoice.created", "invoice.finalized", "invoice.paid"}));
}

TEST_P(DocumentsTest, AVoidedProformaCannotBeConverted) {
  const auto id = open_proforma(customer());
  ASSERT_TRUE(write([&](store::WriteTx& tx) { return service_->apply(tx, id, Void{}, {}); }).ok());
  const int64_t events = event_count();
  auto r = pay_external(id, 11900);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, core::ErrorKind::conflict);
  EXPECT_EQ(r.error().code, "invalid_transition");
  EXPECT_NE(r.error().message.find("void"), std::string::npos) << r.error().message;
  EXPECT_EQ(event_count(), events);
  EXPECT_EQ(stored_invoice(id).status, InvoiceStatus::void_);
}

// --- partner invoices ------------------------------------------------------------------------------

Invoice partner_document(const std::string& partner_id) {
  Invoice doc = document(partner_id, 45);
  doc.audience = Audience::partner;
  doc.lines[0].quantity_milli = 1'284'000;
  doc.days_until_due = 7;
  return doc;
}

TEST_P(DocumentsTest, PartnerInvoiceCreated) {
  auto r = create(partner_document(customer()), true);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto events = events_of(r->invoice.id);
  EXPECT_EQ(types_of(r->invoice.id), (Strings{"partner_invoice.created", "invoice.finalized"}));
  EXPECT_EQ(events[0].object.at("audience"), "partner");
}

TEST_P(DocumentsTest, PartnerInvoicePaid) {
  auto r = create(partner_document(customer()), true);
  ASSERT_TRUE(r.ok());
  auto paid = pay_external(r->invoice.id, r->invoice.amount_remaining);
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  const Strings types = types_of(r->invoice.id);
  EXPECT_EQ(types.back(), "partner_invoice.paid");
  EXPECT_EQ(std::count(types.begin(), types.end(), "invoice.paid"), 0) << "a partner invoice's own name only";
  EXPECT_EQ(events_of(r->invoice.id).back().object.at("status"), "paid");
}

TEST_P(DocumentsTest, PartnerInvoiceOverdueOncePerDueDate) {
  auto r = create(partner_document(customer()), true);
  ASSERT_TRUE(r.ok());
  const auto id = r->invoice.id;
  advance_days(7.5);
  run_scheduler();
  run_scheduler();
  reopen();  // a restart does not send it again either
  run_scheduler();
  const Strings types = types_of(id);
  EXPECT_EQ(std::count(types.begin(), types.end(), "partner_invoice.overdue"), 1) << ::testing::PrintToString(types);
  EXPECT_EQ(std::count(types.begin(), types.end(), "invoice.overdue"), 0);
  const auto overdue = events_of(id);
  const auto it = std::find_if(overdue.begin(), overdue.end(),
                               [](const auto& e) { return e.type == "partner_invoice.overdue"; });
  ASSERT_NE(it, overdue.end());
  EXPECT_EQ(it->object.at("amount_remaining"), r->invoice.amount_remaining);
}

TEST_P(DocumentsTest, CustomerInvoicesStillGoOverdueUnderTheirOwnName) {
  auto r = create(document(customer()), true);
  ASSERT_TRUE(r.ok());
  advance_days(15);
  run_scheduler();
  const Strings types = types_of(r->invoice.id);
  EXPECT_EQ(std::count(types.begin(), types.end(), "invoice.overdue"), 1);
  EXPECT_EQ(std::count(types.begin(), types.end(), "partner_invoice.overdue"), 0);
}

// --- invoice batches -------------------------------------------------------------------------------

TEST_P(DocumentsTest, InvoiceBatchCreated) {
  const auto a = customer();
  const auto b = customer();
  auto batch = create_batch({document(a), document(b)});
  ASSERT_TRUE(batch.ok()) << batch.error().message;
  EXPECT_EQ(batch->status, BatchStatus::pending);
  EXPECT_EQ(batch->total_count, 2);
  const auto events = events_of(batch->id);
  ASSERT_EQ(types_of(batch->id), Strings{"invoice_batch.created"});
  EXPECT_EQ(events[0].object.at("total_count"), 2);
  EXPECT_EQ(events[0].object.at("description"), "November class packs");
  EXPECT_TRUE(invoices_per_customer().empty()) << "nothing is invoiced until the batch runs";
  ASSERT_EQ(items_of(batch->id).size(), 2u);
  EXPECT_EQ(invoice_of(items_of(batch->id)[1])->customer_id, b);
}

TEST_P(DocumentsTest, InvoiceBatchProcessingAndSucceeded) {
  std::vector<std::string> customers;
  std::vector<Invoice> items;
  for (int i = 0; i < 5; ++i) {
    customers.push_back(customer());
    items.push_back(document(customers.back(), 1000 * (i + 1)));
  }
  auto batch = create_batch(items);
  ASSERT_TRUE(batch.ok());
  auto first = chunk(batch->id);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->status, BatchStatus::processing);
  EXPECT_EQ(first->succeeded_count, 2) << "one chunk of two";
  EXPECT_EQ(types_of(batch->id), (Strings{"invoice_batch.created", "invoice_batch.processing"}));
  const auto done = run_to_end(batch->id);
  EXPECT_EQ(done.status, BatchStatus::succeeded);
  EXPECT_EQ(done.succeeded_count, 5);
  EXPECT_EQ(done.failed_count, 0);
  ASSERT_TRUE(done.completed_at.has_value());
  const auto events = events_of(batch->id);
  EXPECT_EQ(types_of(batch->id),
            (Strings{"invoice_batch.created", "invoice_batch.processing", "invoice_batch.succeeded"}));
  EXPECT_EQ(events.back().object.at("succeeded_count"), 5);
  EXPECT_EQ(events.back().previous.at("status"), "processing");

  // Each item made one finalized invoice for its customer, carrying the batch request's id.
  const auto items_after = items_of(batch->id);
  for (size_t i = 0; i < items_after.size(); ++i) {
    ASSERT_EQ(items_after[i].status, BatchItemStatus::succeeded);
    const Invoice invoice = stored_invoice(*items_after[i].invoice);
    EXPECT_EQ(invoice.customer_id, customers[i]);
    EXPECT_EQ(invoice.status, InvoiceStatus::open);
    EXPECT_EQ(invoice.lines[0].unit_amount, 1000 * static_cast<int64_t>(i + 1));
    EXPECT_EQ(types_of(invoice.id), (Strings{"invoice.created", "invoice.finalized"}));
    auto event = store_->list_events({.page = {.limit = 1}, .aggregate_id = invoice.id});
    EXPECT_EQ(event->items[0].request_id, "req_batch");
  }
  // A finished batch is left alone.
  const int64_t count = event_count();
  auto again = chunk(batch->id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, BatchStatus::succeeded);
  EXPECT_EQ(event_count(), count);
}

TEST_P(DocumentsTest, InvoiceBatchInvoiceFailed) {
  const auto good = customer();
  const auto dollars = customer("USD");
  const std::string unknown = ids_.next(core::IdKind::customer);
  Invoice no_lines = document(good);
  no_lines.lines.clear();
  auto batch = create_batch({document(good), document(unknown), document(dollars), no_lines});
  ASSERT_TRUE(batch.ok());
  const auto done = run_to_end(batch->id);
  EXPECT_EQ(done.status, BatchStatus::succeeded) << "one item was invoiced";
  EXPECT_EQ(done.succeeded_count, 1);
  EXPECT_EQ(done.failed_count, 3);
  const auto events = events_of(batch->id);
  EXPECT_EQ(types_of(batch->id),
            (Strings{"invoice_batch.created", "invoice_batch.processing", "invoice_batch.invoice_failed",
                     "invoice_batch.invoice_failed", "invoice_batch.invoice_failed", "invoice_batch.succeeded"}));
  EXPECT_EQ(events[2].object.at("failed_item").at("customer"), json::value(unknown));
  EXPECT_EQ(events[2].object.at("failed_item").at("reason"), "customer_not_found");
  EXPECT_EQ(events[2].object.at("failed_count"), 1);
  EXPECT_EQ(events[2].previous.at("failed_count"), 0);
  EXPECT_EQ(events[3].object.at("failed_item").at("reason"), "currency_mismatch");
  EXPECT_EQ(events[4].object.at("failed_item").at("reason"), "finalization_failed");
  EXPECT_EQ(events[4].object.at("status"), "processing");

  const auto items = items_of(batch->id);
  EXPECT_EQ(items[0].status, BatchItemStatus::succeeded);
  EXPECT_EQ(items[1].failure_reason, "customer_not_found");
  EXPECT_FALSE(items[1].invoice.has_value());
  EXPECT_NE(items[2].failure_message->find("USD"), std::string::npos) << *items[2].failure_message;
  // Only the good item was invoiced; a failed one leaves nothing behind (no number used up either).
  const auto per_customer = invoices_per_customer();
  EXPECT_EQ(per_customer.size(), 1u);
  EXPECT_EQ(per_customer.at(good), 1);
  EXPECT_EQ(stored_invoice(*items[0].invoice).number, "INV-2026-000001");
}

TEST_P(DocumentsTest, ABatchWithNothingInvoicedEndsFailed) {
  const std::string unknown = ids_.next(core::IdKind::customer);
  auto batch = create_batch({document(unknown)});
  ASSERT_TRUE(batch.ok());
  const auto done = run_to_end(batch->id);
  EXPECT_EQ(done.status, BatchStatus::failed);
  const auto events = events_of(batch->id);
  // Like a batch that invoiced something, it ends with an event of its own (seed 002's
  // invoice_batch_invoice_failed: "the status of a batch … changes to failed").
  EXPECT_EQ(types_of(batch->id), (Strings{"invoice_batch.created", "invoice_batch.processing",
                                          "invoice_batch.invoice_failed", "invoice_batch.failed"}));
  EXPECT_EQ(events.at(2).object.at("status"), "processing");
  EXPECT_EQ(events.back().object.at("status"), "failed");
  EXPECT_EQ(events.back().object.at("failed_count"), 1);
  EXPECT_TRUE(events.back().object.at("completed_at").is_int64());
}

TEST_P(DocumentsTest, EmptyAndOversizedBatchesAreRefusedAndNothingIsStored) {
  const auto cus = customer();
  const int64_t events = event_count();
  auto empty = create_batch({});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().kind, core::ErrorKind::invalid_request);
  EXPECT_EQ(empty.error().param, "items");
  auto too_many = create_batch(std::vector<Invoice>(kMaxBatchItems + 1, document(cus)));
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().code, "too_many_items");
  EXPECT_NE(too_many.error().message.find("1000"), std::string::npos);
  EXPECT_EQ(event_count(), events);
  auto stored = store_->list_documents({.page = {.limit = 10}, .filter = {.kind = std::string(kInvoiceBatches.kind)}});
  EXPECT_TRUE(stored->items.empty());
}

// A chunk is one transaction: when it cannot commit, neither its invoices nor its item results exist,
// and the next run does the same items again, once.
TEST_P(DocumentsTest, ABatchChunkThatDoesNotCommitLeavesNoInvoice) {
  std::vector<Invoice> items;
  for (int i = 0; i < 3; ++i) items.push_back(document(customer()));
  auto batch = create_batch(items);
  ASSERT_TRUE(batch.ok());
  auto s = store_->write_and_wait([&](store::WriteTx& tx) -> core::Status {
    auto r = batches_->process_chunk(tx, batch->id);
    EXPECT_TRUE(r.ok());
    return core::Error::internal("the disk went away");  // the chunk rolls back
  });
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(invoices_per_customer().empty());
  for (const auto& item : items_of(batch->id)) EXPECT_EQ(item.status, BatchItemStatus::pending);
  EXPECT_EQ(types_of(batch->id), Strings{"invoice_batch.created"});
  const auto done = run_to_end(batch->id);
  EXPECT_EQ(done.succeeded_count, 3);
  for (const auto& [customer_id, count] : invoices_per_customer()) EXPECT_EQ(count, 1) << customer_id;
}

TEST_P(DocumentsTest, ABatchResumesAfterARestartWithoutInvoicingTwice) {
  std::vector<Invoice> items;
  for (int i = 0; i < 7; ++i) items.push_back(document(customer()));
  auto batch = create_batch(items);
  ASSERT_TRUE(batch.ok());
  ASSERT_TRUE(chunk(batch->id).ok());
  ASSERT_TRUE(chunk(batch->id).ok());
  reopen(/*chunk_size=*/3);
  await_lead();
  // The document clock finds the unfinished batch by its wake time, as after a real restart.
  DocumentClock clock(*store_, clock_);
  clock.on(kInvoiceBatches.kind, [this](store::WriteTx& tx, const Wake& wake) { return batches_->on_wake(tx, wake); });
  auto chunks = clock.run_once();
  ASSERT_TRUE(chunks.ok()) << chunks.error().message;
  EXPECT_EQ(*chunks, 1) << "three items were left: one chunk of three";
  auto found = store_->find_document(kInvoiceBatches.kind, batch->id);
  const auto done = *kInvoiceBatches.decode((*found)->body);
  EXPECT_EQ(done.status, BatchStatus::succeeded);
  EXPECT_EQ(done.succeeded_count, 7);
  EXPECT_FALSE((*found)->wake_at.has_value()) << "a finished batch needs no more time";
  const auto per_customer = invoices_per_customer();
  EXPECT_EQ(per_customer.size(), 7u);
  for (const auto& [customer_id, count] : per_customer) EXPECT_EQ(count, 1) << customer_id;
  std::set<std::string> invoices;
  for (const auto& item : items_of(batch->id)) invoices.insert(item.invoice.value_or(""));
  EXPECT_EQ(invoices.size(), 7u);
  EXPECT_EQ(types_of(batch->id),
            (Strings{"invoice_batch.created", "invoice_batch.processing", "invoice_batch.succeeded"}));
  EXPECT_EQ(clock.run_once().value(), 0) << "nothing left to do";
}

TEST_P(DocumentsTest, DraftBatchesLeaveDrafts) {
  auto batch = create_batch({document(customer())}, /*auto_finalize=*/false);
  ASSERT_TRUE(batch.ok());
  run_to_end(batch->id);
  const auto items = items_of(batch->id);
  const Invoice invoice = stored_invoice(*items[0].invoice);
  EXPECT_EQ(invoice.status, InvoiceStatus::draft);
  EXPECT_EQ(types_of(invoice.id), Strings{"invoice.created"});
}

// The generic reader behind GET /v1/invoice-batches[/{id}]: the API form from the field list, `object`
// after `id`, the request it came from hidden, and the items in order.
TEST_P(DocumentsTest, GenericReadsShowABatchWithItsItemsInOrderAndHideItsRequest) {
  const std::string a = customer();
  const std::string b = customer();
  auto first = create_batch({document(a)});
  auto second = create_batch({document(a), document(b, 2500), document("cus_01M6A6FT006QFQCJYSFZZCNTTR")});
  ASSERT_TRUE(first.ok() && second.ok());
  run_to_end(second->id);
  DocumentReads reads(*store_, document_kinds());
  const RegisteredKind* kind = document_kinds().find("invoice_batch");
  ASSERT_NE(kind, nullptr);

  auto shown = reads.get(*kind, second->id);
  ASSERT_TRUE(shown.ok()) << shown.error().message;
  ASSERT_TRUE(shown->has_value());
  const boost::json::object& batch = **shown;
  std::vector<std::string> keys;
  for (const auto& field : batch) keys.emplace_back(field.key());
  EXPECT_EQ(keys, (Strings{"id", "object", "status", "description", "auto_finalize", "total_count", "succeeded_count",
                           "failed_count", "created", "completed_at", "items"}));
  EXPECT_EQ(batch.at("object"), "invoice_batch");
  EXPECT_EQ(batch.at("status"), "succeeded");
  const auto& items = batch.at("items").as_array();
  ASSERT_EQ(items.size(), 3u);
  for (size_t i = 0; i < items.size(); ++i) EXPECT_EQ(items[i].at("index").as_int64(), static_cast<int64_t>(i));
  EXPECT_EQ(items[1].at("customer").as_string(), b);
  EXPECT_EQ(items[1].at("status"), "succeeded");
  EXPECT_EQ(items[2].at("status"), "failed");
  EXPECT_EQ(items[2].at("failure").at("reason"), "customer_not_found");

  auto page = reads.list(*kind, {.limit = 1});
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_TRUE(page->has_more);
  EXPECT_EQ(page->items[0].at("id").as_string(), second->id) << "newest first";
  EXPECT_FALSE(page->items[0].contains("items")) << "a page shows batches without their items";
  EXPECT_FALSE(page->items[0].contains("request_id"));

  auto missing = reads.get(*kind, "ibat_01M6A6FT006QFQCJYSFZZCNTTR");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

// A batch stored by the version before the registry (its body carried `object`) is read, shown and
// finished as before: stored documents need no migration.
TEST_P(DocumentsTest, ABatchStoredInTheEarlierFormatIsReadAndFinished) {
  const std::string a = customer();
  const std::string id = ids_.next(core::IdKind::invoice_batch);
  const int64_t created = kStartMs / 1000;
  const std::string batch_body = boost::json::serialize(boost::json::object{
      {"id", id}, {"object", "invoice_batch"}, {"status", "processing"}, {"description", "from 0.1"},
      {"auto_finalize", true}, {"total_count", 1}, {"succeeded_count", 0}, {"failed_count", 0},
      {"created", created}, {"completed_at", nullptr}, {"request_id", "req_old"}, {"idempotency_key", ""}});
  const std::string item_body = boost::json::serialize(boost::json::object{
      {"batch", id}, {"index", 0}, {"document", encode(document(a))}, {"status", "pending"}, {"invoice", nullptr},
      {"failure_reason", nullptr}, {"failure_message", nullptr}});
  ASSERT_TRUE(store_
                  ->write_and_wait([&](store::WriteTx& tx) -> core::Status {
                    if (auto s = tx.insert_document({"invoice_batch", id, "", "", "processing", kStartMs, batch_body,
                                                     created});
                        !s)
                      return s;
                    return tx.insert_document({"invoice_batch_item", batch_item_id(id, 0), a, id, "pending", kStartMs,
                                               item_body, std::nullopt});
                  })
                  .ok());
  DocumentReads reads(*store_, document_kinds());
  auto shown = reads.get(*document_kinds().find("invoice_batch"), id);
  ASSERT_TRUE(shown.ok()) << shown.error().message;
  EXPECT_EQ((**shown).at("description"), "from 0.1");
  EXPECT_FALSE((**shown).contains("request_id"));
  EXPECT_EQ((**shown).at("items").as_array().at(0).at("customer").as_string(), a);

  const auto done = run_to_end(id);
  EXPECT_EQ(done.status, BatchStatus::succeeded);
  EXPECT_EQ(done.request_id, "req_old");
  EXPECT_EQ(invoices_per_customer().at(a), 1);
}

// A store that says this node does not run time jobs (another node leads).
class FollowerStore : public billhook::testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  bool runs_time_jobs() override { return false; }
};

TEST_P(DocumentsTest, TheDocumentClockRetriesAFailedStepAndRunsOnlyWhereTimeJobsRun) {
  auto batch = create_batch({document(customer()), document(customer()), document(customer())});
  ASSERT_TRUE(batch.ok());
  int calls = 0;
  const auto handler = [&](store::WriteTx& tx, const Wake& wake) -> core::Result<bool> {
    ++calls;
    if (calls == 1) {
      // Its chunk is done, then the step fails: the transaction, chunk and all, rolls back.
      (void)batches_->process_chunk(tx, wake.id);
      return core::Error::unavailable("the disk went away");
    }
    return batches_->on_wake(tx, wake);
  };

  FollowerStore follower(*store_);
  DocumentClock idle(follower, clock_);
  idle.on(kInvoiceBatches.kind, handler);
  EXPECT_EQ(idle.run_once().value(), 0);
  EXPECT_EQ(calls, 0) << "a node that does not lead leaves documents to the one that does";

  await_lead();
  DocumentClock clock(*store_, clock_);
  clock.on(kInvoiceBatches.kind, handler);
  EXPECT_EQ(clock.run_once().value(), 0) << "the failed step committed nothing";
  EXPECT_TRUE(invoices_per_customer().empty());
  EXPECT_EQ(types_of(batch->id), Strings{"invoice_batch.created"});
  EXPECT_EQ(clock.run_once().value(), 2) << "three items, two per chunk: two steps on the next pass";
  EXPECT_EQ(invoices_per_customer().size(), 3u);
  EXPECT_EQ(clock.run_once().value(), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, DocumentsTest, testing::kBackends, testing::backend_name);

}  // namespace
}  // namespace billhook::billing
