#include "billing/invoice_machine.hpp"

#include <cassert>
#include <utility>

#include <boost/json/value.hpp>
#include <fmt/format.h>

#include "billing/previous_attributes.hpp"
#include "core/clock.hpp"
#include "core/money.hpp"

namespace billhook::billing {
namespace {

namespace json = boost::json;
using S = InvoiceStatus;

using core::kSecondsPerDay;

// The one transition table. Rows are in CommandKind order (checked below).
constexpr std::array<TransitionRule, kCommandKindCount> kTable = {{
    {CommandKind::update_draft, {S::draft}, {S::draft}, true, "update {}"},
    {CommandKind::refresh_draft, {S::draft}, {S::draft}, true, "refresh {}"},
    {CommandKind::finalize, {S::draft}, {S::draft, S::open, S::paid}, true, "finalize {}"},
    {CommandKind::delete_draft, {S::draft}, {S::deleted}, true, "delete {}"},
    {CommandKind::void_, {S::open, S::uncollectible}, {S::void_}, true, "void {}"},
    {CommandKind::mark_uncollectible, {S::open}, {S::uncollectible}, false, "mark {} uncollectible"},
    {CommandKind::duplicate, {S::open, S::paid, S::void_, S::uncollectible, S::converted},
     {S::open, S::paid, S::void_, S::uncollectible, S::converted}, true, "duplicate {}"},
    {CommandKind::update_due_date, {S::draft, S::open, S::uncollectible}, {S::draft, S::open, S::uncollectible},
     true, "change the due date of {}"},
    // Adjusting a proforma could settle it, which would need a conversion; void and reissue instead.
    {CommandKind::adjust, {S::open}, {S::open, S::paid}, false, "adjust {}"},
    {CommandKind::record_payment, {S::open}, {S::open, S::paid, S::converted}, true, "record a payment on {}"},
    // Proformas never become uncollectible (mark_uncollectible refuses them), so neither applies.
    {CommandKind::pay_from_uncollectible, {S::uncollectible}, {S::uncollectible, S::paid}, false,
     "pay {} from uncollectible"},
    {CommandKind::create, {}, {S::draft, S::open, S::paid}, true, "create {}"},
}};

constexpr bool table_in_order() {
  for (size_t i = 0; i < kTable.size(); ++i) {
    if (static_cast<size_t>(kTable[i].command) != i) return false;
  }
  return true;
}
static_assert(table_in_order(), "kTable rows must follow CommandKind order");
static_assert(std::variant_size_v<Command> + 1 == kCommandKindCount, "every command but create is a Command");

constexpr std::array<std::string_view, kCommandKindCount> kCommandNames = {
    "update_draft", "refresh_draft", "finalize", "delete_draft", "void", "mark_uncollectible", "duplicate",
    "update_due_date", "adjust", "record_payment", "pay_from_uncollectible", "create"};

// --- event names -----------------------------------------------------------------------------------

std::string_view created_event(const Invoice& doc) {
  if (doc.kind == InvoiceKind::proforma) return "proforma.created";
  return doc.audience == Audience::partner ? "partner_invoice.created" : "invoice.created";
}

std::string_view paid_event(const Invoice& doc) {
  return doc.audience == Audience::partner ? "partner_invoice.paid" : "invoice.paid";
}

std::string_view voided_event(const Invoice& doc) {
  return doc.kind == InvoiceKind::proforma ? "proforma.voided" : "invoice.voided";
}

// --- events ----------------------------------------------------------------------------------------

class EventLog {
 public:
  // The events of one step: all show `after` and what the step changed since `before` (none for a
  // document the step created).
  void step(const Invoice* before, const Invoice& after, const std::vector<std::string_view>& types) {
    const json::object object = to_json(after);
    const json::object previous = before != nullptr ? previous_attributes(to_json(*before), object) : json::object{};
    for (std::string_view type : types) events_.push_back({std::string(type), after.id, object, previous});
  }
  std::vector<InvoiceEvent> take() { return std::move(events_); }

