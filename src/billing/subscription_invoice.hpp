#pragma once

// How a subscription's invoice is issued, whoever bills it: the renewals and closings of
// SubscriptionService and the progressive invoices of the usage intake (progressive_billing.hpp).
// One place, so that every invoice of a subscription is drawn on the credit balance and collected alike.

#include <cstdint>
#include <vector>

#include "billing/billing_service.hpp"
#include "billing/invoice.hpp"
#include "billing/subscription.hpp"
#include "billing/subscription_period.hpp"
#include "store/store.hpp"

namespace billhook::billing {

// Issues an invoice of `amount` (the plan's line) for `period` of `sub`, with `usage` lines after it (the
// plan's line is left out when it is 0 and there are usage lines), due now; draws the customer's credit
// balance, then collects it at once when the subscription's collection is active.
core::Result<Invoice> issue_subscription_invoice(BillingService& billing, store::WriteTx& tx, const Subscription& sub,
                                                 const Period& period, int64_t amount, BillingReason reason,
                                                 const Origin& origin, std::vector<LineItem> usage = {});

}  // namespace billhook::billing
