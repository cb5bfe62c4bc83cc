#pragma once

// Buying credits (DOMAINS.md §3): the one purchase path, shared by POST /v1/wallets/{id}/transactions and
// the top-up rules. The credits are billed on a credit_purchase invoice, issued and collected at once from
// the customer's cards: paid, the transaction settles through WalletService's observer of invoice.paid;
// waiting on the customer (3-D Secure), it stays pending; declined, it fails
// (wallet_transaction.payment_failed, wallet_transaction.updated) and its invoice is voided, never retried.

#include <string>
#include <string_view>

#include "billing/billing_service.hpp"
#include "billing/wallet.hpp"
#include "store/store.hpp"

namespace billhook::billing {

// The purchase invoice's metadata key naming its transaction (how the observer finds it when paid).
inline constexpr std::string_view kPurchaseTransactionKey = "wallet_transaction";

// Buys `credits` (worth `amount` minor units) for `wallet`, in the caller's transaction. Answers the
// transaction as it is after collection (settled, pending or failed).
core::Result<WalletTransaction> purchase_credits(BillingService& billing, store::WriteTx& tx, const Wallet& wallet,
                                                 const std::string& credits, int64_t amount,
                                                 WalletTransactionTrigger trigger, const Origin& origin);

}  // namespace billhook::billing
