#pragma once

// Settlement on the store (settlement.hpp): the processor's payouts, entered as the money moves and
// paid out by time.
//
// Entering: the service observes the invoices' events (BillingService::observe_events) and, in the
// transaction of the change, enters
//   - on invoice.payment_succeeded, a succeeded card payment (the processor's money; an external
//     payment is not) into the pending batch of its payout day (PaymentProcessor::payout_terms);
//   - on invoice.refunded, the part of the refund that went back through entered payments, as a
//     deduction in the batch of the day the processor accepted it;
//   - on invoice.dispute_lost, the chargeback on an entered payment, as a deduction the same way.
// Each entry's id is derived from what it settles, so nothing is entered twice. A batch already paid
// out (a clock set back) passes the entry on to the next day's.
//
// Paying out: on_wake, the batch's handler on the document clock (on the node that runs time jobs), at
// its payout date, marks the batch and its entries paid and appends one payment.settled per payment
// (the entry: batch id as `payout`, gross `amount`, `fee`, `net`; aggregate payment_settlement). The
// batch's payout is claimed once, and each payment's event once more by the payment's id, in that
// transaction: two nodes that both believe they lead cannot both pay out, and no payment is announced
// settled twice across restarts.

#include <string_view>

#include <boost/json/object.hpp>

#include "billing/billing_service.hpp"
#include "billing/registry/document_clock.hpp"
#include "billing/registry/registry.hpp"
#include "billing/settlement.hpp"
#include "store/store.hpp"

namespace billhook::billing {

class SettlementService {
 public:
  explicit SettlementService(BillingService& billing);
  ~SettlementService();
  SettlementService(const SettlementService&) = delete;
  SettlementService& operator=(const SettlementService&) = delete;

  // The batch's handler on the document clock: pays it out once its payout date has come.
  core::Result<bool> on_wake(store::WriteTx& tx, const Wake& wake);

 private:
  core::Status on_invoice_event(store::WriteTx& tx, std::string_view type, const boost::json::object& invoice);
  core::Status enter_payment(store::WriteTx& tx, std::string_view payment_id, std::string_view invoice_id);
  core::Status enter_refund(store::WriteTx& tx, std::string_view refund_id);
  core::Status enter_lost_dispute(store::WriteTx& tx, std::string_view dispute_id);
  // Into the pending batch of the payout day of `at` (or the next pending one).
  core::Status enter(store::WriteTx& tx, PaymentSettlement entry, int64_t at);
  // True when `payment_id` was entered as a processor payment.
  core::Result<bool> entered(store::WriteTx& tx, std::string_view payment_id);

  BillingService& billing_;
  PayoutTerms terms_;
};

// Settlement on the registry: GET /v1/settlements[/{id}] (a batch with its entries), the entries'
// schema, the batch's handler on the document clock, and the service.
void register_settlements(DocumentRegistry& registry);

}  // namespace billhook::billing
