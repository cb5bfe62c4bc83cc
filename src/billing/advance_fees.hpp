#pragma once

// Pay-in-advance charges at intake (DOMAINS.md §2, "Fees"): the fee an event owes each pay-in-advance
// charge on its metric — the increase of the charge's amount the event caused, exact, rounded once —
// stored (fee.hpp) with fee.created, and, when the charge is invoiceable, billed at once on an invoice of
// its own, collected like the subscription's other invoices. All in the intake's transaction: a replayed
// transaction_id adds nothing, so it owes nothing.
//
// At the period's end (usage_fees.hpp's usage_lines) an invoiceable pay-in-advance charge is left out,
// its fees billed already; one that is not invoiceable is billed there like an in-arrears charge, its
// period amount priced once (its fees say what each event added; the invoice bills the period).

#include "billing/billable_metric.hpp"
#include "billing/billing_service.hpp"
#include "billing/charge_model.hpp"
#include "billing/fee.hpp"
#include "billing/subscription.hpp"
#include "billing/subscription_period.hpp"
#include "core/decimal.hpp"
#include "store/store.hpp"
#include "store/usage_records.hpp"

namespace billhook::billing {

// The fee `event` owes `charge` (pay in advance, on `metric`): `owed`, what the event added to the
// charge's amount (fee.hpp's advance_amount for a charge priced by units; a percentage charge's running
// fee after the event less before it).
core::Status charge_in_advance(BillingService& billing, store::WriteTx& tx, const Subscription& sub,
                               const Period& period, const Charge& charge, const BillableMetric& metric,
                               const AdvanceAmount& owed, const store::UsageEventRecord& event, const Origin& origin);

}  // namespace billhook::billing
