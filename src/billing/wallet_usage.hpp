#pragma once

// The ongoing balance of a customer's wallet as usage arrives (DOMAINS.md §3): the balance less the usage
// accrued and not yet invoiced, priced from the running aggregates (usage_fees.hpp) — never by rescanning
// events — less what the period's progressive invoices already billed. The intake calls it once per
// subscription it added usage to, after the thresholds; an invoice of the subscription, which bills the
// usage to date, sets it back to zero (WalletService observes invoice.finalized).

#include "billing/billing_service.hpp"
#include "billing/subscription.hpp"
#include "billing/subscription_period.hpp"
#include "store/store.hpp"

namespace billhook::billing {

core::Status refresh_wallet_usage(BillingService& billing, store::WriteTx& tx, const Subscription& sub,
                                  const Period& period, const Origin& origin);

}  // namespace billhook::billing
