// The billing service against each store backend: one test per event type it emits — the event is
// stored with its change, in order among its neighbours, and its data.object is valid against the
// catalog's schema for that type.
#include <functional>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "billing_fixture.hpp"

namespace billhook::billing {
namespace {

namespace json = boost::json;
using testing::BillingFixture;
using testing::kStartMs;
using testing::StoredEvent;
using testing::Strings;
constexpr const char* kGoodCard = "4242424242424242";
constexpr const char* kNoFundsCard = "4000000000009995";
constexpr const char* kExpiredCard = "4000000000000069";
constexpr const char* kThreeDSecureCard = "4000000000003220";
constexpr const char* kCaptureFailsCard = "4000000000000341";

class BillingServiceTest : public BillingFixture {
 protected:
  BillingServiceTest() : BillingFixture(11) {}

  std::string customer() {
    auto c = write([&](store::WriteTx& tx) {
      return service_->create_customer(
          tx, {.name = std::optional<std::string>("Ada"), .email = std::optional<std::string>("ada@example.com")}, {});
    });
    EXPECT_TRUE(c.ok());
    return c.ok() ? c->id : std::string();
  }

  core::Result<PaymentMethod> attach(const std::string& customer_id, std::string number, AttachCard extra = {}) {
    extra.customer_id = customer_id;
    extra.number = std::move(number);
    if (extra.exp_month == 0) extra.exp_month = 12;
    if (extra.exp_year == 0) extra.exp_year = 2030;
    return write([&](store::WriteTx& tx) { return service_->attach_card(tx, extra, {}); });
  }

  Invoice draft_document(const std::string& customer_id, int64_t unit_amount = 5000) {
    Invoice doc;
    doc.customer_id = customer_id;
    doc.currency = "EUR";
    doc.lines = {LineItem{.description = "Consulting", .quantity_milli = 2000, .unit_amount = unit_amount,
                          .tax_rate_bps = 1900}};
    doc.days_until_due = 30;
    return doc;
  }

  core::Result<InvoiceResult> create(Invoice doc, bool auto_finalize) {
    return write([&](store::WriteTx& tx) { return service_->create_invoice(tx, doc, auto_finalize, {}); });
  }

  std::string open_invoice(const std::string& customer_id, Invoice doc = {}) {
    if (doc.customer_id.empty()) doc = draft_document(customer_id);
    auto r = create(std::move(doc), true);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r->invoice.id : std::string();
  }

  core::Result<InvoiceResult> apply(const std::string& id, Command command) {
    return write([&](store::WriteTx& tx) { return service_->apply(tx, id, command, {}); });
  }

  core::Result<InvoiceResult> pay(const std::string& id, PayRequest request = {}) {
    return write([&](store::WriteTx& tx) { return service_->pay(tx, id, request, {}); });
  }

  // `expected` appears in `aggregate_id`'s events as one uninterrupted run, in this order.
  void expect_run(const std::string& aggregate_id, const Strings& expected) {
    const Strings types = types_of(aggregate_id);
    const auto found = std::search(types.begin(), types.end(), expected.begin(), expected.end());
    EXPECT_NE(found, types.end()) << "expected the run [" << join(expected) << "] in [" << join(types) << "]";
  }