 private:
  std::vector<InvoiceEvent> events_;
};

// --- shared steps ----------------------------------------------------------------------------------

std::string describe(const Invoice& doc) {
  return fmt::format("{} that is {}", doc.kind == InvoiceKind::proforma ? "a proforma" : "an invoice",
                     to_string(doc.status));
}

core::Error refused(const Invoice& doc, CommandKind command) {
  return core::Error::conflict(
      "invalid_transition", "cannot " + fmt::format(fmt::runtime(rule_for(command).phrase), describe(doc)));
}

core::Error missing(std::string message, std::string param) {
  return core::Error::invalid("parameter_missing", std::move(message), std::move(param));
}

core::Error bad(std::string message, std::string param) {
  return core::Error::invalid("parameter_invalid", std::move(message), std::move(param));
}

// What the caller supplied is valid and the amounts follow from it.
core::Status prepare(Invoice& doc) {
  if (auto status = check_invoice(doc); !status) return status;
  return compute_totals(doc);
}

// Clears everything the machine owns, for a document that starts its life now.
void start_afresh(Invoice& doc, int64_t now) {
  doc.status = S::draft;
  doc.number.reset();
  doc.amount_paid = 0;
  doc.amount_credited = 0;
  doc.amount_refunded = 0;
  doc.credit_notes_outstanding = 0;
  doc.payment_status = PaymentStatus::pending;
  doc.paid_via.reset();
  doc.attempt_count = 0;
  doc.next_payment_attempt.reset();
  doc.previous_due_date.reset();
  doc.created = now;
  doc.finalized_at.reset();
  doc.paid_at.reset();
  doc.voided_at.reset();
  doc.pdf_version = 0;
  doc.pdf_url.reset();
  doc.duplicated_to.reset();
  doc.converted_to.reset();
  doc.last_finalization_error.reset();
  doc.payment.reset();
}

core::Status check_number(const Invoice& doc, const std::string& number) {
  if (doc.kind == InvoiceKind::proforma) {
    if (!number.empty()) return bad("a proforma has no legal number; issue it without one", "number");
  } else if (number.empty()) {
    return missing("issuing an invoice needs the legal number to assign", "number");
  }
  return {};
}

// Why `doc` cannot be issued (P4f), or nullopt.
std::optional<ErrorDetail> finalization_problem(const Invoice& doc) {
  if (doc.lines.empty()) return ErrorDetail{"no_lines", "an invoice needs at least one line to be finalized", "lines"};
  if (doc.total < 0) {
    return ErrorDetail{"negative_total",
                       fmt::format("the total is {} {}; a negative amount is a credit note, not an invoice",
                                   core::to_major_string(doc.total, doc.currency), doc.currency),
                       "total"};
  }
  if (doc.kind == InvoiceKind::proforma && doc.amount_due == 0) {
    return ErrorDetail{"nothing_due", "a proforma must ask for a positive amount", "total"};
  }
  if (doc.collection_method == CollectionMethod::send_invoice && !doc.due_date && !doc.days_until_due) {
    return ErrorDetail{"missing_due_date", "an invoice sent for manual payment needs due_date or days_until_due",
                       "days_until_due"};
  }
  return std::nullopt;
}

// P4's effects: the number, the finalization time, and the due date for send_invoice documents.
void issue(Invoice& doc, const std::string& number, int64_t now) {
  doc.status = S::open;
  doc.number = doc.kind == InvoiceKind::invoice ? std::optional<std::string>(number) : std::nullopt;
  doc.finalized_at = now;
  doc.last_finalization_error.reset();
  if (!doc.due_date && doc.days_until_due) doc.due_date = now + *doc.days_until_due * kSecondsPerDay;
}

// P8's effects: nothing is left to pay.
void settle(Invoice& doc, int64_t now, std::optional<PaidVia> via) {
  doc.status = S::paid;
  doc.paid_at = now;
  doc.payment_status = PaymentStatus::succeeded;
  doc.next_payment_attempt.reset();
  if (via) doc.paid_via = via;
}

// The settle step that follows another step in the same command when amount_remaining reached 0.
void settle_step(EventLog& log, Invoice& doc, int64_t now, std::optional<PaidVia> via) {
  const Invoice before = doc;
  settle(doc, now, via);
  std::vector<std::string_view> types;
  if (before.payment_status != doc.payment_status) types.push_back("invoice.payment_status_updated");
  types.push_back(paid_event(doc));
  log.step(&before, doc, types);
}

// --- commands --------------------------------------------------------------------------------------

core::Result<Transition> handle(const Invoice& before, const UpdateDraft& c, int64_t) {
  Invoice after = before;
  if (c.lines) after.lines = *c.lines;
  if (c.discount_bps) after.discount_bps = *c.discount_bps;
  if (c.description) after.description = *c.description;
  if (c.metadata) after.metadata = *c.metadata;
  if (c.collection_method) after.collection_method = *c.collection_method;
  if (c.days_until_due) after.days_until_due = *c.days_until_due;
  if (c.payment_method_id) after.payment_method_id = *c.payment_method_id;
  if (auto status = prepare(after); !status) return std::move(status).error();
  EventLog log;
  if (after != before) log.step(&before, after, {"invoice.updated"});
  return Transition{.invoice = std::move(after), .events = log.take()};
}

core::Result<Transition> handle(const Invoice& before, const RefreshDraft& c, int64_t) {
  Invoice after = before;
  after.lines = c.lines;
  if (auto status = prepare(after); !status) return std::move(status).error();
  EventLog log;
  log.step(&before, after, {"invoice.refreshed"});  // a refresh is news even when nothing moved
  return Transition{.invoice = std::move(after), .events = log.take()};
}

core::Result<Transition> handle(const Invoice& before, const Finalize& c, int64_t now) {
  if (auto status = check_number(before, c.number); !status) return std::move(status).error();
  Invoice after = before;
  EventLog log;
  if (std::optional<ErrorDetail> problem = finalization_problem(before)) {
    after.last_finalization_error = *problem;
    log.step(&before, after, {"invoice.finalization_failed"});
    return Transition{.invoice = std::move(after),
                      .events = log.take(),
                      .refusal = core::Error::invalid("finalization_failed", problem->message, problem->param)};
  }
  issue(after, c.number, now);
  // The catalog has no proforma.finalized, and invoice.finalized requires the number a proforma lacks.
  log.step(&before, after, {after.kind == InvoiceKind::invoice ? "invoice.finalized" : "invoice.updated"});
  if (after.kind == InvoiceKind::invoice && after.amount_remaining == 0) settle_step(log, after, now, std::nullopt);
  return Transition{.invoice = std::move(after), .events = log.take()};
}

core::Result<Transition> handle(const Invoice& before, const DeleteDraft&, int64_t) {
  Invoice after = before;
  after.status = S::deleted;
  EventLog log;
  log.step(&before, after, {"invoice.deleted"});
  return Transition{.invoice = std::move(after), .events = log.take()};
}

core::Result<Transition> handle(const Invoice& before, const Void&, int64_t now) {
  if (const int64_t net = before.amount_paid - before.amount_refunded; net > 0) {
    return core::Error::conflict(
        "invoice_has_payments",
        fmt::format("cannot void {}: {} {} paid is not refunded; refund it or issue a credit note instead",
                    describe(before), core::to_major_string(net, before.currency), before.currency));
  }
  if (before.credit_notes_outstanding > 0) {
    return core::Error::conflict(
        "invoice_has_credit_notes",
        fmt::format("cannot void {}: {} credit note(s) against it are not voided; void them first",
                    describe(before), before.credit_notes_outstanding));
  }
  Invoice after = before;
  after.status = S::void_;
  after.voided_at = now;
  after.next_payment_attempt.reset();
  EventLog log;
  log.step(&before, after, {voided_event(after)});
  return Transition{.invoice = std::move(after), .events = log.take()};
}

core::Result<Transition> handle(const Invoice& before, const MarkUncollectible&, int64_t) {
  Invoice after = before;
  after.status = S::uncollectible;
  after.next_payment_attempt.reset();  // collection stops; a payment can still arrive
  EventLog log;
  log.step(&before, after, {"invoice.marked_uncollectible"});
  return Transition{.invoice = std::move(after), .events = log.take()};
}

core::Result<Transition> handle(const Invoice& before, const Duplicate& c, int64_t now) {
  if (c.new_id.empty()) return missing("a duplicate needs the id of the new document", "new_id");
  if (c.new_id == before.id) return bad("the duplicate needs an id of its own", "new_id");
  Invoice copy = before;
  start_afresh(copy, now);
  copy.id = c.new_id;
  copy.duplicated_from = before.id;
  copy.converted_from.reset();
  copy.due_date.reset();  // a fixed due date belonged to the original issue; days_until_due carries over
  if (auto status = prepare(copy); !status) return std::move(status).error();
  Invoice after = before;
  after.duplicated_to = c.new_id;
  EventLog log;
  log.step(nullptr, copy, {created_event(copy)});  // first: invoice.duplicated names the copy
  log.step(&before, after, {"invoice.duplicated"});
  return Transition{.invoice = std::move(after), .spawned = std::move(copy), .events = log.take()};
}

core::Result<Transition> handle(const Invoice& before, const UpdateDueDate& c, int64_t) {
  if (c.due_date < 0) return bad("due_date must be a unix time in seconds", "due_date");
  if (before.due_date == c.due_date) return Transition{.invoice = before};
  Invoice after = before;
  after.previous_due_date = before.due_date;
  after.due_date = c.due_date;
  EventLog log;
  log.step(&before, after, {"invoice.due_date_updated"});
  return Transition{.invoice = std::move(after), .events = log.take()};
}

core::Result<Transition> handle(const Invoice& before, const Adjust& c, int64_t now) {
  if (c.lines.empty()) return missing("an adjustment needs at least one line", "lines");
  Invoice after = before;
  after.lines.insert(after.lines.end(), c.lines.begin(), c.lines.end());
  if (auto status = prepare(after); !status) {
    core::Error error = std::move(status).error();
    // Name the adjustment's own line, not its position in the combined list.
    if (error.param.starts_with("lines.")) {
      const size_t dot = error.param.find('.', 6);
      const size_t index = std::stoul(error.param.substr(6, dot - 6));
      if (index >= before.lines.size()) {
        error.param = fmt::format("lines.{}{}", index - before.lines.size(),
                                  dot == std::string::npos ? "" : error.param.substr(dot));
      }
    }
    return error;
  }
  if (after.total < 0) {
    return bad(fmt::format("the adjustment would make the total {} {}; issue a credit note instead",
                           core::to_major_string(after.total, after.currency), after.currency),
               "lines");
  }
  if (after.amount_paid > after.amount_due) {
    return bad(fmt::format("the adjustment would make the amount due {} {}, less than the {} {} already paid",
                           core::to_major_string(after.amount_due, after.currency), after.currency,
                           core::to_major_string(after.amount_paid, after.currency), after.currency),
               "lines");
  }
  EventLog log;
  log.step(&before, after, {"invoice.adjusted"});
  if (after.amount_remaining == 0) settle_step(log, after, now, std::nullopt);
  return Transition{.invoice = std::move(after), .events = log.take()};
}

core::Status check_payment(const Invoice& doc, const PaymentReceived& payment) {
  if (payment.payment_id.empty()) return missing("a payment needs its id", "payment_id");
  if (payment.amount <= 0) {
    return bad(fmt::format("a payment amount must be positive, got {}", payment.amount), "amount");
  }
  if (auto exponent = core::currency_exponent(payment.currency); !exponent) return std::move(exponent).error();
  if (payment.currency != doc.currency) {
    return core::Error::invalid(
        "currency_mismatch",
        fmt::format("the payment is in {} but the invoice is in {}", payment.currency, doc.currency), "currency");
  }
  return {};
}

// The tax invoice a settled proforma becomes (P8p), as first issued (open, nothing paid yet).
Invoice converted_invoice(const Invoice& proforma, const RecordPayment& c, int64_t now) {
  Invoice doc = proforma;
  start_afresh(doc, now);
  doc.id = c.converted_invoice_id;
  doc.kind = InvoiceKind::invoice;
  doc.duplicated_from.reset();
  doc.converted_from = proforma.id;
  // Credit granted on the proforma (proforma.credited) lowered what was paid; the tax invoice keeps it.
  doc.amount_credited = proforma.amount_credited;
  doc.status = S::open;
  doc.number = c.converted_invoice_number;
  doc.finalized_at = now;
  return doc;
}

// A10–A13 and P8/P8p: money arrived on an open or uncollectible document.
core::Result<Transition> receive(const Invoice& before, const PaymentReceived& payment,
                                 const RecordPayment* conversion, int64_t now) {
  if (auto status = check_payment(before, payment); !status) return std::move(status).error();
  Invoice after = before;
  auto paid = core::checked_add(before.amount_paid, payment.amount);
  if (!paid) {
    core::Error error = std::move(paid).error();
    error.param = "amount";
    return error;
  }
  after.amount_paid = *paid;
  after.attempt_count += 1;
  after.payment = PaymentRecord{.id = payment.payment_id,
                                .amount = payment.amount,
                                .currency = payment.currency,
                                .status = PaymentAttemptStatus::succeeded,
                                .payment_method_id = payment.payment_method_id,
                                .payment_method_type = payment.payment_method_type,
                                .fallback = payment.fallback,
                                .captured = true,
                                .attempt = after.attempt_count,
                                .created = now,
                                .paid_at = now,
                                .card = payment.card};
  if (auto status = compute_totals(after); !status) return std::move(status).error();

  const bool settles = after.amount_remaining == 0;
  const bool converts = settles && before.kind == InvoiceKind::proforma;
  if (converts) {
    assert(conversion != nullptr);
    if (conversion->converted_invoice_id.empty()) {
      return missing("this payment settles a proforma: name the tax invoice it converts into",
                     "converted_invoice_id");
    }
    if (conversion->converted_invoice_id == before.id) {
      return bad("the tax invoice needs an id other than the proforma's", "converted_invoice_id");
    }
    if (conversion->converted_invoice_number.empty()) {
      return missing("this payment settles a proforma: the tax invoice needs its legal number",
                     "converted_invoice_number");
    }
  }

  std::vector<std::string_view> types = {"invoice.payment_succeeded"};
  if (payment.fallback) types.push_back("invoice.paid_with_fallback_method");
  EventLog log;
  Transition transition;
  if (!settles) {
    after.payment_status = PaymentStatus::partially_paid;
    types.push_back("invoice.partially_paid");
    if (before.payment_status != after.payment_status) types.push_back("invoice.payment_status_updated");
    log.step(&before, after, types);
  } else if (!converts) {
    settle(after, now, payment.paid_via);
    types.push_back("invoice.payment_status_updated");
    types.push_back(paid_event(after));
    if (after.amount_overpaid > before.amount_overpaid) types.push_back("invoice.overpaid");
    log.step(&before, after, types);
  } else {
    settle(after, now, payment.paid_via);
    after.status = S::converted;
    after.converted_to = conversion->converted_invoice_id;
    types.push_back("invoice.payment_status_updated");
    log.step(&before, after, types);

    Invoice issued = converted_invoice(after, *conversion, now);
    if (auto status = compute_totals(issued); !status) return std::move(status).error();
    log.step(nullptr, issued, {created_event(issued), "invoice.finalized"});
    Invoice settled = issued;
    settled.amount_paid = after.amount_paid;
    settled.attempt_count = after.attempt_count;
    settled.payment = after.payment;
    if (auto status = compute_totals(settled); !status) return std::move(status).error();
    settle(settled, now, payment.paid_via);
    std::vector<std::string_view> settled_types = {paid_event(settled)};
    // invoice.overpaid describes a paid invoice, which the converted proforma is not.
    if (settled.amount_overpaid > 0) settled_types.push_back("invoice.overpaid");
    log.step(&issued, settled, settled_types);
    log.step(&before, after, {"proforma.converted"});
    transition.spawned = std::move(settled);
  }
  transition.overpayment = after.amount_overpaid - before.amount_overpaid;
  transition.invoice = std::move(after);
  transition.events = log.take();
  return transition;
}

core::Result<Transition> handle(const Invoice& before, const RecordPayment& c, int64_t now) {
  return receive(before, c.payment, &c, now);
}

core::Result<Transition> handle(const Invoice& before, const PayFromUncollectible& c, int64_t now) {
  return receive(before, c.payment, nullptr, now);
}

}  // namespace

CommandKind kind_of(const Command& command) { return static_cast<CommandKind>(command.index()); }

std::string_view to_string(CommandKind kind) {
  const auto index = static_cast<size_t>(kind);
  return index < kCommandNames.size() ? kCommandNames[index] : std::string_view{"unknown"};
}

std::span<const TransitionRule> transition_table() { return kTable; }

const TransitionRule& rule_for(CommandKind command) {
  const auto index = static_cast<size_t>(command);
  assert(index < kTable.size());
  return kTable[index];
}

bool allows(InvoiceStatus status, InvoiceKind kind, CommandKind command) {
  const TransitionRule& rule = rule_for(command);
  return rule.from.contains(status) && (rule.proforma_allowed || kind != InvoiceKind::proforma);
}

core::Result<Transition> create(const Create& command, int64_t now) {
  Invoice doc = command.document;
  start_afresh(doc, now);
  if (auto status = prepare(doc); !status) return std::move(status).error();
  EventLog log;
  if (!command.issued) {
    if (!command.number.empty()) return bad("the number is assigned on finalization; omit it for a draft", "number");
    log.step(nullptr, doc, {created_event(doc)});
    return Transition{.invoice = std::move(doc), .events = log.take()};
  }
  if (auto status = check_number(doc, command.number); !status) return std::move(status).error();
  if (std::optional<ErrorDetail> problem = finalization_problem(doc)) {
    // Nothing exists yet to record the failure on, so it is a plain error.
    return core::Error::invalid("finalization_failed", problem->message, problem->param);
  }
  issue(doc, command.number, now);
  std::vector<std::string_view> types = {created_event(doc)};
  if (doc.kind == InvoiceKind::invoice) types.push_back("invoice.finalized");
  log.step(nullptr, doc, types);
  if (doc.kind == InvoiceKind::invoice && doc.amount_remaining == 0) settle_step(log, doc, now, std::nullopt);
  return Transition{.invoice = std::move(doc), .events = log.take()};
}

core::Result<Transition> apply(const Invoice& before, const Command& command, int64_t now) {
  const CommandKind kind = kind_of(command);
  if (!allows(before.status, before.kind, kind)) return refused(before, kind);
  auto result = std::visit([&](const auto& c) { return handle(before, c, now); }, command);
  assert(!result || rule_for(kind).to.contains(result->invoice.status));
  return result;
}

}  // namespace billhook::billing
