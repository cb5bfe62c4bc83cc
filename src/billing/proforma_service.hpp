#pragma once

// The I/O around proforma.hpp's credit: load the proforma inside the caller's write transaction,
// credit it, and persist the result with its event through BillingService::record (same transaction).
// Creating, finalizing, voiding and paying a proforma (its conversion) are BillingService's own
// invoice commands: a proforma is an invoice with kind=proforma.

#include <string_view>

#include "billing/billing_service.hpp"
#include "billing/proforma.hpp"

namespace billhook::billing {

// not_found ("proforma_not_found") when `id` names no proforma; otherwise as credit_proforma.
core::Result<InvoiceResult> credit_proforma(BillingService& service, store::WriteTx& tx, std::string_view id,
                                            const ProformaCredit& credit, const Origin& origin);

}  // namespace billhook::billing