  static std::string join(const Strings& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
    return out;
  }

};

// --- customers -------------------------------------------------------------------------------------

TEST_P(BillingServiceTest, CustomerCreated) {
  const auto id = customer();
  const auto events = events_of(id);
  ASSERT_EQ(types_of(id), Strings{"customer.created"});
  EXPECT_EQ(events[0].object.at("email"), "ada@example.com");
}

TEST_P(BillingServiceTest, CustomerUpdated) {
  const auto id = customer();
  auto updated = write([&](store::WriteTx& tx) {
    return service_->update_customer(tx, id, {.email = std::optional<std::string>("ada@lovelace.org")}, {});
  });
  ASSERT_TRUE(updated.ok());
  const auto events = events_of(id);
  ASSERT_EQ(types_of(id), (Strings{"customer.created", "customer.updated"}));
  EXPECT_EQ(events[1].previous.at("email"), "ada@example.com");
  // No change, no event.
  ASSERT_TRUE(write([&](store::WriteTx& tx) {
                return service_->update_customer(tx, id, {.email = std::optional<std::string>("ada@lovelace.org")},
                                                 {});
              }).ok());
  EXPECT_EQ(types_of(id).size(), 2u);
}

TEST_P(BillingServiceTest, CustomerWithBadCurrencyIsRefusedAndNothingIsStored) {
  auto c = write([&](store::WriteTx& tx) {
    return service_->create_customer(tx, {.currency = std::optional<std::string>("EURO")}, {});
  });
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, core::ErrorKind::invalid_request);
  EXPECT_EQ(c.error().param, "currency");
  EXPECT_EQ(*store_->count_events(), 0);
}

// --- payment methods -------------------------------------------------------------------------------

TEST_P(BillingServiceTest, PaymentMethodAttachedKeepsNoCardNumber) {
  const auto cus = customer();
  auto pm = attach(cus, "4242 4242 4242 4242");
  ASSERT_TRUE(pm.ok()) << pm.error().message;
  EXPECT_EQ(types_of(pm->id), Strings{"payment_method.attached"});
  EXPECT_TRUE(pm->is_default) << "the first method is the default";
  EXPECT_EQ(pm->card->last4, "4242");
  EXPECT_EQ(pm->card->brand, "visa");
  auto stored = store_->find_document(stored::kPaymentMethod, pm->id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->body.find(kGoodCard), std::string::npos);
  auto events = store_->list_events({.page = {.limit = 100}});
  for (const auto& e : events->items) EXPECT_EQ(e.data_json.find(kGoodCard), std::string::npos);
}

TEST_P(BillingServiceTest, PaymentMethodOutsideTheSandboxIsRefused) {
  const auto cus = customer();
  auto pm = attach(cus, "4111111111111111");
  ASSERT_FALSE(pm.ok());
  EXPECT_EQ(pm.error().param, "card.number");
}

TEST_P(BillingServiceTest, PaymentMethodDefaultChanged) {
  const auto cus = customer();
  auto first = attach(cus, kNoFundsCard);
  auto second = attach(cus, kGoodCard);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_FALSE(second->is_default);
  auto changed = write([&](store::WriteTx& tx) {
    return service_->update_payment_method(tx, second->id, {.make_default = true}, {});
  });
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(types_of(second->id), (Strings{"payment_method.attached", "payment_method.default_changed"}));
  auto old = store_->find_document(stored::kPaymentMethod, first->id);
  EXPECT_FALSE(decode_payment_method((*old)->body)->is_default);
}

TEST_P(BillingServiceTest, PaymentMethodInvalidated) {
  const auto cus = customer();
  auto pm = attach(cus, kGoodCard);
  ASSERT_TRUE(write([&](store::WriteTx& tx) {
                return service_->update_payment_method(tx, pm->id, {.valid = false, .invalid_reason = "account_closed"},
                                                       {});
              }).ok());
  const auto events = events_of(pm->id);
  ASSERT_EQ(types_of(pm->id), (Strings{"payment_method.attached", "payment_method.invalidated"}));
  EXPECT_EQ(events[1].object.at("invalid_reason"), "account_closed");
}

TEST_P(BillingServiceTest, PaymentMethodValidated) {
  const auto cus = customer();
  auto pm = attach(cus, kGoodCard);
  for (bool valid : {false, true}) {
    ASSERT_TRUE(write([&](store::WriteTx& tx) {
                  return service_->update_payment_method(tx, pm->id, {.valid = valid}, {});
                }).ok());
  }
  EXPECT_EQ(types_of(pm->id), (Strings{"payment_method.attached", "payment_method.invalidated",
                                       "payment_method.validated"}));
}

TEST_P(BillingServiceTest, PaymentMethodReplaced) {
  const auto cus = customer();
  auto old = attach(cus, kExpiredCard);
  auto replacement = attach(cus, kGoodCard, {.replaces = old->id});
  ASSERT_TRUE(replacement.ok()) << replacement.error().message;
  EXPECT_EQ(replacement->replaces, old->id);
  EXPECT_TRUE(replacement->is_default) << "it replaced the default";
  expect_run(replacement->id, {"payment_method.attached", "payment_method.replaced"});
  EXPECT_EQ(types_of(old->id), (Strings{"payment_method.attached", "payment_method.invalidated"}));
}

// --- invoice lifecycle -----------------------------------------------------------------------------

TEST_P(BillingServiceTest, InvoiceCreated) {
  const auto cus = customer();
  auto r = create(draft_document(cus), false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->invoice.status, InvoiceStatus::draft);
  EXPECT_EQ(r->invoice.total, 11900);
  EXPECT_EQ(types_of(r->invoice.id), Strings{"invoice.created"});
  EXPECT_EQ(stored_invoice(r->invoice.id), r->invoice);
}

TEST_P(BillingServiceTest, InvoiceUpdated) {
  const auto cus = customer();
  auto r = create(draft_document(cus), false);
  ASSERT_TRUE(apply(r->invoice.id, UpdateDraft{.description = std::optional<std::string>("November")}).ok());
  const auto events = events_of(r->invoice.id);
  ASSERT_EQ(types_of(r->invoice.id), (Strings{"invoice.created", "invoice.updated"}));
  EXPECT_TRUE(events[1].previous.at("description").is_null());
}

TEST_P(BillingServiceTest, InvoiceRefreshed) {
  const auto cus = customer();
  auto r = create(draft_document(cus), false);
  ASSERT_TRUE(apply(r->invoice.id, RefreshDraft{{LineItem{.description = "Usage", .unit_amount = 700}}}).ok());
  EXPECT_EQ(types_of(r->invoice.id), (Strings{"invoice.created", "invoice.refreshed"}));
  EXPECT_EQ(stored_invoice(r->invoice.id).total, 700);
}

TEST_P(BillingServiceTest, InvoiceFinalizedWithGaplessNumbers) {
  const auto cus = customer();
  auto a = create(draft_document(cus), false);
  auto b = create(draft_document(cus), false);
  auto fa = write([&](store::WriteTx& tx) { return service_->finalize(tx, a->invoice.id, {}); });
  auto fb = write([&](store::WriteTx& tx) { return service_->finalize(tx, b->invoice.id, {}); });
  ASSERT_TRUE(fa.ok() && fb.ok());
  EXPECT_EQ(fa->invoice.number, "INV-2026-000001");
  EXPECT_EQ(fb->invoice.number, "INV-2026-000002");
  EXPECT_EQ(types_of(a->invoice.id), (Strings{"invoice.created", "invoice.finalized"}));
  // Issued at once: created then finalized, in one commit.
  const auto c = open_invoice(cus);
  EXPECT_EQ(types_of(c), (Strings{"invoice.created", "invoice.finalized"}));
  EXPECT_EQ(stored_invoice(c).number, "INV-2026-000003");
}

TEST_P(BillingServiceTest, InvoiceFinalizationFailedKeepsItsNumberUnused) {
  const auto cus = customer();
  Invoice empty = draft_document(cus);
  empty.lines.clear();
  auto r = create(empty, false);
  auto failed = write([&](store::WriteTx& tx) { return service_->finalize(tx, r->invoice.id, {}); });
  ASSERT_TRUE(failed.ok());
  ASSERT_TRUE(failed->refusal.has_value());
  EXPECT_EQ(types_of(r->invoice.id), (Strings{"invoice.created", "invoice.finalization_failed"}));
  EXPECT_EQ(stored_invoice(r->invoice.id).status, InvoiceStatus::draft);
  EXPECT_EQ(stored_invoice(open_invoice(cus)).number, "INV-2026-000001");
}

TEST_P(BillingServiceTest, InvoiceDeleted) {
  const auto cus = customer();
  auto r = create(draft_document(cus), false);
  ASSERT_TRUE(apply(r->invoice.id, DeleteDraft{}).ok());
  EXPECT_EQ(types_of(r->invoice.id), (Strings{"invoice.created", "invoice.deleted"}));
  EXPECT_EQ(stored_invoice(r->invoice.id).status, InvoiceStatus::deleted);
}

TEST_P(BillingServiceTest, InvoiceVoided) {
  const auto id = open_invoice(customer());
  ASSERT_TRUE(apply(id, Void{}).ok());
  expect_run(id, {"invoice.finalized", "invoice.voided"});
}

TEST_P(BillingServiceTest, InvoiceMarkedUncollectible) {
  const auto id = open_invoice(customer());
  ASSERT_TRUE(apply(id, MarkUncollectible{}).ok());
  expect_run(id, {"invoice.finalized", "invoice.marked_uncollectible"});
}

TEST_P(BillingServiceTest, InvoiceDuplicated) {
  const auto id = open_invoice(customer());
  auto r = write([&](store::WriteTx& tx) { return service_->duplicate(tx, id, {}); });
  ASSERT_TRUE(r.ok() && r->spawned);
  expect_run(id, {"invoice.finalized", "invoice.duplicated"});
  EXPECT_EQ(types_of(r->spawned->id), Strings{"invoice.created"});
  EXPECT_EQ(stored_invoice(r->spawned->id).duplicated_from, id);
}

TEST_P(BillingServiceTest, InvoiceDueDateUpdated) {
  const auto id = open_invoice(customer());
  const int64_t due = kStartMs / 1000 + 60 * kSecondsPerDay;
  ASSERT_TRUE(apply(id, UpdateDueDate{due}).ok());
  expect_run(id, {"invoice.finalized", "invoice.due_date_updated"});
  EXPECT_EQ(stored_invoice(id).due_date, due);
  auto record = store_->find_document(stored::kInvoice, id);
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ((*record)->status, "open") << "the lookup columns follow the document";
  EXPECT_EQ((*record)->wake_at, due - 3 * kSecondsPerDay) << "the next moment follows the new due date";
}

TEST_P(BillingServiceTest, InvoiceAdjusted) {
  const auto id = open_invoice(customer());
  ASSERT_TRUE(apply(id, Adjust{{LineItem{.description = "Goodwill", .unit_amount = -1000}}}).ok());
  expect_run(id, {"invoice.finalized", "invoice.adjusted"});
  EXPECT_EQ(stored_invoice(id).total, 10900);
}

TEST_P(BillingServiceTest, InvalidTransitionNamesTheStateAndChangesNothing) {
  const auto cus = customer();
  auto r = create(draft_document(cus), false);
  const auto before = stored_invoice(r->invoice.id);
  const auto events_before = *store_->count_events();
  auto refused = apply(r->invoice.id, Void{});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, core::ErrorKind::conflict);
  EXPECT_NE(refused.error().message.find("draft"), std::string::npos) << refused.error().message;
  EXPECT_EQ(stored_invoice(r->invoice.id), before);
  EXPECT_EQ(*store_->count_events(), events_before);
}

