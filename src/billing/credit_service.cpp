#include "billing/credit_service.hpp"

#include <algorithm>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "billing/billing_documents.hpp"
#include "billing/codec.hpp"
#include "billing/previous_attributes.hpp"
#include "billing/wallet_ledger.hpp"
#include "core/money.hpp"

namespace billhook::billing {
namespace {

namespace json = boost::json;
using core::Error;
using core::Result;
using core::Status;

constexpr int64_t kEvidenceWindowDays = 7;

bool issued(const Invoice& i) { return i.status == InvoiceStatus::open || i.status == InvoiceStatus::uncollectible; }

std::string money(int64_t minor, const std::string& currency) {
  return fmt::format("{} {}", core::to_major_string(minor, currency), currency);
}

template <class T, class Decode>
Result<std::vector<T>> load_documents(store::WriteTx& tx, store::DocumentFilter filter, Decode decode) {
  auto records = tx.find_documents(filter);
  if (!records) return std::move(records).error();
  std::vector<T> out;
  for (const auto& r : *records) {
    auto doc = decode(r.body);
    if (!doc) return std::move(doc).error();
    out.push_back(std::move(*doc));
  }
  return out;
}

Result<std::vector<Refund>> refunds_of(store::WriteTx& tx, const std::string& invoice_id) {
  return load_documents<Refund>(tx, {.kind = std::string(kRefunds.kind), .parent_id = invoice_id},
                                [](std::string_view body) { return kRefunds.decode(body); });
}
Result<std::vector<Dispute>> disputes_of(store::WriteTx& tx, const std::string& invoice_id) {
  return load_documents<Dispute>(tx, {.kind = std::string(kDisputes.kind), .parent_id = invoice_id},
                                 [](std::string_view body) { return kDisputes.decode(body); });
}
Result<std::vector<CreditNote>> credit_notes_of(store::WriteTx& tx, const std::string& invoice_id) {
  return load_documents<CreditNote>(tx, {.kind = std::string(kCreditNotes.kind), .parent_id = invoice_id},
                                    [](std::string_view body) { return kCreditNotes.decode(body); });
}

json::object with(json::object object, const json::object& extra) {
  for (const auto& field : extra) object[field.key()] = field.value();
  return object;
}

// The sandbox card a stored method stands for (billhook keeps no card numbers), or "" for none.
Result<std::string> card_number_of(store::WriteTx& tx, const std::string& method_id) {
  auto found = stored::find_payment_method(tx, method_id);
  if (!found) return std::move(found).error();
  if (!*found) return std::string();
  const auto& method = *found;
  if (!method->card) return std::string();
  auto card = sandbox_card_by_last4(method->card->last4);
  return card ? card->number : std::string();
}

// A refund's or dispute's free-text reason (Stripe's words) as the note's reason; the text itself is
// kept as the memo when it is not one of the note's reasons, so nothing the caller said is lost.
struct NoteReason {
  CreditNoteReason reason = CreditNoteReason::other;
  std::optional<std::string> memo;
};
NoteReason note_reason(const std::optional<std::string>& text) {
  if (!text) return {};
  if (auto parsed = core::described::parse<CreditNoteReason>(*text)) return {*parsed, std::nullopt};
  if (*text == "duplicate") return {CreditNoteReason::duplicated_charge, text};
  if (*text == "fraudulent") return {CreditNoteReason::fraudulent_charge, text};
  if (*text == "product_unacceptable" || *text == "product_not_received")
    return {CreditNoteReason::product_unsatisfactory, text};
  return {CreditNoteReason::other, text};
}

Error invoice_refuses(const Invoice& invoice, std::string_view what) {
  return Error::conflict("invalid_transition",
                         fmt::format("cannot {} invoice {}: it is {}", what, invoice.id, to_string(invoice.status)));
}

}  // namespace

// --- shared ----------------------------------------------------------------------------------------

Status CreditService::save(store::WriteTx& tx, const Refund& refund, bool is_new) {
  return is_new ? kRefunds.insert(tx, refund, refund.id, refund.created * 1000) : kRefunds.update(tx, refund, refund.id);
}

Status CreditService::save(store::WriteTx& tx, const Dispute& dispute, bool is_new) {
  return is_new ? kDisputes.insert(tx, dispute, dispute.id, dispute.created * 1000)
                : kDisputes.update(tx, dispute, dispute.id);
}

Status CreditService::save(store::WriteTx& tx, const CreditNote& note, bool is_new) {
  return is_new ? kCreditNotes.insert(tx, note, note.id, note.created * 1000) : kCreditNotes.update(tx, note, note.id);
}

Status CreditService::invoice_event(store::WriteTx& tx, const std::string& type, const Invoice& before,
                                    const Invoice& after, const json::object& extra, const Origin& origin) {
  const json::object object = to_json(after);
  return billing_.append(tx, type, "invoice", after.id, with(object, extra),
                         previous_attributes(to_json(before), object), origin);
}

Status CreditService::settle_if_credited(store::WriteTx& tx, Invoice& invoice, const Origin& origin, PaidVia via) {
  if (!issued(invoice) || invoice.amount_remaining > 0) return {};
  const Invoice before = invoice;
  invoice.status = InvoiceStatus::paid;
  invoice.paid_at = billing_.now_s();
  invoice.payment_status = PaymentStatus::succeeded;
  invoice.next_payment_attempt.reset();
  if (invoice.amount_paid == 0) invoice.paid_via = via;
  if (before.payment_status != invoice.payment_status) {
    if (auto s = invoice_event(tx, "invoice.payment_status_updated", before, invoice, {}, origin); !s) return s;
  }
  return invoice_event(tx, "invoice.paid", before, invoice, {}, origin);
}

Result<InvoiceMoney> CreditService::money_of(store::WriteTx& tx, const Invoice& invoice) {
  auto refunds = refunds_of(tx, invoice.id);
  if (!refunds) return std::move(refunds).error();
  auto disputes = disputes_of(tx, invoice.id);
  if (!disputes) return std::move(disputes).error();
  auto notes = credit_notes_of(tx, invoice.id);
  if (!notes) return std::move(notes).error();
  // In the transaction: a payment it recorded a moment ago counts.
  auto rows = tx.find_documents({.kind = std::string(stored::kPayment), .parent_id = invoice.id});
  if (!rows) return std::move(rows).error();

  InvoiceMoney out;
  for (const auto& row : *rows) {
    auto payment = decode_payment(row.body);
    if (!payment) return std::move(payment).error();
    if (payment->status != PaymentAttemptStatus::succeeded) continue;
    int64_t left = payment->amount;
    for (const auto& r : *refunds)
      if (counts_as_refunded(r))
        for (const auto& a : r.allocations)
          if (a.payment == row.id) left -= a.amount;
    for (const auto& d : *disputes)
      if (holds_money(d) && d.payment == row.id) left -= d.amount;
    out.payments.push_back({row.id, std::max<int64_t>(0, left)});
    if (payment->payment_method_id) out.methods[row.id] = *payment->payment_method_id;
  }
  int64_t returnable = invoice.amount_paid - invoice.amount_refunded - invoice.amount_overpaid;
  for (const auto& n : *notes)
    if (n.status == CreditNoteStatus::issued) returnable -= n.credit_amount + n.out_of_band_amount;
  for (const auto& d : *disputes)
    if (holds_money(d)) returnable -= d.amount;
  out.returnable = std::max<int64_t>(0, returnable);
  return out;
}

// --- refunds ---------------------------------------------------------------------------------------

Result<Refund> CreditService::create_refund(store::WriteTx& tx, std::string_view invoice_id,
                                            const RefundCreate& request, const Origin& origin) {
  auto invoice = billing_.load_invoice(tx, invoice_id);
  if (!invoice) return std::move(invoice).error();
  if (!issued(*invoice) && invoice->status != InvoiceStatus::paid) return invoice_refuses(*invoice, "refund");
  auto money_left = money_of(tx, *invoice);
  if (!money_left) return std::move(money_left).error();
  if (request.amount && *request.amount <= 0)
    return Error::invalid("parameter_invalid",
                          fmt::format("'amount' must be positive (minor units), got {}", *request.amount), "amount");
  if (money_left->returnable == 0) {
    return Error::conflict("nothing_to_refund",
                           fmt::format("invoice {} has nothing left to refund: paid {}, refunded {}, on the customer's "
                                       "balance or disputed the rest",
                                       invoice->id, money(invoice->amount_paid, invoice->currency),
                                       money(invoice->amount_refunded, invoice->currency)));
  }
  const int64_t amount = request.amount.value_or(money_left->returnable);
  if (amount > money_left->returnable) {
    return Error::conflict(
        "refund_exceeds_paid",
        fmt::format("a refund of {} is more than the {} invoice {} can still give back (paid {}, refunded {})",
                    money(amount, invoice->currency), money(money_left->returnable, invoice->currency), invoice->id,
                    money(invoice->amount_paid, invoice->currency), money(invoice->amount_refunded, invoice->currency)),
        "amount");
  }
  // Money going back is a credit note whose refund part is this refund (Lago's model, Ezypay's
  // "credit note … usually a refund"): credit_note.created, the refund, then credit_note.paid or
  // credit_note.refund_failed — every profile sees the same story.
  auto note = money_returned_note(tx, *invoice, amount, request.reason);
  if (!note) return std::move(note).error();
  if (auto s = billing_.append(tx, "credit_note.created", "credit_note", note->id, kCreditNotes.api_json(*note), {},
                               origin);
      !s)
    return std::move(s).error();
  auto refund = refund_note(tx, *invoice, *money_left, *note, origin);
  if (!refund) return std::move(refund).error();
  if (auto s = save(tx, *note, true); !s) return std::move(s).error();
  return refund;
}

Result<CreditNote> CreditService::money_returned_note(store::WriteTx& tx, const Invoice& invoice, int64_t amount,
                                                      const std::optional<std::string>& reason) {
  auto existing = credit_notes_of(tx, invoice.id);
  if (!existing) return std::move(existing).error();
  const NoteReason why = note_reason(reason);
  return CreditNote{.id = billing_.ids().next(core::IdKind::credit_note),
                    .number = fmt::format("{}-CN-{:02}", invoice.number.value_or(invoice.id), existing->size() + 1),
                    .invoice = invoice.id,
                    .customer = invoice.customer_id,
                    .currency = invoice.currency,
                    .status = CreditNoteStatus::issued,
                    .refund_status = CreditRefundStatus::pending,
                    .reason = why.reason,
                    .memo = why.memo,
                    .total = amount,
                    .refund_amount = amount,
                    .explicit_split = true,
                    .records_return = true,
                    .created = billing_.now_s()};
}

Result<Refund> CreditService::refund_note(store::WriteTx& tx, Invoice& invoice, const InvoiceMoney& money_left,
                                          CreditNote& note, const Origin& origin) {
  auto refund = run_refund(tx, invoice, money_left, note.refund_amount,
                           std::string(core::described::name_of(note.reason)), note.id, origin);
  if (!refund) return std::move(refund).error();
  note.refund = refund->id;
  const json::object was = kCreditNotes.api_json(note);
  if (counts_as_refunded(*refund)) {
    note.refund_status = CreditRefundStatus::succeeded;
    note.refunded_at = billing_.now_s();
    const json::object object = kCreditNotes.api_json(note);
    if (auto s = billing_.append(tx, "credit_note.paid", "credit_note", note.id, object,
                                 previous_attributes(was, object), origin);
        !s)
      return std::move(s).error();
    return refund;
  }
  note.refund_status = CreditRefundStatus::failed;
  note.refund_error = CreditNoteRefundError{.code = refund->failure_code.value_or("refund_failed"),
                                            .message = refund->failure_message.value_or(""),
                                            .param = std::nullopt};
  const json::object object = kCreditNotes.api_json(note);
  if (auto s = billing_.append(tx, "credit_note.refund_failed", "credit_note", note.id, object,
                               previous_attributes(was, object), origin);
      !s)
    return std::move(s).error();
  return refund;
}

Result<Refund> CreditService::run_refund(store::WriteTx& tx, Invoice& invoice, const InvoiceMoney& money_left,
                                         int64_t amount, std::optional<std::string> reason,
                                         std::optional<std::string> credit_note_id, const Origin& origin) {
  // Payments are read from committed data; one recorded by a transaction committing in the same group
  // as this one is not visible yet. The invoice's own figures already allowed the amount, so ask for a
  // retry rather than refuse it.
  int64_t visible = 0;
  for (const auto& p : money_left.payments) visible += p.refundable;
  if (visible < amount)
    return Error::unavailable(
        fmt::format("a payment of invoice {} is still being recorded; retry the refund", invoice.id));
  auto allocations = allocate_refund(money_left.payments, amount, invoice.currency);
  if (!allocations) return std::move(allocations).error();
  const int64_t now = billing_.now_s();
  Refund refund{.id = billing_.ids().next(core::IdKind::refund),
                .amount = amount,
                .currency = invoice.currency,
                .status = RefundStatus::pending,
                .reason = std::move(reason),
                .invoice = invoice.id,
                .customer = invoice.customer_id,
                .credit_note = std::move(credit_note_id),
                .allocations = std::move(*allocations),
                .created = now};
  set_payment(refund);
  if (auto s = invoice_event(tx, "invoice.refund_requested", invoice, invoice, {{"refund", kRefunds.api_json(refund)}}, origin);
      !s)
    return std::move(s).error();

  // Each part goes back through its own payment; one declined part fails the whole refund, and the
  // parts already accepted are withdrawn.
  std::optional<RefundResult> declined;
  // The latest part's confirmation delay, when every part is confirmed without a call back.
  bool confirms_itself = true;
  int64_t confirms_after = 0;
  for (auto& allocation : refund.allocations) {
    RefundRequest part{.refund_id = refund.id,
                       .payment_id = allocation.payment,
                       .amount = allocation.amount,
                       .currency = refund.currency,
                       .card_number = {}};
    if (auto it = money_left.methods.find(allocation.payment); it != money_left.methods.end()) {
      auto card = card_number_of(tx, it->second);
      if (!card) return std::move(card).error();
      part.card_number = std::move(*card);
    }
    auto result = billing_.processor().refund(part);
    if (!result.accepted) {
      declined = std::move(result);
      break;
    }
    if (!result.processor_reference.empty()) allocation.processor_reference = result.processor_reference;
    if (result.confirms_after_seconds) confirms_after = std::max(confirms_after, *result.confirms_after_seconds);
    else confirms_itself = false;
  }
  const Invoice before = invoice;
  if (declined) {
    for (auto& allocation : refund.allocations) {
      if (!allocation.processor_reference) continue;
      billing_.processor().cancel_refund(*allocation.processor_reference);
      allocation.processor_reference.reset();
    }
    refund.status = RefundStatus::failed;
    if (refund.allocations.size() > 1) {
      refund.failure_code = "prorata_allocation_failed";
      refund.failure_message = fmt::format("the refund was spread over {} payments and one part was declined: {}",
                                           refund.allocations.size(), declined->failure_message);
    } else {
      refund.failure_code = declined->failure_code;
      refund.failure_message = declined->failure_message;
    }
    if (auto s = save(tx, refund, true); !s) return std::move(s).error();
    if (auto s = invoice_event(tx, "invoice.refund_failed", before, invoice, {{"refund", kRefunds.api_json(refund)}}, origin);
        !s)
      return std::move(s).error();
    return refund;
  }
  refund.status = RefundStatus::processing;
  refund.refunded_at = now;
  if (confirms_itself) refund.confirms_at = now + confirms_after;
  auto refunded = core::checked_add(invoice.amount_refunded, amount);
  if (!refunded) return std::move(refunded).error();
  invoice.amount_refunded = *refunded;
  if (invoice.status == InvoiceStatus::paid)
    invoice.payment_status =
        invoice.amount_refunded >= invoice.amount_paid ? PaymentStatus::refunded : PaymentStatus::partially_refunded;
  if (auto s = save(tx, refund, true); !s) return std::move(s).error();
  if (auto s = billing_.save_invoice(tx, invoice, false); !s) return std::move(s).error();
  if (auto s = invoice_event(tx, "invoice.refunded", before, invoice, {{"refund", kRefunds.api_json(refund)}}, origin); !s)
    return std::move(s).error();
  return refund;
}

Result<Refund> CreditService::confirm_refund(store::WriteTx& tx, std::string_view refund_id, const Origin& origin) {
  auto found = kRefunds.find(tx, refund_id);
  if (!found) return std::move(found).error();
  if (!*found) return kRefunds.not_found(refund_id);
  auto& refund = *found;
  if (refund->status != RefundStatus::processing) {
    return Error::conflict("invalid_transition",
                           fmt::format("cannot confirm refund {}: it is {}; only a refund the processor accepted "
                                       "(processing) is confirmed",
                                       refund->id, core::described::name_of(refund->status)));
  }
  auto invoice = billing_.load_invoice(tx, refund->invoice);
  if (!invoice) return std::move(invoice).error();
  refund->status = RefundStatus::succeeded;
  refund->confirmed_at = billing_.now_s();
  refund->confirms_at.reset();
  if (auto s = save(tx, *refund, false); !s) return std::move(s).error();
  if (auto s = invoice_event(tx, "invoice.refund_confirmed", *invoice, *invoice, {{"refund", kRefunds.api_json(*refund)}},
                             origin);
      !s)
    return std::move(s).error();
  return std::move(*refund);
}

Result<bool> CreditService::on_refund_wake(store::WriteTx& tx, const Wake& wake) {
  auto found = kRefunds.find(tx, wake.id);
  if (!found) return std::move(found).error();
  if (!*found) return false;
  auto& refund = *found;
  if (refund->status != RefundStatus::processing || !refund->confirms_at || *refund->confirms_at > billing_.now_s()) {
    if (refund->status != RefundStatus::processing) refund->confirms_at.reset();
    if (auto s = save(tx, *refund, false); !s) return std::move(s).error();  // its wake_at, set straight
    return false;
  }
  auto confirmed = confirm_refund(tx, wake.id, Origin{});
  if (!confirmed) return std::move(confirmed).error();
  return false;
}

// --- disputes --------------------------------------------------------------------------------------

Result<Dispute> CreditService::open_dispute(store::WriteTx& tx, std::string_view invoice_id,
                                            const DisputeOpen& request, const Origin& origin) {
  auto invoice = billing_.load_invoice(tx, invoice_id);
  if (!invoice) return std::move(invoice).error();
  if (!issued(*invoice) && invoice->status != InvoiceStatus::paid) return invoice_refuses(*invoice, "dispute");
  if (request.amount && *request.amount <= 0)
    return Error::invalid("parameter_invalid",
                          fmt::format("'amount' must be positive (minor units), got {}", *request.amount), "amount");
  auto money_left = money_of(tx, *invoice);
  if (!money_left) return std::move(money_left).error();
  const RefundablePayment* payment = nullptr;
  for (const auto& p : money_left->payments) {
    if (request.payment_id ? p.payment_id == *request.payment_id : p.refundable > 0) payment = &p;
  }
  if (!payment) {
    if (request.payment_id)
      return Error::invalid("resource_missing",
                            fmt::format("invoice {} has no succeeded payment '{}'", invoice->id, *request.payment_id),
                            "payment");
    return Error::conflict("nothing_to_dispute",
                           fmt::format("invoice {} has no payment with money left to dispute", invoice->id));
  }
  const int64_t amount = request.amount.value_or(payment->refundable);
  if (amount <= 0 || amount > payment->refundable) {
    return Error::conflict("dispute_exceeds_payment",
                           fmt::format("payment {} has {} that is neither refunded nor disputed; a dispute of {} is "
                                       "more than that",
                                       payment->payment_id, money(payment->refundable, invoice->currency),
                                       money(amount, invoice->currency)),
                           "amount");
  }
  const int64_t now = billing_.now_s();
  Dispute dispute{.id = billing_.ids().next(core::IdKind::dispute),
                  .amount = amount,
                  .currency = invoice->currency,
                  .status = DisputeStatus::needs_response,
                  .reason = request.reason,
                  .payment = payment->payment_id,
                  .invoice = invoice->id,
                  .customer = invoice->customer_id,
                  .evidence_due_by = now + kEvidenceWindowDays * kSecondsPerDay,
                  .created = now};
  if (auto s = save(tx, dispute, true); !s) return std::move(s).error();
  if (auto s = invoice_event(tx, "invoice.dispute_opened", *invoice, *invoice, {{"dispute", kDisputes.api_json(dispute)}},
                             origin);
      !s)
    return std::move(s).error();
  return dispute;
}

Result<Dispute> CreditService::close_dispute(store::WriteTx& tx, std::string_view dispute_id, DisputeStatus outcome,
                                             const Origin& origin) {
  if (outcome != DisputeStatus::won && outcome != DisputeStatus::lost)
    return Error::invalid("parameter_invalid", "a dispute closes as \"won\" or \"lost\"", "status");
  auto found = kDisputes.find(tx, dispute_id);
  if (!found) return std::move(found).error();
  if (!*found) return kDisputes.not_found(dispute_id);
  auto& dispute = *found;
  if (dispute->status == DisputeStatus::won || dispute->status == DisputeStatus::lost) {
    return Error::conflict("invalid_transition", fmt::format("cannot close dispute {}: it was already {}",
                                                             dispute->id, core::described::name_of(dispute->status)));
  }
  auto invoice = billing_.load_invoice(tx, dispute->invoice);
  if (!invoice) return std::move(invoice).error();
  const Invoice before = *invoice;
  const int64_t now = billing_.now_s();
  dispute->status = outcome;
  dispute->closed_at = now;
  if (auto s = save(tx, *dispute, false); !s) return std::move(s).error();
  if (outcome == DisputeStatus::lost && !invoice->dispute_lost_at) {
    invoice->dispute_lost_at = now;
    if (auto s = billing_.save_invoice(tx, *invoice, false); !s) return std::move(s).error();
  }
  const std::string type = outcome == DisputeStatus::won ? "invoice.dispute_won" : "invoice.dispute_lost";
  if (auto s = invoice_event(tx, type, before, *invoice, {{"dispute", kDisputes.api_json(*dispute)}}, origin); !s)
    return std::move(s).error();
  if (outcome == DisputeStatus::lost) {
    // The card network gave the money back: a credit note whose refund part it paid, created then paid
    // as a refund's note is. No refund runs (the money is gone already), and what the invoice can still
    // give back already leaves the lost dispute out (money_of), so nothing is counted twice.
    auto note = money_returned_note(tx, *invoice, dispute->amount, dispute->reason);
    if (!note) return std::move(note).error();
    note->dispute = dispute->id;
    if (auto s = billing_.append(tx, "credit_note.created", "credit_note", note->id, kCreditNotes.api_json(*note), {},
                                 origin);
        !s)
      return std::move(s).error();
    const json::object was = kCreditNotes.api_json(*note);
    note->refund_status = CreditRefundStatus::succeeded;
    note->refunded_at = now;
    const json::object object = kCreditNotes.api_json(*note);
    if (auto s = billing_.append(tx, "credit_note.paid", "credit_note", note->id, object,
                                 previous_attributes(was, object), origin);
        !s)
      return std::move(s).error();
    if (auto s = save(tx, *note, true); !s) return std::move(s).error();
  }
  return std::move(*dispute);
}

// --- credit notes ----------------------------------------------------------------------------------

struct CreditService::Prepared {
  Invoice invoice;
  InvoiceMoney money;
  CreditSplit split;
  size_t existing_notes = 0;
};

Result<CreditService::Prepared> CreditService::prepare(store::WriteTx& tx, const CreditNoteCreate& request) {
  auto loaded = billing_.load_invoice(tx, request.invoice_id);
  if (!loaded) {
    core::Error error = std::move(loaded).error();
    if (error.kind == core::ErrorKind::not_found)
      return Error::invalid("resource_missing", error.message, "invoice");
    return error;
  }
  Prepared out;
  out.invoice = std::move(*loaded);
  const Invoice& invoice = out.invoice;
  if (invoice.status == InvoiceStatus::draft) {
    return Error::conflict("invalid_transition",
                           fmt::format("cannot issue a credit note on invoice {}: it is a draft; change or delete the "
                                       "draft instead",
                                       invoice.id));
  }
  if (!issued(invoice) && invoice.status != InvoiceStatus::paid) return invoice_refuses(invoice, "credit");
  if (invoice.kind != InvoiceKind::invoice)
    return Error::conflict("invalid_transition",
                           fmt::format("cannot issue a credit note on {}: it is a proforma", invoice.id));
  auto money_left = money_of(tx, invoice);
  if (!money_left) return std::move(money_left).error();
  out.money = std::move(*money_left);
  auto split = split_credit_note(request.split, issued(invoice) ? invoice.amount_remaining : 0, out.money.returnable,
                                 invoice.currency);
  if (!split) return std::move(split).error();
  out.split = *split;
  if (split->credit > 0) {
    auto customer = billing_.load_customer(tx, invoice.customer_id, "");
    if (!customer) return std::move(customer).error();
    if (customer->currency && *customer->currency != invoice.currency && customer->balance != 0) {
      return Error::conflict("balance_currency_mismatch",
                             fmt::format("customer {} keeps a balance in {}; credit in {} cannot go onto it: refund "
                                         "it instead (refund_amount)",
                                         customer->id, *customer->currency, invoice.currency),
                             "credit_amount");
    }
  }
  auto existing = credit_notes_of(tx, invoice.id);
  if (!existing) return std::move(existing).error();
  out.existing_notes = existing->size();
  return out;
}

Result<CreditNote> CreditService::create_credit_note(store::WriteTx& tx, const CreditNoteCreate& request,
                                                     const Origin& origin) {
  auto prepared = prepare(tx, request);
  if (!prepared) return std::move(prepared).error();
  const Invoice& invoice = prepared->invoice;
  const CreditSplit& split = prepared->split;
  CreditNote note{.id = billing_.ids().next(core::IdKind::credit_note),
                  .number = fmt::format("{}-CN-{:02}", invoice.number.value_or(invoice.id),
                                        prepared->existing_notes + 1),
                  .invoice = invoice.id,
                  .customer = invoice.customer_id,
                  .currency = invoice.currency,
                  .status = CreditNoteStatus::draft,
                  .reason = request.reason,
                  .memo = request.memo,
                  .total = request.split.total,
                  .pre_payment_amount = split.pre_payment,
                  .credit_amount = split.credit,
                  .refund_amount = split.refund,
                  .out_of_band_amount = split.out_of_band,
                  .explicit_split = request.split.refund_amount || request.split.credit_amount ||
                                    request.split.out_of_band_amount,
                  .metadata = request.metadata,
                  .created = billing_.now_s()};
  if (request.draft) {
    if (auto s = save(tx, note, true); !s) return std::move(s).error();
    return note;
  }
  return issue(tx, std::move(*prepared), std::move(note), /*is_new=*/true, origin);
}

Result<CreditNote> CreditService::issue_credit_note(store::WriteTx& tx, std::string_view id, const Origin& origin) {
  auto found = kCreditNotes.find(tx, id);
  if (!found) return std::move(found).error();
  if (!*found) return kCreditNotes.not_found(id);
  auto& draft = *found;
  if (draft->status != CreditNoteStatus::draft)
    return Error::conflict("invalid_transition", fmt::format("cannot issue credit note {}: it is {}, not a draft",
                                                             draft->id, core::described::name_of(draft->status)));
  CreditNoteCreate request{.invoice_id = draft->invoice,
                           .split = {.total = draft->total},
                           .reason = draft->reason,
                           .memo = draft->memo,
                           .metadata = draft->metadata};
  if (draft->explicit_split) {
    request.split.refund_amount = draft->refund_amount;
    request.split.credit_amount = draft->credit_amount;
    request.split.out_of_band_amount = draft->out_of_band_amount;
  }
  auto prepared = prepare(tx, request);
  if (!prepared) return std::move(prepared).error();
  CreditNote note = std::move(*draft);
  note.pre_payment_amount = prepared->split.pre_payment;
  note.credit_amount = prepared->split.credit;
  note.refund_amount = prepared->split.refund;
  note.out_of_band_amount = prepared->split.out_of_band;
  return issue(tx, std::move(*prepared), std::move(note), /*is_new=*/false, origin);
}

Result<CreditNote> CreditService::issue(store::WriteTx& tx, Prepared prepared, CreditNote note, bool is_new,
                                        const Origin& origin) {
  Invoice& invoice = prepared.invoice;
  const CreditSplit& split = prepared.split;
  note.status = CreditNoteStatus::issued;
  note.credit_status.reset();
  note.refund_status.reset();
  note.credit_remaining = split.credit;
  if (split.credit > 0) note.credit_status = CreditStatus::available;
  else if (split.pre_payment > 0) note.credit_status = CreditStatus::consumed;
  if (split.refund > 0) note.refund_status = CreditRefundStatus::pending;
  if (auto s = billing_.append(tx, "credit_note.created", "credit_note", note.id, kCreditNotes.api_json(note), {}, origin); !s)
    return std::move(s).error();

  // C2: the pre-payment part lowers what the invoice still asks for.
  const Invoice before = invoice;
  invoice.credit_notes_outstanding += 1;
  if (split.pre_payment > 0) {
    auto credited = core::checked_add(invoice.amount_credited, split.pre_payment);
    if (!credited) return std::move(credited).error();
    invoice.amount_credited = *credited;
    if (auto s = compute_totals(invoice); !s) return std::move(s).error();
    if (auto s = invoice_event(tx, "invoice.credited", before, invoice, {{"credit_note", note.id}}, origin); !s)
      return std::move(s).error();
    if (auto s = settle_if_credited(tx, invoice, origin); !s) return std::move(s).error();
  }
  if (auto s = billing_.save_invoice(tx, invoice, false); !s) return std::move(s).error();

  if (split.credit > 0) {
    auto moved = billing_.move_balance(tx, invoice.customer_id, -split.credit, BalanceEntryType::credit_note,
                                       invoice.currency, invoice.id, note.id, origin);
    if (!moved) return std::move(moved).error();
  }
  if (split.refund > 0) {
    auto refund = refund_note(tx, invoice, prepared.money, note, origin);
    if (!refund) return std::move(refund).error();
  }
  if (auto s = save(tx, note, is_new); !s) return std::move(s).error();
  return note;
}

Result<CreditNote> CreditService::void_credit_note(store::WriteTx& tx, std::string_view id, const Origin& origin) {
  auto found = kCreditNotes.find(tx, id);
  if (!found) return std::move(found).error();
  if (!*found) return kCreditNotes.not_found(id);
  CreditNote note = std::move(**found);
  const auto refuse = [&](std::string code, std::string why) {
    return Error::conflict(std::move(code), fmt::format("cannot void credit note {}: {}", note.id, why));
  };
  if (note.status == CreditNoteStatus::voided) return refuse("invalid_transition", "it is already voided");
  if (note.records_return.value_or(false))
    return refuse("credit_note_records_return",
                  note.dispute ? fmt::format("it records the lost dispute {}", *note.dispute)
                               : fmt::format("it records the refund {}", note.refund.value_or("")));
  if (note.status == CreditNoteStatus::draft) {
    note.status = CreditNoteStatus::voided;
    note.voided_at = billing_.now_s();
    if (auto s = save(tx, note, false); !s) return std::move(s).error();
    return note;
  }
  if (note.refund_status == CreditRefundStatus::pending || note.refund_status == CreditRefundStatus::succeeded)
    return refuse("credit_note_refunded",
                  fmt::format("its refund of {} was paid out", money(note.refund_amount, note.currency)));
  if (note.credit_remaining < note.credit_amount)
    return refuse("credit_note_consumed",
                  fmt::format("invoices have already drawn {} of its credit from the customer's balance",
                              money(note.credit_amount - note.credit_remaining, note.currency)));
  auto invoice = billing_.load_invoice(tx, note.invoice);
  if (!invoice) return std::move(invoice).error();
  if (note.pre_payment_amount > 0 && !issued(*invoice))
    return refuse("invalid_transition",
                  fmt::format("invoice {} is {}; taking back the credit would reopen it", invoice->id,
                              to_string(invoice->status)));

  const Invoice before = *invoice;
  invoice->credit_notes_outstanding = std::max(0, invoice->credit_notes_outstanding - 1);
  if (note.pre_payment_amount > 0) {
    invoice->amount_credited -= note.pre_payment_amount;
    if (auto s = compute_totals(*invoice); !s) return std::move(s).error();
  }
  if (auto s = billing_.save_invoice(tx, *invoice, false); !s) return std::move(s).error();
  if (note.pre_payment_amount > 0) {
    if (auto s = invoice_event(tx, "invoice.updated", before, *invoice, {}, origin); !s) return std::move(s).error();
  }
  if (note.credit_amount > 0) {
    auto moved = billing_.move_balance(tx, note.customer, note.credit_amount, BalanceEntryType::credit_note_voided,
                                       note.currency, note.invoice, note.id, origin);
    if (!moved) return std::move(moved).error();
  }
  const json::object was = kCreditNotes.api_json(note);
  note.status = CreditNoteStatus::voided;
  note.credit_status = CreditStatus::voided;
  note.credit_remaining = 0;
  note.voided_at = billing_.now_s();
  if (auto s = save(tx, note, false); !s) return std::move(s).error();
  const json::object object = kCreditNotes.api_json(note);
  if (auto s = billing_.append(tx, "credit_note.voided", "credit_note", note.id, object,
                               previous_attributes(was, object), origin);
      !s)
    return std::move(s).error();
  return note;
}

// --- the customer's wallets and credit balance ------------------------------------------------------

Status CreditService::draw_wallets_into(store::WriteTx& tx, Invoice& invoice, const Origin& origin) {
  auto drawn = draw_wallets(billing_, tx, invoice, invoice.amount_remaining, origin);
  if (!drawn) return std::move(drawn).error();
  for (const auto& draw : *drawn) {
    const Invoice before = invoice;
    invoice.amount_credited += draw.amount;
    if (auto s = compute_totals(invoice); !s) return s;
    if (auto s = invoice_event(tx, "invoice.credited", before, invoice, {{"wallet_transaction", draw.id}}, origin); !s)
      return s;
  }
  if (drawn->empty()) return {};
  if (auto s = settle_if_credited(tx, invoice, origin, PaidVia::wallet); !s) return s;
  return billing_.save_invoice(tx, invoice, false);
}


Result<Invoice> CreditService::apply_balance(store::WriteTx& tx, std::string_view invoice_id, bool only_if_any,
                                             const Origin& origin) {
  auto loaded = billing_.load_invoice(tx, invoice_id);
  if (!loaded) return std::move(loaded).error();
  Invoice invoice = std::move(*loaded);
  const auto nothing = [&](std::string why) -> Result<Invoice> {
    if (only_if_any) return invoice;
    return Error::conflict("nothing_to_apply", fmt::format("cannot apply credit to invoice {}: {}", invoice.id, why));
  };
  if (!issued(invoice)) {
    if (only_if_any) return invoice;
    return invoice_refuses(invoice, "apply credit to");
  }
  if (invoice.kind != InvoiceKind::invoice) return nothing("a proforma is not settled from the balance");
  // Just issued: prepaid credits first (a credit purchase is never paid with credits).
  if (only_if_any && invoice.billing_reason != BillingReason::credit_purchase && invoice.amount_remaining > 0)
    if (auto s = draw_wallets_into(tx, invoice, origin); !s) return std::move(s).error();
  if (invoice.amount_remaining <= 0) return nothing("it has nothing left to pay");
  auto customer = billing_.load_customer(tx, invoice.customer_id, "");
  if (!customer) return std::move(customer).error();
  if (customer->balance >= 0) return nothing(fmt::format("customer {} has no credit balance", customer->id));
  if (customer->currency && *customer->currency != invoice.currency)
    return nothing(fmt::format("customer {}'s balance is in {}, the invoice in {}", customer->id, *customer->currency,
                               invoice.currency));
  const int64_t amount = std::min(-customer->balance, invoice.amount_remaining);
  auto moved = billing_.move_balance(tx, invoice.customer_id, amount, BalanceEntryType::applied_to_invoice,
                                     invoice.currency, invoice.id, std::nullopt, origin);
  if (!moved) return std::move(moved).error();

  const Invoice before = invoice;
  invoice.amount_credited += amount;
  if (auto s = compute_totals(invoice); !s) return std::move(s).error();
  if (auto s = invoice_event(tx, "invoice.credited", before, invoice, {{"balance_transaction", moved->id}}, origin);
      !s)
    return std::move(s).error();
  if (auto s = settle_if_credited(tx, invoice, origin); !s) return std::move(s).error();
  if (auto s = billing_.save_invoice(tx, invoice, false); !s) return std::move(s).error();

  // The credit notes whose credit was drawn, oldest first, as Lago consumes them.
  auto notes = load_documents<CreditNote>(
      tx, {.kind = std::string(kCreditNotes.kind), .customer_id = invoice.customer_id},
      [](std::string_view body) { return kCreditNotes.decode(body); });
  if (!notes) return std::move(notes).error();
  int64_t left = amount;
  for (auto& note : *notes) {
    if (left == 0) break;
    if (note.status != CreditNoteStatus::issued || note.credit_remaining <= 0) continue;
    const int64_t take = std::min(left, note.credit_remaining);
    note.credit_remaining -= take;
    left -= take;
    if (note.credit_remaining == 0) note.credit_status = CreditStatus::consumed;
    if (auto s = save(tx, note, false); !s) return std::move(s).error();
  }
  return invoice;
}

}  // namespace billhook::billing
