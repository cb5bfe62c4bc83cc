#include "billing/subscription_invoice.hpp"

#include <utility>

#include <fmt/format.h>

#include "billing/credit_service.hpp"
#include "billing/plan.hpp"

namespace billhook::billing {

using core::Result;

Result<Invoice> issue_subscription_invoice(BillingService& billing, store::WriteTx& tx, const Subscription& sub,
                                           const Period& period, int64_t amount, BillingReason reason,
                                           const Origin& origin, std::vector<LineItem> usage) {
  auto plan = kPlans.find(tx, sub.plan);
  if (!plan) return std::move(plan).error();
  const std::string name = *plan ? (*plan)->name : sub.plan;
  Invoice doc;
  doc.customer_id = sub.customer;
  doc.currency = sub.currency;
  doc.due_date = billing.now_s();
  doc.billing_reason = reason;
  doc.subscription_id = sub.id;
  doc.period_start = period.start;
  doc.period_end = period.end;
  LineItem line;
  line.description = sub.quantity == 1 ? name : fmt::format("{} × {}", name, sub.quantity);
  line.quantity_milli = 1000;  // the amount is the whole charge: the plan × quantity, or its prorated part
  line.unit_amount = amount;
  line.period_start = period.start;
  line.period_end = period.end;
  if (amount != 0 || usage.empty()) doc.lines.push_back(std::move(line));
  for (auto& fee : usage) doc.lines.push_back(std::move(fee));
  auto created = billing.create_invoice(tx, std::move(doc), true, origin);
  if (!created) return std::move(created).error();
  Invoice invoice = std::move(created->invoice);
  if (invoice.status != InvoiceStatus::open) return invoice;
  // The customer's credit balance first, as for any invoice issued (Stripe applies it to the next invoice).
  auto drawn = CreditService(billing).apply_balance(tx, invoice.id, /*only_if_any=*/true, origin);
  if (!drawn) return std::move(drawn).error();
  invoice = std::move(*drawn);
  // Then collected at once, as a subscription's invoice is (Calmony: "a subscription billing attempt
  // fails" is invoice.payment_failed): a declined card, or no usable card, is the collection's own
  // refusal, recorded with its events and retried on its schedule. An error undoes the renewal (to be
  // tried again), as it does any collection.
  // A past_due subscription's collection has stopped: its invoices wait to be paid by other means.
  if (invoice.status == InvoiceStatus::open && invoice.amount_remaining > 0 &&
      invoice.collection_method == CollectionMethod::charge_automatically &&
      sub.collection_status == CollectionStatus::active) {
    auto collected = billing.pay(tx, invoice.id, PayRequest{}, origin);
    if (!collected) return std::move(collected).error();
    invoice = std::move(collected->invoice);
  }
  return invoice;
}

}  // namespace billhook::billing