TEST_P(BillingServiceTest, BadCurrencyOrAmountIsRefusedAndNothingIsStored) {
  const auto cus = customer();
  const auto events_before = *store_->count_events();
  Invoice doc = draft_document(cus);
  doc.currency = "XYZ";
  auto bad_currency = create(doc, true);
  ASSERT_FALSE(bad_currency.ok());
  EXPECT_EQ(bad_currency.error().param, "currency");
  doc = draft_document(cus, INT64_MAX / 2);
  auto overflow = create(doc, false);
  ASSERT_FALSE(overflow.ok());
  EXPECT_EQ(overflow.error().kind, core::ErrorKind::invalid_request);
  EXPECT_EQ(*store_->count_events(), events_before);
  auto none = store_->list_documents({.page = {.limit = 10}, .filter = {.kind = std::string(stored::kInvoice)}});
  EXPECT_TRUE(none->items.empty());
  // A bad amount on a payment: refused before anything is recorded.
  const auto id = open_invoice(cus);
  const auto count = *store_->count_events();
  auto negative = pay(id, {.external = true, .amount = -5});
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().param, "amount");
  auto wrong_currency = pay(id, {.external = true, .amount = 5, .currency = "JPY"});
  ASSERT_FALSE(wrong_currency.ok());
  EXPECT_EQ(wrong_currency.error().param, "currency");
  EXPECT_EQ(*store_->count_events(), count);
}

