#include "billing/invoice_machine.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "catalog/catalog.hpp"

namespace billhook::billing {
namespace {

namespace json = boost::json;
using S = InvoiceStatus;
using K = CommandKind;
using Types = std::vector<std::string>;

constexpr int64_t kNow = 1'763'805'600;
constexpr int64_t kDay = 86'400;

// --- helpers ---------------------------------------------------------------------------------------

// Every event must be in the catalog and its data.object valid against that type's schema.
void expect_valid_events(const std::vector<InvoiceEvent>& events) {
  for (const InvoiceEvent& event : events) {
    SCOPED_TRACE(event.type);
    const catalog::EventType* type = catalog::Catalog::builtin().find(event.type);
    ASSERT_NE(type, nullptr) << "not in the catalog";
    ASSERT_TRUE(type->schema.has_value());
    const auto violation = type->schema->validate(json::value(event.object));
    EXPECT_FALSE(violation.has_value()) << violation->path << ": " << violation->message << "\n"
                                        << json::serialize(event.object);
    EXPECT_EQ(event.object.at("id"), json::value(event.invoice_id));
  }
}

Transition ok(core::Result<Transition> result) {
  if (!result.ok()) {
    ADD_FAILURE() << result.error().code << ": " << result.error().message << " [" << result.error().param << "]";
    return {};
  }
  expect_valid_events(result->events);
  return std::move(result).value();
}

core::Error fails(core::Result<Transition> result) {
  if (result.ok()) {
    ADD_FAILURE() << "expected an error";
    return {};
  }
  return std::move(result).error();
}

Types types(const Transition& t) {
  Types out;
  for (const InvoiceEvent& e : t.events) out.push_back(e.type);
  return out;
}

std::vector<std::string> subjects(const Transition& t) {
  std::vector<std::string> out;
  for (const InvoiceEvent& e : t.events) out.push_back(e.invoice_id);
  return out;
}

std::set<std::string> keys(const json::object& object) {
  std::set<std::string> out;
  for (const auto& field : object) out.insert(std::string(field.key()));
  return out;
}

LineItem line(std::string description, int64_t quantity_milli, int64_t unit_amount, int64_t tax_bps = 0) {
  LineItem l;
  l.description = std::move(description);
  l.quantity_milli = quantity_milli;
  l.unit_amount = unit_amount;
  l.tax_rate_bps = tax_bps;
  return l;
}

// 2 × 25.00 EUR at 20 %: total 60.00.
Invoice document(InvoiceKind kind = InvoiceKind::invoice, Audience audience = Audience::customer) {
  Invoice d;
  d.id = "inv_1";
  d.customer_id = "cus_1";
  d.currency = "EUR";
  d.kind = kind;
  d.audience = audience;
  d.lines = {line("Seat", 2000, 2500, 2000)};
  return d;
}

std::string number_for(InvoiceKind kind) { return kind == InvoiceKind::proforma ? "" : "INV-0001"; }

PaymentReceived payment(int64_t amount, std::string id = "pay_1") {
  return PaymentReceived{.payment_id = std::move(id), .amount = amount, .currency = "EUR",
                         .payment_method_id = "pm_1", .payment_method_type = "card"};
}

RecordPayment record(int64_t amount, std::string id = "pay_1") {
  return RecordPayment{.payment = payment(amount, std::move(id)), .converted_invoice_id = "inv_2",
                       .converted_invoice_number = "INV-0002"};
}

Invoice draft(InvoiceKind kind = InvoiceKind::invoice, Audience audience = Audience::customer) {
  return ok(create(Create{.document = document(kind, audience)}, kNow)).invoice;
}

Invoice open_doc(InvoiceKind kind = InvoiceKind::invoice, Audience audience = Audience::customer) {
  return ok(create(Create{.document = document(kind, audience), .issued = true, .number = number_for(kind)}, kNow))
      .invoice;
}

// A document of `kind` in `status`: through real transitions where the machine can reach it, else an
// open document with the status set by hand (the table must hold for any data).
Invoice in_status(S status, InvoiceKind kind = InvoiceKind::invoice) {
  const bool proforma = kind == InvoiceKind::proforma;
  switch (status) {
    case S::draft: return draft(kind);
    case S::open: return open_doc(kind);
    case S::void_: return ok(apply(open_doc(kind), Void{}, kNow + 1)).invoice;
    case S::deleted: return ok(apply(draft(kind), DeleteDraft{}, kNow + 1)).invoice;
    case S::paid:
      if (!proforma) return ok(apply(open_doc(kind), record(6000), kNow + 1)).invoice;
      break;
    case S::uncollectible:
      if (!proforma) return ok(apply(open_doc(kind), MarkUncollectible{}, kNow + 1)).invoice;
      break;
    case S::converted:
      if (proforma) return ok(apply(open_doc(kind), record(6000), kNow + 1)).invoice;
      break;
  }
  Invoice doc = open_doc(kind);
  doc.status = status;
  return doc;
}

// A valid command of each kind for `doc`.
Command sample(K kind, const Invoice& doc) {
  switch (kind) {
    case K::update_draft: return UpdateDraft{.description = std::optional<std::string>("edited")};
    case K::refresh_draft: return RefreshDraft{.lines = {line("Seat", 3000, 2500, 2000)}};
    case K::finalize: return Finalize{.number = number_for(doc.kind)};
    case K::delete_draft: return DeleteDraft{};
    case K::void_: return Void{};
    case K::mark_uncollectible: return MarkUncollectible{};
    case K::duplicate: return Duplicate{.new_id = "inv_copy"};
    case K::update_due_date: return UpdateDueDate{.due_date = kNow + 30 * kDay};
    case K::adjust: return Adjust{.lines = {line("Extra", 1000, 100)}};
    case K::record_payment: return record(100);
    case K::pay_from_uncollectible: return PayFromUncollectible{.payment = payment(100)};
    case K::create: break;
  }
  ADD_FAILURE() << "no sample for " << to_string(kind);
  return DeleteDraft{};
}

constexpr std::array kStatuses = {S::draft, S::open, S::paid, S::void_, S::uncollectible, S::deleted, S::converted};
constexpr std::array kCommands = {K::update_draft,       K::refresh_draft, K::finalize,        K::delete_draft,
                                  K::void_,              K::mark_uncollectible, K::duplicate, K::update_due_date,
                                  K::adjust,             K::record_payment, K::pay_from_uncollectible};

// The allowed pairs, written out independently of the table so that a change to it shows up here.
const std::map<S, std::set<K>>& expected_allowed(InvoiceKind kind) {
  static const std::map<S, std::set<K>> invoices = {
      {S::draft, {K::update_draft, K::refresh_draft, K::finalize, K::delete_draft, K::update_due_date}},
      {S::open, {K::void_, K::mark_uncollectible, K::duplicate, K::update_due_date, K::adjust, K::record_payment}},
      {S::paid, {K::duplicate}},
      {S::void_, {K::duplicate}},
      {S::uncollectible, {K::void_, K::duplicate, K::update_due_date, K::pay_from_uncollectible}},
      {S::deleted, {}},
      {S::converted, {K::duplicate}},
  };
  static const std::map<S, std::set<K>> proformas = {
      {S::draft, {K::update_draft, K::refresh_draft, K::finalize, K::delete_draft, K::update_due_date}},
      {S::open, {K::void_, K::duplicate, K::update_due_date, K::record_payment}},
      {S::paid, {K::duplicate}},
      {S::void_, {K::duplicate}},
      {S::uncollectible, {K::void_, K::duplicate, K::update_due_date}},
      {S::deleted, {}},
      {S::converted, {K::duplicate}},
  };
  return kind == InvoiceKind::proforma ? proformas : invoices;
}

// --- the table -------------------------------------------------------------------------------------

TEST(TransitionTable, OneRowPerCommandInOrder) {
  const auto table = transition_table();
  ASSERT_EQ(table.size(), static_cast<size_t>(kCommandKindCount));
  for (size_t i = 0; i < table.size(); ++i) {
    EXPECT_EQ(static_cast<size_t>(table[i].command), i);
    EXPECT_EQ(&rule_for(table[i].command), &table[i]);
    EXPECT_FALSE(table[i].to.empty()) << to_string(table[i].command);
    EXPECT_NE(table[i].phrase.find("{}"), std::string_view::npos);
  }
  EXPECT_TRUE(rule_for(K::create).from.empty());
  EXPECT_EQ(to_string(K::void_), "void");
  EXPECT_EQ(to_string(K::record_payment), "record_payment");
}

TEST(TransitionTable, CommandKindFollowsTheVariant) {
  for (K kind : kCommands) EXPECT_EQ(kind_of(sample(kind, draft())), kind) << to_string(kind);
}

TEST(TransitionTable, AllowsExactlyTheDocumentedPairs) {
  for (InvoiceKind kind : {InvoiceKind::invoice, InvoiceKind::proforma}) {
    for (S status : kStatuses) {
      for (K command : kCommands) {
        EXPECT_EQ(allows(status, kind, command), expected_allowed(kind).at(status).contains(command))
            << to_string(kind) << " " << to_string(status) << " " << to_string(command);
      }
    }
  }
}

// Every (status × command) pair, for both kinds: allowed ones succeed into a status the table names
// and emit catalog-valid events; the rest are refused with invalid_transition and change nothing.
TEST(TransitionTable, EveryPairIsAppliedOrRefused) {
  int applied = 0;
  int refused = 0;
  for (InvoiceKind kind : {InvoiceKind::invoice, InvoiceKind::proforma}) {
    for (S status : kStatuses) {
      const Invoice before = in_status(status, kind);
      ASSERT_EQ(before.status, status);
      for (K command : kCommands) {
        SCOPED_TRACE(std::string(to_string(kind)) + " " + std::string(to_string(status)) + " " +
                     std::string(to_string(command)));
        const Invoice copy = before;
        auto result = apply(before, sample(command, before), kNow + 100);
        EXPECT_EQ(before, copy);
        if (expected_allowed(kind).at(status).contains(command)) {
          ++applied;
          const Transition t = ok(std::move(result));
          EXPECT_TRUE(rule_for(command).to.contains(t.invoice.status)) << to_string(t.invoice.status);
          EXPECT_FALSE(t.events.empty());
          EXPECT_FALSE(t.refusal.has_value());
        } else {
          ++refused;
          const core::Error error = fails(std::move(result));
          EXPECT_EQ(error.kind, core::ErrorKind::conflict);
          EXPECT_EQ(error.code, "invalid_transition");
          EXPECT_NE(error.message.find("that is " + std::string(to_string(status))), std::string::npos)
              << error.message;
          EXPECT_EQ(error.message.rfind("cannot ", 0), 0u) << error.message;
        }
      }
    }
  }
  EXPECT_EQ(applied + refused, 2 * 7 * 11);
  EXPECT_EQ(applied, 18 + 15);
}

TEST(InvalidTransition, MessagesNameTheStatusAndTheCommand) {
  EXPECT_EQ(fails(apply(in_status(S::paid), Void{}, kNow)).message, "cannot void an invoice that is paid");
  EXPECT_EQ(fails(apply(draft(), record(100), kNow)).message, "cannot record a payment on an invoice that is draft");
  EXPECT_EQ(fails(apply(open_doc(), Finalize{"INV-9"}, kNow)).message, "cannot finalize an invoice that is open");
  EXPECT_EQ(fails(apply(open_doc(), DeleteDraft{}, kNow)).message, "cannot delete an invoice that is open");
  EXPECT_EQ(fails(apply(open_doc(InvoiceKind::proforma), MarkUncollectible{}, kNow)).message,
            "cannot mark a proforma that is open uncollectible");
  EXPECT_EQ(fails(apply(open_doc(), PayFromUncollectible{payment(100)}, kNow)).message,
            "cannot pay an invoice that is open from uncollectible");
  EXPECT_EQ(fails(apply(in_status(S::deleted), Duplicate{"inv_9"}, kNow)).message,
            "cannot duplicate an invoice that is deleted");
  EXPECT_EQ(fails(apply(in_status(S::paid), UpdateDueDate{kNow}, kNow)).message,
            "cannot change the due date of an invoice that is paid");
}

TEST(InvalidTransition, IsCheckedBeforeTheArguments) {
  // A bad amount on a paid invoice is still a state conflict, not a bad request.
  const core::Error error = fails(apply(in_status(S::paid), record(-5), kNow));
  EXPECT_EQ(error.code, "invalid_transition");
}

// --- create ----------------------------------------------------------------------------------------

TEST(Create, DraftEmitsCreated) {
  const Transition t = ok(create(Create{.document = document()}, kNow));
  EXPECT_EQ(types(t), (Types{"invoice.created"}));
  EXPECT_EQ(t.invoice.status, S::draft);
  EXPECT_FALSE(t.invoice.number.has_value());
  EXPECT_EQ(t.invoice.created, kNow);
  EXPECT_EQ(t.invoice.total, 6000);
  EXPECT_EQ(t.invoice.amount_remaining, 6000);
  EXPECT_TRUE(t.events[0].previous_attributes.empty());
  EXPECT_EQ(t.events[0].object.at("status"), "draft");
  EXPECT_FALSE(t.spawned.has_value());
}

TEST(Create, IgnoresStateTheCallerSent) {
  Invoice doc = document();
  doc.status = S::paid;
  doc.amount_paid = 6000;
  doc.number = "X";
  doc.payment_status = PaymentStatus::succeeded;
  doc.paid_at = 5;
  const Transition t = ok(create(Create{.document = doc}, kNow));
  EXPECT_EQ(t.invoice.status, S::draft);
  EXPECT_EQ(t.invoice.amount_paid, 0);
  EXPECT_FALSE(t.invoice.number.has_value());
  EXPECT_EQ(t.invoice.payment_status, PaymentStatus::pending);
  EXPECT_FALSE(t.invoice.paid_at.has_value());
}

TEST(Create, IssuedEmitsCreatedThenFinalized) {
  const Transition t = ok(create(Create{.document = document(), .issued = true, .number = "INV-0001"}, kNow));
  EXPECT_EQ(types(t), (Types{"invoice.created", "invoice.finalized"}));
  EXPECT_EQ(t.invoice.status, S::open);
  EXPECT_EQ(t.invoice.number, "INV-0001");
  EXPECT_EQ(t.invoice.finalized_at, kNow);
  for (const InvoiceEvent& e : t.events) {
    EXPECT_EQ(e.object.at("status"), "open");
    EXPECT_TRUE(e.previous_attributes.empty());
  }
}

TEST(Create, IssuedWithNothingToPaySettlesAtOnce) {
  Invoice doc = document();
  doc.discount_bps = 10'000;
  const Transition t = ok(create(Create{.document = doc, .issued = true, .number = "INV-0001"}, kNow));
  EXPECT_EQ(types(t), (Types{"invoice.created", "invoice.finalized", "invoice.payment_status_updated", "invoice.paid"}));
  EXPECT_EQ(t.invoice.status, S::paid);
  EXPECT_EQ(t.invoice.paid_at, kNow);
  EXPECT_EQ(t.events[1].object.at("status"), "open");
  EXPECT_EQ(t.events[3].object.at("status"), "paid");
  EXPECT_EQ(t.events[3].previous_attributes.at("status"), "open");
  EXPECT_EQ(t.events[3].previous_attributes.at("payment_status"), "pending");
}

TEST(Create, ProformaDraftAndIssued) {
  const Transition drafted = ok(create(Create{.document = document(InvoiceKind::proforma)}, kNow));
  EXPECT_EQ(types(drafted), (Types{"proforma.created"}));
  const Transition issued =
      ok(create(Create{.document = document(InvoiceKind::proforma), .issued = true}, kNow));
  EXPECT_EQ(types(issued), (Types{"proforma.created"}));
  EXPECT_EQ(issued.invoice.status, S::open);
  EXPECT_FALSE(issued.invoice.number.has_value());
  EXPECT_EQ(issued.invoice.finalized_at, kNow);
}

TEST(Create, PartnerInvoicesUseThePartnerNames) {
  EXPECT_EQ(types(ok(create(Create{.document = document(InvoiceKind::invoice, Audience::partner)}, kNow))),
            (Types{"partner_invoice.created"}));
  const Transition issued = ok(create(
      Create{.document = document(InvoiceKind::invoice, Audience::partner), .issued = true, .number = "P-1"}, kNow));
  EXPECT_EQ(types(issued), (Types{"partner_invoice.created", "invoice.finalized"}));
  const Transition paid = ok(apply(issued.invoice, record(6000), kNow + 1));
  EXPECT_EQ(types(paid), (Types{"invoice.payment_succeeded", "invoice.payment_status_updated", "partner_invoice.paid"}));
}

TEST(Create, RefusesBadDocuments) {
  Invoice doc = document();
  doc.currency = "XYZ";
  core::Error error = fails(create(Create{.document = doc}, kNow));
  EXPECT_EQ(error.code, "unknown_currency");
  EXPECT_EQ(error.param, "currency");

  doc = document();
  doc.lines[0].quantity_milli = -1;
  EXPECT_EQ(fails(create(Create{.document = doc}, kNow)).param, "lines.0.quantity");

  error = fails(create(Create{.document = document(), .number = "INV-1"}, kNow));
  EXPECT_EQ(error.param, "number");

  error = fails(create(Create{.document = document(), .issued = true}, kNow));
  EXPECT_EQ(error.code, "parameter_missing");
  EXPECT_EQ(error.param, "number");

  error = fails(create(Create{.document = document(InvoiceKind::proforma), .issued = true, .number = "PF-1"}, kNow));
  EXPECT_EQ(error.param, "number");

  doc = document();
  doc.lines.clear();
  error = fails(create(Create{.document = doc, .issued = true, .number = "INV-1"}, kNow));
  EXPECT_EQ(error.code, "finalization_failed");
  EXPECT_EQ(error.param, "lines");
}

// --- drafts ----------------------------------------------------------------------------------------

TEST(UpdateDraft, EmitsUpdatedWithTheOldValues) {
  const Invoice before = draft();
  const Transition t = ok(apply(before,
                                UpdateDraft{.lines = std::vector<LineItem>{line("Seat", 3000, 2500, 2000)},
                                            .description = std::optional<std::string>("March"),
                                            .metadata = Metadata{{"order", "7"}}},
                                kNow + 5));
  EXPECT_EQ(types(t), (Types{"invoice.updated"}));
  EXPECT_EQ(t.invoice.total, 9000);
  EXPECT_EQ(t.invoice.description, "March");
  const json::object& previous = t.events[0].previous_attributes;
  EXPECT_EQ(keys(previous), (std::set<std::string>{"lines", "subtotal", "tax", "total", "amount_due",
                                                   "amount_remaining", "description", "metadata"}));
  EXPECT_EQ(previous.at("total"), 6000);
  EXPECT_TRUE(previous.at("description").is_null());
  EXPECT_TRUE(previous.at("metadata").as_object().empty());
  EXPECT_EQ(previous.at("lines"), to_json(before).at("lines"));
}

TEST(UpdateDraft, NothingChangedEmitsNothing) {
  const Invoice before = draft();
  const Transition t = ok(apply(before, UpdateDraft{.discount_bps = 0}, kNow));
  EXPECT_TRUE(t.events.empty());
  EXPECT_EQ(t.invoice, before);
}

TEST(UpdateDraft, RefusesBadFields) {
  core::Error error = fails(apply(draft(), UpdateDraft{.discount_bps = 20'000}, kNow));
  EXPECT_EQ(error.param, "discount_percentage");
  error = fails(apply(draft(), UpdateDraft{.days_until_due = std::optional<int64_t>(-3)}, kNow));
  EXPECT_EQ(error.param, "days_until_due");
  error = fails(apply(draft(), UpdateDraft{.payment_method_id = std::optional<std::string>("")}, kNow));
  EXPECT_EQ(error.param, "payment_method");
}

TEST(RefreshDraft, EmitsRefreshedEvenWithoutChange) {
  const Invoice before = draft();
  Transition t = ok(apply(before, RefreshDraft{.lines = {line("Seat", 4000, 2500, 2000)}}, kNow));
  EXPECT_EQ(types(t), (Types{"invoice.refreshed"}));
  EXPECT_EQ(t.invoice.total, 12000);
  EXPECT_EQ(t.events[0].previous_attributes.at("total"), 6000);
  t = ok(apply(before, RefreshDraft{.lines = before.lines}, kNow));
  EXPECT_EQ(types(t), (Types{"invoice.refreshed"}));
  EXPECT_TRUE(t.events[0].previous_attributes.empty());
}

TEST(DeleteDraft, EmitsDeleted) {
  const Transition t = ok(apply(draft(), DeleteDraft{}, kNow));
  EXPECT_EQ(types(t), (Types{"invoice.deleted"}));
  EXPECT_EQ(t.invoice.status, S::deleted);
  EXPECT_EQ(t.events[0].previous_attributes, (json::object{{"status", "draft"}}));
  EXPECT_EQ(types(ok(apply(draft(InvoiceKind::proforma), DeleteDraft{}, kNow))), (Types{"invoice.deleted"}));
}

// --- finalize --------------------------------------------------------------------------------------

TEST(Finalize, AssignsTheNumberAndEmitsFinalized) {
  const Transition t = ok(apply(draft(), Finalize{"INV-0042"}, kNow + 60));
  EXPECT_EQ(types(t), (Types{"invoice.finalized"}));
  EXPECT_EQ(t.invoice.status, S::open);
  EXPECT_EQ(t.invoice.number, "INV-0042");
  EXPECT_EQ(t.invoice.finalized_at, kNow + 60);
  EXPECT_FALSE(t.invoice.due_date.has_value());  // charge_automatically
  EXPECT_EQ(t.events[0].previous_attributes,
            (json::object{{"number", nullptr}, {"status", "draft"}, {"finalized_at", nullptr}}));
}

TEST(Finalize, SendInvoiceGetsItsDueDate) {
  Invoice doc = document();
  doc.collection_method = CollectionMethod::send_invoice;
  doc.days_until_due = 14;
  const Invoice before = ok(create(Create{.document = doc}, kNow)).invoice;
  const Transition t = ok(apply(before, Finalize{"INV-1"}, kNow + 10));
  EXPECT_EQ(t.invoice.due_date, kNow + 10 + 14 * kDay);
  EXPECT_TRUE(t.events[0].previous_attributes.at("due_date").is_null());
}

TEST(Finalize, NeedsTheNumberForInvoicesAndNoneForProformas) {
  core::Error error = fails(apply(draft(), Finalize{}, kNow));
  EXPECT_EQ(error.kind, core::ErrorKind::invalid_request);
  EXPECT_EQ(error.code, "parameter_missing");
  EXPECT_EQ(error.param, "number");
  error = fails(apply(draft(InvoiceKind::proforma), Finalize{"PF-1"}, kNow));
  EXPECT_EQ(error.param, "number");
}

TEST(Finalize, ProformaIsIssuedWithoutANumber) {
  const Transition t = ok(apply(draft(InvoiceKind::proforma), Finalize{}, kNow));
  // No proforma.finalized exists, and invoice.finalized requires a number.
  EXPECT_EQ(types(t), (Types{"invoice.updated"}));
  EXPECT_EQ(t.invoice.status, S::open);
  EXPECT_FALSE(t.invoice.number.has_value());
  EXPECT_EQ(t.events[0].previous_attributes.at("status"), "draft");
}

TEST(Finalize, ZeroTotalFinalizesAndSettles) {
  const Invoice before = ok(apply(draft(), UpdateDraft{.discount_bps = 10'000}, kNow)).invoice;
  const Transition t = ok(apply(before, Finalize{"INV-1"}, kNow + 1));
  EXPECT_EQ(types(t), (Types{"invoice.finalized", "invoice.payment_status_updated", "invoice.paid"}));
  EXPECT_EQ(t.invoice.status, S::paid);
  EXPECT_EQ(t.invoice.payment_status, PaymentStatus::succeeded);
  EXPECT_EQ(t.events[0].object.at("status"), "open");
  EXPECT_EQ(t.events[0].previous_attributes.at("status"), "draft");
  EXPECT_EQ(t.events[2].previous_attributes.at("status"), "open");
}

struct FinalizationCase {
  const char* name;
  Invoice (*make)();
  const char* reason;
  const char* param;
};

TEST(Finalize, FailureIsRecordedOnTheDraft) {
  const FinalizationCase cases[] = {
      {"no lines",
       [] {
         Invoice d = draft();
         d.lines.clear();
         EXPECT_TRUE(compute_totals(d).ok());
         return d;
       },
       "no_lines", "lines"},
      {"negative total",
       [] { return ok(apply(draft(), RefreshDraft{.lines = {line("Refund", 1000, -100)}}, kNow)).invoice; },
       "negative_total", "total"},
      {"send_invoice without due date",
       [] {
         return ok(apply(draft(), UpdateDraft{.collection_method = CollectionMethod::send_invoice}, kNow)).invoice;
       },
       "missing_due_date", "days_until_due"},
      {"proforma asking for nothing",
       [] { return ok(apply(draft(InvoiceKind::proforma), UpdateDraft{.discount_bps = 10'000}, kNow)).invoice; },
       "nothing_due", "total"},
  };
  for (const FinalizationCase& c : cases) {
    SCOPED_TRACE(c.name);
    const Invoice before = c.make();
    const Transition t = ok(apply(before, Finalize{number_for(before.kind)}, kNow + 9));
    EXPECT_EQ(types(t), (Types{"invoice.finalization_failed"}));
    EXPECT_EQ(t.invoice.status, S::draft);
    EXPECT_FALSE(t.invoice.number.has_value());
    ASSERT_TRUE(t.invoice.last_finalization_error.has_value());
    EXPECT_EQ(t.invoice.last_finalization_error->code, c.reason);
    EXPECT_EQ(t.invoice.last_finalization_error->param, c.param);
    ASSERT_TRUE(t.refusal.has_value());
    EXPECT_EQ(t.refusal->kind, core::ErrorKind::invalid_request);
    EXPECT_EQ(t.refusal->code, "finalization_failed");
    EXPECT_EQ(t.refusal->param, c.param);
    EXPECT_EQ(keys(t.events[0].previous_attributes), (std::set<std::string>{"last_finalization_error"}));
    EXPECT_EQ(t.events[0].object.at("last_finalization_error").at("code"), c.reason);
  }
}

TEST(Finalize, SuccessClearsTheLastFailure) {
  Invoice failed = draft();
  failed.lines.clear();
  ASSERT_TRUE(compute_totals(failed).ok());
  failed = ok(apply(failed, Finalize{"INV-1"}, kNow)).invoice;
  const Invoice fixed = ok(apply(failed, RefreshDraft{.lines = {line("Seat", 1000, 100)}}, kNow)).invoice;
  const Transition t = ok(apply(fixed, Finalize{"INV-1"}, kNow));
  EXPECT_EQ(types(t), (Types{"invoice.finalized"}));
  EXPECT_FALSE(t.invoice.last_finalization_error.has_value());
  EXPECT_EQ(t.events[0].previous_attributes.at("last_finalization_error").at("code"), "no_lines");
  EXPECT_FALSE(t.events[0].object.contains("last_finalization_error"));
}

// --- void and write-off ----------------------------------------------------------------------------

TEST(Void, FromOpenAndUncollectible) {
  Transition t = ok(apply(open_doc(), Void{}, kNow + 7));
  EXPECT_EQ(types(t), (Types{"invoice.voided"}));
  EXPECT_EQ(t.invoice.status, S::void_);
  EXPECT_EQ(t.invoice.voided_at, kNow + 7);
  EXPECT_EQ(t.events[0].previous_attributes, (json::object{{"status", "open"}, {"voided_at", nullptr}}));
  t = ok(apply(in_status(S::uncollectible), Void{}, kNow + 7));
  EXPECT_EQ(types(t), (Types{"invoice.voided"}));
  EXPECT_EQ(t.events[0].previous_attributes.at("status"), "uncollectible");
}

TEST(Void, ProformaEmitsProformaVoided) {
  const Transition t = ok(apply(open_doc(InvoiceKind::proforma), Void{}, kNow));
  EXPECT_EQ(types(t), (Types{"proforma.voided"}));
}

TEST(Void, GuardsAgainstNetPaymentsAndCreditNotes) {
  const Invoice partly_paid = ok(apply(open_doc(), record(1000), kNow)).invoice;
  core::Error error = fails(apply(partly_paid, Void{}, kNow));
  EXPECT_EQ(error.kind, core::ErrorKind::conflict);
  EXPECT_EQ(error.code, "invoice_has_payments");
  EXPECT_NE(error.message.find("10.00 EUR"), std::string::npos) << error.message;

  Invoice refunded = partly_paid;
  refunded.amount_refunded = 1000;
  EXPECT_EQ(types(ok(apply(refunded, Void{}, kNow))), (Types{"invoice.voided"}));

  Invoice credited = open_doc();
  credited.credit_notes_outstanding = 1;
  error = fails(apply(credited, Void{}, kNow));
  EXPECT_EQ(error.kind, core::ErrorKind::conflict);
  EXPECT_EQ(error.code, "invoice_has_credit_notes");
}

TEST(MarkUncollectible, StopsCollection) {
  Invoice before = open_doc();
  before.next_payment_attempt = kNow + kDay;
  const Transition t = ok(apply(before, MarkUncollectible{}, kNow));
  EXPECT_EQ(types(t), (Types{"invoice.marked_uncollectible"}));
  EXPECT_EQ(t.invoice.status, S::uncollectible);
  EXPECT_FALSE(t.invoice.next_payment_attempt.has_value());
  EXPECT_EQ(t.events[0].previous_attributes,
            (json::object{{"status", "open"}, {"next_payment_attempt", kNow + kDay}}));
}

// --- duplicate -------------------------------------------------------------------------------------

TEST(Duplicate, CreatesADraftCopyThenMarksTheSource) {
  const Invoice source = in_status(S::paid);
  const Transition t = ok(apply(source, Duplicate{"inv_copy"}, kNow + 100));
  EXPECT_EQ(types(t), (Types{"invoice.created", "invoice.duplicated"}));
  EXPECT_EQ(subjects(t), (std::vector<std::string>{"inv_copy", "inv_1"}));
  ASSERT_TRUE(t.spawned.has_value());
  const Invoice& copy = *t.spawned;
  EXPECT_EQ(copy.id, "inv_copy");
  EXPECT_EQ(copy.status, S::draft);
  EXPECT_EQ(copy.duplicated_from, "inv_1");
  EXPECT_FALSE(copy.number.has_value());
  EXPECT_EQ(copy.amount_paid, 0);
  EXPECT_EQ(copy.amount_remaining, 6000);
  EXPECT_EQ(copy.payment_status, PaymentStatus::pending);
  EXPECT_FALSE(copy.payment.has_value());
  EXPECT_EQ(copy.created, kNow + 100);
  EXPECT_EQ(copy.lines, source.lines);
  EXPECT_TRUE(t.events[0].previous_attributes.empty());

  EXPECT_EQ(t.invoice.status, S::paid);
  EXPECT_EQ(t.invoice.duplicated_to, "inv_copy");
  EXPECT_EQ(t.events[1].previous_attributes, (json::object{{"duplicated_to", nullptr}}));
}

TEST(Duplicate, ProformaCopyIsAProformaDraft) {
  const Transition t = ok(apply(in_status(S::converted, InvoiceKind::proforma), Duplicate{"pf_2"}, kNow));
  EXPECT_EQ(types(t), (Types{"proforma.created", "invoice.duplicated"}));
  EXPECT_EQ(t.spawned->kind, InvoiceKind::proforma);
  EXPECT_FALSE(t.spawned->converted_to.has_value());
}

TEST(Duplicate, NeedsANewId) {
  EXPECT_EQ(fails(apply(open_doc(), Duplicate{}, kNow)).param, "new_id");
  EXPECT_EQ(fails(apply(open_doc(), Duplicate{"inv_1"}, kNow)).param, "new_id");
}

// --- due date --------------------------------------------------------------------------------------

TEST(UpdateDueDate, RecordsThePreviousDate) {
  Transition t = ok(apply(open_doc(), UpdateDueDate{kNow + 30 * kDay}, kNow));
  EXPECT_EQ(types(t), (Types{"invoice.due_date_updated"}));
  EXPECT_EQ(t.invoice.due_date, kNow + 30 * kDay);
  EXPECT_FALSE(t.invoice.previous_due_date.has_value());
  EXPECT_EQ(t.events[0].previous_attributes, (json::object{{"due_date", nullptr}}));

  t = ok(apply(t.invoice, UpdateDueDate{kNow + 45 * kDay}, kNow));
  EXPECT_EQ(t.invoice.previous_due_date, kNow + 30 * kDay);
  EXPECT_EQ(t.events[0].previous_attributes,
            (json::object{{"due_date", kNow + 30 * kDay}, {"previous_due_date", nullptr}}));
  EXPECT_EQ(t.events[0].object.at("previous_due_date"), kNow + 30 * kDay);
}

TEST(UpdateDueDate, SameDateEmitsNothingAndNegativeIsRefused) {
  const Invoice dated = ok(apply(open_doc(), UpdateDueDate{kNow}, kNow)).invoice;
  const Transition t = ok(apply(dated, UpdateDueDate{kNow}, kNow));
  EXPECT_TRUE(t.events.empty());
  EXPECT_EQ(t.invoice, dated);
  EXPECT_EQ(fails(apply(dated, UpdateDueDate{-1}, kNow)).param, "due_date");
}

TEST(UpdateDueDate, WorksOnDraftsAndWrittenOffInvoices) {
  EXPECT_EQ(types(ok(apply(draft(), UpdateDueDate{kNow}, kNow))), (Types{"invoice.due_date_updated"}));
  EXPECT_EQ(types(ok(apply(in_status(S::uncollectible), UpdateDueDate{kNow}, kNow))),
            (Types{"invoice.due_date_updated"}));
}

// --- adjust ----------------------------------------------------------------------------------------

TEST(Adjust, AppendsLinesAndEmitsAdjusted) {
  const Transition t = ok(apply(open_doc(), Adjust{{line("Late fee", 1000, 500, 2000)}}, kNow));
  EXPECT_EQ(types(t), (Types{"invoice.adjusted"}));
  EXPECT_EQ(t.invoice.lines.size(), 2u);
  EXPECT_EQ(t.invoice.total, 6600);
  EXPECT_EQ(t.invoice.status, S::open);
  EXPECT_EQ(keys(t.events[0].previous_attributes),
            (std::set<std::string>{"lines", "subtotal", "tax", "total", "amount_due", "amount_remaining"}));
}

TEST(Adjust, DownToWhatWasPaidSettles) {
  const Invoice partly_paid = ok(apply(open_doc(), record(4800), kNow)).invoice;
  const Transition t = ok(apply(partly_paid, Adjust{{line("Goodwill", 1000, -1000, 2000)}}, kNow + 1));
  EXPECT_EQ(types(t), (Types{"invoice.adjusted", "invoice.payment_status_updated", "invoice.paid"}));
  EXPECT_EQ(t.invoice.status, S::paid);
  EXPECT_EQ(t.invoice.amount_remaining, 0);
  EXPECT_EQ(t.events[0].object.at("status"), "open");
  EXPECT_EQ(t.events[2].previous_attributes.at("payment_status"), "partially_paid");
}

TEST(Adjust, RefusesWhatWouldUndercutPaymentsOrGoNegative) {
  const Invoice partly_paid = ok(apply(open_doc(), record(4800), kNow)).invoice;
  core::Error error = fails(apply(partly_paid, Adjust{{line("Too much", 1000, -2000, 2000)}}, kNow));
  EXPECT_EQ(error.param, "lines");
  EXPECT_NE(error.message.find("48.00 EUR already paid"), std::string::npos) << error.message;
  error = fails(apply(open_doc(), Adjust{{line("Refund", 1000, -9000)}}, kNow));
  EXPECT_EQ(error.param, "lines");
  EXPECT_EQ(fails(apply(open_doc(), Adjust{}, kNow)).param, "lines");
  // The error names the adjustment's own line.
  EXPECT_EQ(fails(apply(open_doc(), Adjust{{line("ok", 1000, 1), line("bad", -5, 1)}}, kNow)).param,
            "lines.1.quantity");
}

// --- payments --------------------------------------------------------------------------------------

TEST(RecordPayment, PartialPayment) {
  const Transition t = ok(apply(open_doc(), record(2000), kNow + 5));
  EXPECT_EQ(types(t), (Types{"invoice.payment_succeeded", "invoice.partially_paid", "invoice.payment_status_updated"}));
  EXPECT_EQ(t.invoice.status, S::open);
  EXPECT_EQ(t.invoice.amount_paid, 2000);
  EXPECT_EQ(t.invoice.amount_remaining, 4000);
  EXPECT_EQ(t.invoice.payment_status, PaymentStatus::partially_paid);
  EXPECT_EQ(t.invoice.attempt_count, 1);
  ASSERT_TRUE(t.invoice.payment.has_value());
  EXPECT_EQ(t.invoice.payment->id, "pay_1");
  EXPECT_EQ(t.invoice.payment->attempt, 1);
  EXPECT_EQ(t.overpayment, 0);
  const json::object& previous = t.events[0].previous_attributes;
  EXPECT_EQ(keys(previous), (std::set<std::string>{"amount_paid", "amount_remaining", "payment_status", "attempt_count",
                                                   "payment"}));
  EXPECT_EQ(previous.at("amount_paid"), 0);
  EXPECT_EQ(previous.at("amount_remaining"), 6000);
  EXPECT_EQ(previous.at("payment_status"), "pending");
  EXPECT_TRUE(previous.at("payment").is_null());
  for (const InvoiceEvent& e : t.events) EXPECT_EQ(e.previous_attributes, previous);
}

TEST(RecordPayment, SecondPartialDoesNotRepeatTheStatusUpdate) {
  const Invoice once = ok(apply(open_doc(), record(1000, "pay_1"), kNow)).invoice;
  const Transition t = ok(apply(once, record(1000, "pay_2"), kNow + 1));
  EXPECT_EQ(types(t), (Types{"invoice.payment_succeeded", "invoice.partially_paid"}));
  EXPECT_EQ(t.invoice.amount_paid, 2000);
  EXPECT_EQ(t.invoice.attempt_count, 2);
  EXPECT_EQ(t.invoice.payment->attempt, 2);
  EXPECT_EQ(t.events[0].previous_attributes.at("payment").at("id"), "pay_1");
}

TEST(RecordPayment, FullPayment) {
  const Transition t = ok(apply(open_doc(), record(6000), kNow + 5));
  EXPECT_EQ(types(t), (Types{"invoice.payment_succeeded", "invoice.payment_status_updated", "invoice.paid"}));
  EXPECT_EQ(t.invoice.status, S::paid);
  EXPECT_EQ(t.invoice.paid_at, kNow + 5);
  EXPECT_EQ(t.invoice.paid_via, PaidVia::processor);
  EXPECT_EQ(t.invoice.amount_remaining, 0);
  EXPECT_EQ(t.invoice.payment_status, PaymentStatus::succeeded);
  EXPECT_EQ(t.overpayment, 0);
  const json::object& previous = t.events[2].previous_attributes;
  EXPECT_EQ(keys(previous), (std::set<std::string>{"status", "amount_paid", "amount_remaining", "payment_status",
                                                   "paid_via", "attempt_count", "paid_at", "payment"}));
  EXPECT_EQ(previous.at("status"), "open");
  EXPECT_TRUE(previous.at("paid_at").is_null());
}

TEST(RecordPayment, RestAfterAPartialPayment) {
  const Invoice once = ok(apply(open_doc(), record(1000, "pay_1"), kNow)).invoice;
  const Transition t = ok(apply(once, record(5000, "pay_2"), kNow + 1));
  EXPECT_EQ(types(t), (Types{"invoice.payment_succeeded", "invoice.payment_status_updated", "invoice.paid"}));
  EXPECT_EQ(t.events[1].previous_attributes.at("payment_status"), "partially_paid");
}

TEST(RecordPayment, OverpaymentIsReported) {
  const Transition t = ok(apply(open_doc(), record(6500), kNow));
  EXPECT_EQ(types(t), (Types{"invoice.payment_succeeded", "invoice.payment_status_updated", "invoice.paid",
                             "invoice.overpaid"}));
  EXPECT_EQ(t.invoice.status, S::paid);
  EXPECT_EQ(t.invoice.amount_overpaid, 500);
  EXPECT_EQ(t.invoice.amount_remaining, 0);
  EXPECT_EQ(t.overpayment, 500);
  EXPECT_EQ(t.events[3].object.at("amount_overpaid"), 500);
}

TEST(RecordPayment, FallbackMethodAddsItsEvent) {
  RecordPayment c = record(6000);
  c.payment.fallback = true;
  Transition t = ok(apply(open_doc(), c, kNow));
  EXPECT_EQ(types(t), (Types{"invoice.payment_succeeded", "invoice.paid_with_fallback_method",
                             "invoice.payment_status_updated", "invoice.paid"}));
  c.payment.amount = 100;
  t = ok(apply(open_doc(), c, kNow));
  EXPECT_EQ(types(t), (Types{"invoice.payment_succeeded", "invoice.paid_with_fallback_method",
                             "invoice.partially_paid", "invoice.payment_status_updated"}));
}

TEST(RecordPayment, PaidViaIsKept) {
  RecordPayment c = record(6000);
  c.payment.paid_via = PaidVia::external;
  const Transition t = ok(apply(open_doc(), c, kNow));
  EXPECT_EQ(t.invoice.paid_via, PaidVia::external);
  EXPECT_EQ(t.events.back().object.at("paid_via"), "external");
}

TEST(RecordPayment, RefusesBadPaymentsNamingTheField) {
  const Invoice doc = open_doc();
  const std::pair<RecordPayment, const char*> cases[] = {
      {record(0), "amount"},
      {record(-100), "amount"},
      {record(100, ""), "payment_id"},
  };
  for (const auto& [command, param] : cases) {
    const core::Error error = fails(apply(doc, command, kNow));
    EXPECT_EQ(error.kind, core::ErrorKind::invalid_request);
    EXPECT_EQ(error.param, param);
  }
  RecordPayment other_currency = record(100);
  other_currency.payment.currency = "USD";
  core::Error error = fails(apply(doc, other_currency, kNow));
  EXPECT_EQ(error.code, "currency_mismatch");
  EXPECT_EQ(error.param, "currency");
  other_currency.payment.currency = "usd";
  error = fails(apply(doc, other_currency, kNow));
  EXPECT_EQ(error.code, "unknown_currency");
  EXPECT_EQ(error.param, "currency");

  Invoice nearly_full = doc;
  nearly_full.amount_paid = std::numeric_limits<int64_t>::max() - 10;
  error = fails(apply(nearly_full, record(100), kNow));
  EXPECT_EQ(error.code, "amount_out_of_range");
  EXPECT_EQ(error.param, "amount");
}

TEST(PayFromUncollectible, PartialStaysWrittenOffFullPays) {
  const Invoice written_off = in_status(S::uncollectible);
  Transition t = ok(apply(written_off, PayFromUncollectible{payment(1000)}, kNow));
  EXPECT_EQ(types(t), (Types{"invoice.payment_succeeded", "invoice.partially_paid", "invoice.payment_status_updated"}));
  EXPECT_EQ(t.invoice.status, S::uncollectible);
  t = ok(apply(t.invoice, PayFromUncollectible{payment(5000, "pay_2")}, kNow + 1));
  EXPECT_EQ(types(t), (Types{"invoice.payment_succeeded", "invoice.payment_status_updated", "invoice.paid"}));
  EXPECT_EQ(t.invoice.status, S::paid);
  EXPECT_EQ(t.events[2].previous_attributes.at("status"), "uncollectible");
  t = ok(apply(written_off, PayFromUncollectible{payment(7000)}, kNow));
  EXPECT_EQ(types(t).back(), "invoice.overpaid");
  EXPECT_EQ(t.overpayment, 1000);
}

// --- proforma conversion ---------------------------------------------------------------------------

TEST(ProformaConversion, FullPaymentConvertsIntoAPaidTaxInvoice) {
  const Invoice proforma = open_doc(InvoiceKind::proforma);
  const Transition t = ok(apply(proforma, record(6000), kNow + 50));
  EXPECT_EQ(types(t), (Types{"invoice.payment_succeeded", "invoice.payment_status_updated", "invoice.created",
                             "invoice.finalized", "invoice.paid", "proforma.converted"}));
  EXPECT_EQ(subjects(t), (std::vector<std::string>{"inv_1", "inv_1", "inv_2", "inv_2", "inv_2", "inv_1"}));

  EXPECT_EQ(t.invoice.status, S::converted);
  EXPECT_EQ(t.invoice.converted_to, "inv_2");
  EXPECT_FALSE(t.invoice.number.has_value());

  ASSERT_TRUE(t.spawned.has_value());
  const Invoice& issued = *t.spawned;
  EXPECT_EQ(issued.id, "inv_2");
  EXPECT_EQ(issued.kind, InvoiceKind::invoice);
  EXPECT_EQ(issued.status, S::paid);
  EXPECT_EQ(issued.number, "INV-0002");
  EXPECT_EQ(issued.converted_from, "inv_1");
  EXPECT_EQ(issued.finalized_at, kNow + 50);
  EXPECT_EQ(issued.paid_at, kNow + 50);
  EXPECT_EQ(issued.amount_paid, 6000);
  EXPECT_EQ(issued.total, proforma.total);
  EXPECT_EQ(issued.lines, proforma.lines);

  // The new invoice is shown as issued first, then as paid.
  EXPECT_EQ(t.events[2].object.at("status"), "open");
  EXPECT_EQ(t.events[2].object.at("amount_paid"), 0);
  EXPECT_TRUE(t.events[2].previous_attributes.empty());
  EXPECT_EQ(t.events[4].object.at("status"), "paid");
  EXPECT_EQ(t.events[4].previous_attributes.at("status"), "open");
  EXPECT_EQ(t.events[5].previous_attributes.at("status"), "open");
  EXPECT_TRUE(t.events[5].previous_attributes.at("converted_to").is_null());
}

TEST(ProformaConversion, OverpaymentIsReportedOnTheTaxInvoice) {
  const Transition t = ok(apply(open_doc(InvoiceKind::proforma), record(7000), kNow));
  EXPECT_EQ(types(t), (Types{"invoice.payment_succeeded", "invoice.payment_status_updated", "invoice.created",
                             "invoice.finalized", "invoice.paid", "invoice.overpaid", "proforma.converted"}));
  EXPECT_EQ(t.events[5].invoice_id, "inv_2");
  EXPECT_EQ(t.overpayment, 1000);
}

TEST(ProformaConversion, PartnerProformaConvertsIntoAPartnerInvoice) {
  const Transition t = ok(apply(open_doc(InvoiceKind::proforma, Audience::partner), record(6000), kNow));
  EXPECT_EQ(types(t), (Types{"invoice.payment_succeeded", "invoice.payment_status_updated", "partner_invoice.created",
                             "invoice.finalized", "partner_invoice.paid", "proforma.converted"}));
}

TEST(ProformaConversion, PartialPaymentNeedsNoConversion) {
  const Transition t = ok(apply(open_doc(InvoiceKind::proforma), RecordPayment{.payment = payment(100)}, kNow));
  EXPECT_EQ(types(t), (Types{"invoice.payment_succeeded", "invoice.partially_paid", "invoice.payment_status_updated"}));
  EXPECT_EQ(t.invoice.status, S::open);
  EXPECT_FALSE(t.spawned.has_value());
}

TEST(ProformaConversion, SettlingNeedsTheNewInvoicesIdAndNumber) {
  const Invoice proforma = open_doc(InvoiceKind::proforma);
  EXPECT_EQ(fails(apply(proforma, RecordPayment{.payment = payment(6000)}, kNow)).param, "converted_invoice_id");
  EXPECT_EQ(fails(apply(proforma, RecordPayment{.payment = payment(6000), .converted_invoice_id = "inv_1",
                                                .converted_invoice_number = "X"},
                        kNow))
                .param,
            "converted_invoice_id");
  EXPECT_EQ(fails(apply(proforma, RecordPayment{.payment = payment(6000), .converted_invoice_id = "inv_2"}, kNow)).param,
            "converted_invoice_number");
}

// --- a whole life ----------------------------------------------------------------------------------

TEST(Lifecycle, DraftToPaidEmitsTheDocumentedSequence) {
  Types all;
  const auto run = [&](core::Result<Transition> result) {
    Transition t = ok(std::move(result));
    for (const InvoiceEvent& e : t.events) all.push_back(e.type);
    return t.invoice;
  };
  Invoice doc = run(create(Create{.document = document()}, kNow));
  doc = run(apply(doc, UpdateDraft{.description = std::optional<std::string>("Seats")}, kNow + 1));
  doc = run(apply(doc, Finalize{"INV-7"}, kNow + 2));
  doc = run(apply(doc, UpdateDueDate{kNow + 14 * kDay}, kNow + 3));
  doc = run(apply(doc, record(2500), kNow + 4));
  doc = run(apply(doc, MarkUncollectible{}, kNow + 5));
  doc = run(apply(doc, PayFromUncollectible{payment(3500, "pay_2")}, kNow + 6));
  EXPECT_EQ(doc.status, S::paid);
  EXPECT_EQ(all, (Types{"invoice.created", "invoice.updated", "invoice.finalized", "invoice.due_date_updated",
                        "invoice.payment_succeeded", "invoice.partially_paid", "invoice.payment_status_updated",
                        "invoice.marked_uncollectible", "invoice.payment_succeeded",
                        "invoice.payment_status_updated", "invoice.paid"}));
  // A paid invoice only duplicates.
  for (K command : kCommands) {
    if (command == K::duplicate) continue;
    EXPECT_EQ(fails(apply(doc, sample(command, doc), kNow)).code, "invalid_transition") << to_string(command);
  }
}

}  // namespace
}  // namespace billhook::billing
