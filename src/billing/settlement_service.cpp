#include "billing/settlement_service.hpp"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "billing/billing_documents.hpp"
#include "billing/codec.hpp"
#include "billing/refund.hpp"
#include "core/money.hpp"

namespace billhook::billing {
namespace {

namespace json = boost::json;
using core::Error;
using core::Result;
using core::Status;

// The id of `key` (payment, refund, dispute) in an invoice event's object; empty when absent.
std::string_view id_in(const json::object& invoice, std::string_view key) {
  const auto* inner = invoice.if_contains(key);
  if (!inner || !inner->is_object()) return {};
  const auto* id = inner->as_object().if_contains("id");
  return id && id->is_string() ? std::string_view(id->get_string()) : std::string_view();
}

// A batch whose payout day has passed is moved on a day at a time: a week of paid batches is a clock
// set back by a week, beyond which something else is wrong.
constexpr int kMaxDaysForward = 7;

}  // namespace

SettlementService::SettlementService(BillingService& billing)
    : billing_(billing), terms_(billing.processor().payout_terms()) {
  billing_.observe_events(this, "invoice",
                          [this](store::WriteTx& tx, std::string_view type, const json::object& invoice,
                                 const Origin&) { return on_invoice_event(tx, type, invoice); });
}

SettlementService::~SettlementService() { billing_.stop_observing(this); }

Status SettlementService::on_invoice_event(store::WriteTx& tx, std::string_view type, const json::object& invoice) {
  if (type == "invoice.payment_succeeded") {
    const auto* id = invoice.if_contains("id");
    if (!id || !id->is_string()) return Error::internal("invoice.payment_succeeded without an invoice id");
    return enter_payment(tx, id_in(invoice, "payment"), id->get_string());
  }
  if (type == "invoice.refunded") return enter_refund(tx, id_in(invoice, "refund"));
  if (type == "invoice.dispute_lost") return enter_lost_dispute(tx, id_in(invoice, "dispute"));
  return {};
}

Status SettlementService::enter_payment(store::WriteTx& tx, std::string_view payment_id, std::string_view invoice_id) {
  if (payment_id.empty()) return Error::internal("invoice.payment_succeeded without its payment");
  auto found = tx.find_document(stored::kPayment, payment_id);
  if (!found) return std::move(found).error();
  if (!*found) return Error::internal(fmt::format("payment {} is not stored", payment_id));
  auto payment = decode_payment((*found)->body);
  if (!payment) return std::move(payment).error();
  // Only the processor's card money is paid out by it.
  if (payment->status != PaymentAttemptStatus::succeeded || payment->payment_method_type != "card") return {};
  auto already = entered(tx, payment->id);
  if (!already) return std::move(already).error();
  if (*already) return {};
  const int64_t at = payment->paid_at.value_or(billing_.now_s());
  auto entry = payment_entry(payment->id, std::string(invoice_id), payment->amount, payment->currency, terms_,
                             billing_.now_s());
  if (!entry) return std::move(entry).error();
  return enter(tx, std::move(*entry), at);
}

Status SettlementService::enter_refund(store::WriteTx& tx, std::string_view refund_id) {
  if (refund_id.empty()) return Error::internal("invoice.refunded without its refund");
  auto found = kRefunds.find(tx, refund_id);
  if (!found) return std::move(found).error();
  if (!*found) return kRefunds.not_found(refund_id);
  const Refund& refund = **found;
  // What went back through payments the processor settles; a refund of an external payment is the
  // merchant's own business.
  int64_t amount = 0;
  std::string through;
  for (const auto& part : refund.allocations) {
    auto settled = entered(tx, part.payment);
    if (!settled) return std::move(settled).error();
    if (!*settled) continue;
    auto sum = core::checked_add(amount, part.amount);
    if (!sum) return std::move(sum).error();
    amount = *sum;
    if (through.empty()) through = part.payment;
  }
  if (amount == 0) return {};
  auto already = tx.find_document(kPaymentSettlements.kind, settlement_entry_id(refund.id));
  if (!already) return std::move(already).error();
  if (*already) return {};
  auto entry = deduction_entry(SettlementEntryType::refund, refund.id, refund.payment.value_or(through),
                               refund.invoice, amount, refund.currency, billing_.now_s());
  if (!entry) return std::move(entry).error();
  return enter(tx, std::move(*entry), refund.refunded_at.value_or(billing_.now_s()));
}

Status SettlementService::enter_lost_dispute(store::WriteTx& tx, std::string_view dispute_id) {
  if (dispute_id.empty()) return Error::internal("invoice.dispute_lost without its dispute");
  auto found = kDisputes.find(tx, dispute_id);
  if (!found) return std::move(found).error();
  if (!*found) return kDisputes.not_found(dispute_id);
  const Dispute& dispute = **found;
  auto settled = entered(tx, dispute.payment);
  if (!settled) return std::move(settled).error();
  if (!*settled || dispute.amount <= 0) return {};
  auto already = tx.find_document(kPaymentSettlements.kind, settlement_entry_id(dispute.id));
  if (!already) return std::move(already).error();
  if (*already) return {};
  auto entry = deduction_entry(SettlementEntryType::dispute, dispute.id, dispute.payment, dispute.invoice,
                               dispute.amount, dispute.currency, billing_.now_s());
  if (!entry) return std::move(entry).error();
  return enter(tx, std::move(*entry), dispute.closed_at.value_or(billing_.now_s()));
}

Result<bool> SettlementService::entered(store::WriteTx& tx, std::string_view payment_id) {
  auto found = tx.find_document(kPaymentSettlements.kind, settlement_entry_id(payment_id));
  if (!found) return std::move(found).error();
  return found->has_value();
}

Status SettlementService::enter(store::WriteTx& tx, PaymentSettlement entry, int64_t at) {
  const int64_t now = billing_.now_s();
  int64_t payout_date = payout_date_of(at, terms_);
  for (int day = 0; day <= kMaxDaysForward; ++day, payout_date += kSecondsPerSettlementDay) {
    const std::string id = settlement_batch_id(payout_date, entry.currency);
    auto found = kSettlementBatches.find(tx, id);
    if (!found) return std::move(found).error();
    const bool is_new = !found->has_value();
    SettlementBatch batch = is_new ? new_settlement_batch(payout_date, entry.currency, now) : std::move(**found);
    if (batch.status != SettlementBatchStatus::pending) continue;
    if (auto s = add_entry(batch, entry); !s) return s;
    if (auto s = is_new ? kSettlementBatches.insert(tx, batch, batch.id, now * 1000)
                        : kSettlementBatches.update(tx, batch, batch.id);
        !s)
      return s;
    return kPaymentSettlements.insert(tx, entry, entry.id, now * 1000);
  }
  return Error::conflict("settlement_batch_paid",
                         fmt::format("every {} settlement batch of the {} days from {} is paid out already",
                                     entry.currency, kMaxDaysForward + 1, payout_date_of(at, terms_)));
}

Result<bool> SettlementService::on_wake(store::WriteTx& tx, const Wake& wake) {
  auto found = kSettlementBatches.find(tx, wake.id);
  if (!found) return std::move(found).error();
  if (!*found) return false;
  SettlementBatch batch = std::move(**found);
  const int64_t now = billing_.now_s();
  if (batch.status != SettlementBatchStatus::pending || batch.payout_date > now) return false;
  // Paid out once: a node that read the batch before another's payout committed rolls back.
  auto claimed = tx.claim_once(fmt::format("settlement:{}", batch.id), batch.id, now * 1000);
  if (!claimed) return std::move(claimed).error();
  if (!*claimed)
    return Error::conflict("settlement_batch_paid", fmt::format("settlement batch {} is paid out already", batch.id));

  auto records = tx.find_documents(
      {.kind = std::string(kPaymentSettlements.kind), .customer_id = {}, .parent_id = batch.id, .status = {}, .any_status = {}});
  if (!records) return std::move(records).error();
  std::vector<PaymentSettlement> entries;
  entries.reserve(records->size());
  for (const auto& record : *records) {
    auto entry = kPaymentSettlements.decode(record.body);
    if (!entry) return std::move(entry).error();
    entries.push_back(std::move(*entry));
  }
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  pay_out(batch, entries, now);
  if (auto s = kSettlementBatches.update(tx, batch, batch.id); !s) return std::move(s).error();
  for (const auto& entry : entries) {
    if (auto s = kPaymentSettlements.update(tx, entry, entry.id); !s) return std::move(s).error();
    if (entry.type != SettlementEntryType::payment) continue;  // deductions show in the batch only
    // Each payment is announced settled once, whatever batch it is found in.
    auto first = tx.claim_once(fmt::format("payment.settled:{}", entry.payment), entry.id, now * 1000);
    if (!first) return std::move(first).error();
    if (!*first) continue;
    // Time-driven: the event answers no request.
    if (auto s = billing_.append(tx, "payment.settled", "payment_settlement", entry.id,
                                 kPaymentSettlements.api_json(entry), {}, Origin{});
        !s)
      return std::move(s).error();
  }
  return false;
}

void register_settlements(DocumentRegistry& registry) {
  registry.provide(service_factory<SettlementService>(
      [](const DomainDeps& deps) { return std::make_unique<SettlementService>(deps.billing); }));

  RegisteredKind batches = registered(kSettlementBatches, "/v1/settlements", "SettlementBatch");
  batches.children = ChildList{.kind = kPaymentSettlements.kind,
                               .key = "entries",
                               .limit = 1000,
                               .api_json = [](const json::object& stored) -> Result<json::object> {
                                 return kPaymentSettlements.api_json_of_stored(stored);
                               }};
  batches.wake = wake_with(&SettlementService::on_wake);
  // GET /v1/settlements/{id} shows the batch's entries (the list shows batches alone).
  batches.schema["properties"].as_object()["entries"] = json::object{
      {"type", "array"},
      {"description", "The batch's payments and deductions, oldest first (GET /v1/settlements/{id} only)."},
      {"items", json::object{{"$ref", "#/components/schemas/PaymentSettlement"}}}};
  registry.add(std::move(batches));
  // Shown inside their batch, and as payment.settled.
  registry.add(registered(kPaymentSettlements, "", "PaymentSettlement"));
}

}  // namespace billhook::billing