// --- payments --------------------------------------------------------------------------------------

TEST_P(BillingServiceTest, InvoicePaidOnTheDefaultCard) {
  const auto cus = customer();
  ASSERT_TRUE(attach(cus, kGoodCard).ok());
  const auto id = open_invoice(cus);
  auto r = pay(id);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->invoice.status, InvoiceStatus::paid);
  EXPECT_EQ(types_of(id), (Strings{"invoice.created", "invoice.finalized", "invoice.payment_created",
                                   "invoice.payment_method_resolved", "invoice.payment_succeeded",
                                   "invoice.payment_status_updated", "invoice.paid"}));
  auto payments = store_->find_documents({.kind = std::string(stored::kPayment), .parent_id = id});
  EXPECT_EQ(payments->size(), 1u);
}

TEST_P(BillingServiceTest, InvoicePaymentCreated) {
  const auto cus = customer();
  ASSERT_TRUE(attach(cus, kGoodCard).ok());
  const auto id = open_invoice(cus);
  ASSERT_TRUE(pay(id).ok());
  const auto events = events_of(id);
  const auto created = last_of(events, "invoice.payment_created");
  ASSERT_TRUE(created.has_value());
  // Announced once the outcome is known (seed 004's example is a completed payment), with the card charged.
  EXPECT_EQ(created->object.at("payment").at("status"), "succeeded");
  EXPECT_EQ(created->object.at("payment").at("paid"), true);
  EXPECT_EQ(created->object.at("payment").at("card").at("last4"), "4242");
  expect_run(id, {"invoice.finalized", "invoice.payment_created"});
}

