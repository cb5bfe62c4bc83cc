#pragma once

// Credit on a proforma (CATALOG.md §1.5 C2 with kind=proforma): an agreed reduction of what an open
// proforma asks for, before it is paid. Pure, like invoice_machine.hpp: the proforma before and the
// credit go in, the proforma after and its proforma.credited event come out; the caller persists both
// in one transaction (BillingService::record).
//
// Proformas are kept as invoices with kind=proforma (documents of kind invoice), not as
// documents of their own: they share every field, the state machine (finalize, void, pay, and the
// conversion into a tax invoice when paid) and the scheduler's due-date handling, so one document type
// keeps one code path. Only this credit is proforma-specific: an invoice is credited by a credit note.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "billing/invoice.hpp"
#include "billing/invoice_machine.hpp"
#include "core/result.hpp"

namespace billhook::billing {

// Why a proforma was credited (the credit-note reasons of CATALOG.md §1.6).
enum class ProformaCreditReason {
  duplicated_charge, product_unsatisfactory, order_change, order_cancellation, fraudulent_charge, other
};

std::string_view to_string(ProformaCreditReason reason);
std::optional<ProformaCreditReason> parse_proforma_credit_reason(std::string_view text);

struct ProformaCredit {
  int64_t amount = 0;  // minor units of the proforma's currency, > 0
  ProformaCreditReason reason = ProformaCreditReason::other;
  std::optional<std::string> description;
};

// Lowers what `before` asks for by `credit.amount` (amount_credited grows, amount_due and
// amount_remaining shrink) and emits proforma.credited, whose object carries `credit` (amount, reason,
// description). Refused, changing nothing:
//   - not a proforma, or not open: conflict "invalid_transition" ("cannot credit a proforma that is void");
//   - amount not positive: invalid_request naming "amount";
//   - amount not below what is left to pay: conflict "credit_exceeds_remaining" (a credit that leaves
//     nothing to pay would settle the proforma without a payment to convert; void it instead).
core::Result<Transition> credit_proforma(const Invoice& before, const ProformaCredit& credit, int64_t now);

}  // namespace billhook::billing