TEST_P(BillingServiceTest, InvoicePaymentCreatedOfADeclinedCardShowsItFailed) {
  const auto cus = customer();
  ASSERT_TRUE(attach(cus, kNoFundsCard).ok());
  const auto id = open_invoice(cus);
  ASSERT_TRUE(pay(id).ok());
  const auto created = last_of(events_of(id), "invoice.payment_created");
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->object.at("payment").at("status"), "failed");
  EXPECT_EQ(created->object.at("payment").at("failure_code"), "insufficient_funds");
  EXPECT_EQ(created->object.at("payment").at("paid"), false);
}

TEST_P(BillingServiceTest, InvoicePaymentMethodResolved) {
  const auto cus = customer();
  auto pm = attach(cus, kGoodCard);
  const auto id = open_invoice(cus);
  ASSERT_TRUE(pay(id).ok());
  const auto resolved = last_of(events_of(id), "invoice.payment_method_resolved");
  ASSERT_TRUE(resolved.has_value());
  EXPECT_EQ(resolved->object.at("payment").at("payment_method"), json::value(pm->id));
  expect_run(id, {"invoice.payment_created", "invoice.payment_method_resolved", "invoice.payment_succeeded"});
}

TEST_P(BillingServiceTest, InvoicePaymentFailedThenPaidWithFallbackMethod) {
  const auto cus = customer();
  ASSERT_TRUE(attach(cus, kNoFundsCard).ok());
  ASSERT_TRUE(attach(cus, kGoodCard, {.fallback_order = 1}).ok());
  const auto id = open_invoice(cus);
  auto r = pay(id);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->invoice.status, InvoiceStatus::paid);
  EXPECT_EQ(r->invoice.attempt_count, 2);
  EXPECT_EQ(types_of(id),
            (Strings{"invoice.created", "invoice.finalized", "invoice.payment_created",
                     "invoice.payment_method_resolved", "invoice.payment_failed", "invoice.payment_status_updated",
                     "invoice.payment_created", "invoice.payment_method_resolved", "invoice.payment_succeeded",
                     "invoice.paid_with_fallback_method", "invoice.payment_status_updated", "invoice.paid"}));
  const auto events = events_of(id);
  EXPECT_EQ(last_of(events, "invoice.payment_failed")->object.at("payment").at("failure_code"), "insufficient_funds");
  EXPECT_TRUE(last_of(events, "invoice.paid_with_fallback_method")->object.at("payment").at("fallback").as_bool());
  EXPECT_EQ(store_->find_documents({.kind = std::string(stored::kPayment), .parent_id = id})->size(), 2u);
}

TEST_P(BillingServiceTest, InvoicePaymentSucceeded) {
  const auto cus = customer();
  ASSERT_TRUE(attach(cus, kGoodCard).ok());
  const auto id = open_invoice(cus);
  ASSERT_TRUE(pay(id).ok());
  const auto succeeded = last_of(events_of(id), "invoice.payment_succeeded");
  ASSERT_TRUE(succeeded.has_value());
  EXPECT_EQ(succeeded->object.at("payment").at("status"), "succeeded");
  expect_run(id, {"invoice.payment_succeeded", "invoice.payment_status_updated", "invoice.paid"});
}

TEST_P(BillingServiceTest, InvoicePaymentMethodExpiredOnTheProcessorsWord) {
  const auto cus = customer();
  auto pm = attach(cus, kExpiredCard);
  const auto id = open_invoice(cus);
  auto r = pay(id);
  ASSERT_TRUE(r.ok());
  expect_run(id, {"invoice.payment_method_resolved", "invoice.payment_method_expired", "invoice.payment_failed"});
  const auto expired = last_of(events_of(id), "invoice.payment_method_expired");
  EXPECT_EQ(expired->object.at("payment_method"), json::value(pm->id));
  expect_run(pm->id, {"payment_method.attached", "payment_method.invalidated"});
}

TEST_P(BillingServiceTest, InvoicePaymentMethodExpiredByItsDate) {
  const auto cus = customer();
  auto pm = attach(cus, kGoodCard, {.exp_month = 3, .exp_year = 2025});
  const auto id = open_invoice(cus);
  ASSERT_TRUE(pay(id).ok());
  expect_run(id, {"invoice.payment_method_expired", "invoice.payment_failed"});
  EXPECT_EQ(stored_invoice(id).status, InvoiceStatus::open);
}

TEST_P(BillingServiceTest, InvoicePaymentMissingData) {
  const auto cus = customer();
  const auto id = open_invoice(cus);
  auto r = pay(id);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->refusal.has_value());
  EXPECT_EQ(r->refusal->code, "payment_method_missing");
  expect_run(id, {"invoice.finalized", "invoice.payment_missing_data"});
  EXPECT_EQ(last_of(events_of(id), "invoice.payment_missing_data")->object.at("missing_fields").as_array().size(), 1u);
}

TEST_P(BillingServiceTest, InvoicePaymentActionRequiredThenCompleted) {
  const auto cus = customer();
  ASSERT_TRUE(attach(cus, kThreeDSecureCard).ok());
  const auto id = open_invoice(cus);
  auto r = pay(id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->invoice.status, InvoiceStatus::open);
  EXPECT_EQ(r->invoice.payment_status, PaymentStatus::requires_action);
  expect_run(id, {"invoice.payment_method_resolved", "invoice.payment_action_required",
                  "invoice.payment_status_updated"});
  auto done = pay(id, {.authentication_completed = true});
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->invoice.status, InvoiceStatus::paid);
}

TEST_P(BillingServiceTest, InvoicePaymentCaptureFailed) {
  const auto cus = customer();
  ASSERT_TRUE(attach(cus, kCaptureFailsCard).ok());
  const auto id = open_invoice(cus);
  ASSERT_TRUE(pay(id).ok());
  expect_run(id, {"invoice.payment_method_resolved", "invoice.payment_capture_failed", "invoice.payment_failed"});
}

TEST_P(BillingServiceTest, InvoicePaymentStatusUpdated) {
  const auto cus = customer();
  ASSERT_TRUE(attach(cus, kNoFundsCard).ok());
  const auto id = open_invoice(cus);
  ASSERT_TRUE(pay(id).ok());
  const auto updated = last_of(events_of(id), "invoice.payment_status_updated");
  ASSERT_TRUE(updated.has_value());
  EXPECT_EQ(updated->object.at("payment_status"), "failed");
  EXPECT_EQ(updated->previous.at("payment_status"), "pending");
}

TEST_P(BillingServiceTest, InvoicePaymentRetryScheduledAndRunOnTheClock) {
  const auto cus = customer();
  ASSERT_TRUE(attach(cus, kNoFundsCard).ok());
  const auto id = open_invoice(cus);
  ASSERT_TRUE(pay(id).ok());
  expect_run(id, {"invoice.payment_failed", "invoice.payment_status_updated", "invoice.payment_retry_scheduled"});
  const int64_t now = kStartMs / 1000;
  EXPECT_EQ(stored_invoice(id).next_payment_attempt, now + kSecondsPerDay);
  EXPECT_EQ(run_scheduler(), 0) << "not due yet";
  advance_days(1);
  EXPECT_GT(run_scheduler(), 0);
  EXPECT_EQ(stored_invoice(id).attempt_count, 2);
  EXPECT_EQ(stored_invoice(id).next_payment_attempt, now + kSecondsPerDay + 3 * kSecondsPerDay);
  // A good card arrives before the next retry: the retry pays.
  ASSERT_TRUE(attach(cus, kGoodCard, {.make_default = true}).ok());
  advance_days(3);
  run_scheduler();
  EXPECT_EQ(stored_invoice(id).status, InvoiceStatus::paid);
  EXPECT_FALSE(stored_invoice(id).next_payment_attempt.has_value());
}

TEST_P(BillingServiceTest, RetriesStopWhenTheScheduleIsUsedUp) {
  const auto cus = customer();
  ASSERT_TRUE(attach(cus, kNoFundsCard).ok());
  const auto id = open_invoice(cus);
  ASSERT_TRUE(pay(id).ok());
  for (int day = 0; day < 12; ++day) {
    advance_days(1);
    run_scheduler();
  }
  const auto doc = stored_invoice(id);
  EXPECT_EQ(doc.attempt_count, 4) << "the first attempt and three retries";
  EXPECT_FALSE(doc.next_payment_attempt.has_value());
  const auto types = types_of(id);
  EXPECT_EQ(std::count(types.begin(), types.end(), "invoice.payment_retry_scheduled"), 3);
  EXPECT_EQ(std::count(types.begin(), types.end(), "invoice.payment_failed"), 4);
}

TEST_P(BillingServiceTest, InvoicePaymentMethodSwapped) {
  const auto cus = customer();
  auto failing = attach(cus, kNoFundsCard);
  const auto id = open_invoice(cus);
  ASSERT_TRUE(pay(id).ok());
  auto good = attach(cus, kGoodCard, {.make_default = true});
  ASSERT_TRUE(good.ok());
  expect_run(id, {"invoice.payment_retry_scheduled", "invoice.payment_method_swapped"});
  const auto swapped = last_of(events_of(id), "invoice.payment_method_swapped");
  ASSERT_TRUE(swapped.has_value());
  EXPECT_EQ(swapped->object.at("payment_method"), json::value(good->id));
  EXPECT_EQ(swapped->object.at("previous_payment_method"), json::value(failing->id));
  // The retry charges the new default.
  advance_days(1);
  run_scheduler();
  EXPECT_EQ(stored_invoice(id).status, InvoiceStatus::paid);
}

TEST_P(BillingServiceTest, InvoicePaymentMethodRestored) {
  const auto cus = customer();
  auto card = attach(cus, kGoodCard);
  ASSERT_TRUE(write([&](store::WriteTx& tx) {
                return service_->update_payment_method(tx, card->id, {.valid = false}, {});
              }).ok());
  const auto id = open_invoice(cus);
  auto missing = pay(id);
  ASSERT_TRUE(missing.ok());
  ASSERT_TRUE(missing->refusal.has_value());
  // Nothing failed yet (no attempt was possible): restoring is news only after a failed attempt.
  ASSERT_TRUE(attach(cus, kNoFundsCard).ok());
  ASSERT_TRUE(pay(id).ok());
  ASSERT_TRUE(write([&](store::WriteTx& tx) {
                return service_->update_payment_method(tx, card->id, {.valid = true}, {});
              }).ok());
  expect_run(id, {"invoice.payment_retry_scheduled", "invoice.payment_method_restored"});
  const auto restored = last_of(events_of(id), "invoice.payment_method_restored");
  ASSERT_TRUE(restored.has_value());
  EXPECT_EQ(restored->object.at("payment_method"), json::value(card->id));
}

TEST_P(BillingServiceTest, InvoicePartiallyPaid) {
  const auto id = open_invoice(customer());
  auto r = pay(id, {.external = true, .amount = 1900});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->invoice.amount_remaining, 10000);
  EXPECT_EQ(types_of(id), (Strings{"invoice.created", "invoice.finalized", "invoice.payment_created",
                                   "invoice.payment_succeeded", "invoice.partially_paid",
                                   "invoice.payment_status_updated"}));
}

TEST_P(BillingServiceTest, InvoiceOverpaidCreditsTheCustomer) {
  const auto cus = customer();
  const auto id = open_invoice(cus);
  auto r = pay(id, {.external = true, .amount = 12000});
  ASSERT_TRUE(r.ok());
  expect_run(id, {"invoice.payment_succeeded", "invoice.payment_status_updated", "invoice.paid", "invoice.overpaid"});
  auto c = store_->find_document(stored::kCustomer, cus);
  EXPECT_EQ(decode_customer((*c)->body)->balance, -100);
  expect_run(cus, {"customer.created", "customer.updated"});
}

TEST_P(BillingServiceTest, ProformaPaidConvertsIntoANumberedTaxInvoice) {
  const auto cus = customer();
  Invoice doc = draft_document(cus);
  doc.kind = InvoiceKind::proforma;
  const auto id = open_invoice("", doc);
  EXPECT_FALSE(stored_invoice(id).number.has_value());
  auto partial = pay(id, {.external = true, .amount = 900});
  ASSERT_TRUE(partial.ok()) << partial.error().message;
  EXPECT_FALSE(partial->spawned.has_value());
  auto settled = pay(id, {.external = true, .amount = 11000});
  ASSERT_TRUE(settled.ok()) << settled.error().message;
  ASSERT_TRUE(settled->spawned.has_value());
  EXPECT_EQ(settled->invoice.status, InvoiceStatus::converted);
  const auto tax_invoice = stored_invoice(settled->spawned->id);
  EXPECT_EQ(tax_invoice.status, InvoiceStatus::paid);
  EXPECT_EQ(tax_invoice.number, "INV-2026-000001") << "the number is minted only when the conversion happens";
  EXPECT_EQ(tax_invoice.converted_from, id);
  expect_run(id, {"invoice.payment_succeeded", "invoice.payment_status_updated", "proforma.converted"});
  EXPECT_EQ(types_of(tax_invoice.id), (Strings{"invoice.created", "invoice.finalized", "invoice.paid"}));
}

TEST_P(BillingServiceTest, InvoicePaid) {
  const auto id = open_invoice(customer());
  ASSERT_TRUE(pay(id, {.external = true, .amount = 11900}).ok());
  const auto events = events_of(id);
  const auto paid = last_of(events, "invoice.paid");
  ASSERT_TRUE(paid.has_value());
  EXPECT_EQ(paid->object.at("status"), "paid");
  EXPECT_EQ(paid->object.at("paid_via"), "external");
  EXPECT_EQ(paid->previous.at("status"), "open");
  auto again = pay(id, {.external = true, .amount = 1});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, core::ErrorKind::conflict);
  EXPECT_NE(again.error().message.find("paid"), std::string::npos);
}

// --- time ------------------------------------------------------------------------------------------

Invoice send_invoice_document(const std::string& customer_id, int64_t days) {
  Invoice doc;
  doc.customer_id = customer_id;
  doc.currency = "EUR";
  doc.collection_method = CollectionMethod::send_invoice;
  doc.days_until_due = days;
  doc.lines = {LineItem{.description = "Hosting", .unit_amount = 2500}};
  return doc;
}

TEST_P(BillingServiceTest, InvoiceWillBeDue) {
  const auto id = open_invoice("", send_invoice_document(customer(), 10));
  EXPECT_EQ(run_scheduler(), 0);
  advance_days(7.5);
  EXPECT_EQ(run_scheduler(), 1);
  EXPECT_EQ(run_scheduler(), 0) << "once per offset and due date";
  const auto events = events_of(id);
  const auto notice = last_of(events, "invoice.will_be_due");
  ASSERT_TRUE(notice.has_value());
  EXPECT_EQ(notice->object.at("reminder").at("offset_days"), -3);
  expect_run(id, {"invoice.finalized", "invoice.will_be_due"});
}

TEST_P(BillingServiceTest, InvoiceOverdueOncePerDueDateAcrossRestarts) {
  const auto id = open_invoice("", send_invoice_document(customer(), 10));
  advance_days(10.5);
  run_scheduler();
  run_scheduler();
  reopen();
  run_scheduler();
  auto types = types_of(id);
  EXPECT_EQ(std::count(types.begin(), types.end(), "invoice.overdue"), 1);
  EXPECT_EQ(std::count(types.begin(), types.end(), "invoice.will_be_due"), 0) << "already past due when first seen";
  // A new due date is a new dedupe key: once past it, overdue again.
  const int64_t new_due = kStartMs / 1000 + 12 * kSecondsPerDay;
  ASSERT_TRUE(apply(id, UpdateDueDate{new_due}).ok());
  advance_days(2);
  run_scheduler();
  types = types_of(id);
  EXPECT_EQ(std::count(types.begin(), types.end(), "invoice.overdue"), 2);
}

TEST_P(BillingServiceTest, TheSchedulerLooksOnlyAtInvoicesWhoseNextMomentHasCome) {
  const auto id = open_invoice("", send_invoice_document(customer(), 10));
  const int64_t due = stored_invoice(id).due_date.value();
  EXPECT_EQ((*store_->find_document(stored::kInvoice, id))->wake_at, due - 3 * kSecondsPerDay) << "the pre-due notice";
  EXPECT_TRUE(store_->documents_needing_time(stored::kInvoice, kStartMs / 1000, "", 10)->empty());
  advance_days(10.5);
  run_scheduler();
  EXPECT_EQ((*store_->find_document(stored::kInvoice, id))->wake_at, due + 7 * kSecondsPerDay) << "the first reminder";
  EXPECT_TRUE(store_->documents_needing_time(stored::kInvoice, kStartMs / 1000 + 11 * kSecondsPerDay, "", 10)->empty())
      << "handled: nothing to look at until the next step";
  ASSERT_TRUE(pay(id, {.external = true, .amount = 2500}).ok());
  EXPECT_FALSE((*store_->find_document(stored::kInvoice, id))->wake_at.has_value()) << "paid: nothing planned";
}

TEST_P(BillingServiceTest, PaidInvoicesAreNotOverdue) {
  const auto id = open_invoice("", send_invoice_document(customer(), 10));
  ASSERT_TRUE(pay(id, {.external = true, .amount = 2500}).ok());
  advance_days(11);
  EXPECT_EQ(run_scheduler(), 0);
}

TEST_P(BillingServiceTest, InvoiceOverdueReminder) {
  const auto id = open_invoice("", send_invoice_document(customer(), 10));
  advance_days(10.5);
  run_scheduler();
  advance_days(7);
  run_scheduler();
  run_scheduler();
  advance_days(7);
  run_scheduler();
  const auto events = events_of(id);
  std::vector<int64_t> sequences;
  for (const auto& e : events)
    if (e.type == "invoice.overdue_reminder") sequences.push_back(e.object.at("reminder").at("sequence").as_int64());
  EXPECT_EQ(sequences, (std::vector<int64_t>{1, 2}));
  expect_run(id, {"invoice.overdue", "invoice.overdue_reminder", "invoice.overdue_reminder"});
}

INSTANTIATE_TEST_SUITE_P(Backends, BillingServiceTest, testing::kBackends, testing::backend_name);

}  // namespace
}  // namespace billhook::billing
