#pragma once

// The moves of a wallet's credits (wallet.hpp), in the caller's write transaction, with their events:
// shared by the wallet service (purchases, grants, voids, expiry) and by the credit service, through
// which every issued invoice draws on its customer's wallets before the credit balance and any card.
//
// Each settled transaction is saved with its wallet in the same transaction and announced by
// wallet_transaction.updated then wallet.updated (data.previous_attributes: the balances before). A
// wallet whose ongoing balance goes from above zero to zero or below sends wallet.balance_depleted once
// for that crossing (claimed per crossing, so two nodes cannot both send it).
//
// Top-up rules (wallet_topup.hpp): every saved change re-arms a threshold rule whose level the ongoing
// balance is above; a usage intake (set_wallet_usage) and an invoice's draw (draw_wallets) then fire the
// armed threshold rules the balance is at or below.

#include <string>
#include <vector>

#include "billing/billing_service.hpp"
#include "billing/wallet.hpp"
#include "store/store.hpp"

namespace billhook::billing {

// Settles `transaction` (pending or new) into `wallet`: both saved, their events appended.
// `is_new`: the transaction is inserted rather than updated.
core::Status settle_transaction(BillingService& billing, store::WriteTx& tx, Wallet& wallet,
                                WalletTransaction& transaction, bool is_new, const Origin& origin);

// Saves `after` (whose balances moved from `before`'s) after the depletion check (unless `check` is
// false), with wallet.updated unless `announce` is false (usage moving the ongoing balance: the busiest
// path sends no update).
core::Status save_wallet_change(BillingService& billing, store::WriteTx& tx, const Wallet& before, Wallet& after,
                                const Origin& origin, bool announce = true, bool check = true);

// The ongoing balance of `customer_id`'s active wallet in `currency` (if any) with `subscription_id`'s usage
// not yet invoiced now `amount`: saved without wallet.updated, depletion checked unless `check` is false —
// an invoice that bills the usage clears it only to draw on the wallet in the same transaction, so the
// balance it passes through on the way is no crossing.
core::Status set_wallet_usage(BillingService& billing, store::WriteTx& tx, const std::string& customer_id,
                              const std::string& currency, const std::string& subscription_id, int64_t amount,
                              const Origin& origin, bool check = true);

// An issued invoice draws up to `amount` on its customer's active wallets in its currency, earliest
// expiry first (a wallet without expiry last), then oldest: one settled outbound `consumed` transaction
// per wallet drawn. Answers them (empty when there is nothing to draw).
core::Result<std::vector<WalletTransaction>> draw_wallets(BillingService& billing, store::WriteTx& tx,
                                                          const Invoice& invoice, int64_t amount,
                                                          const Origin& origin);

// A voided invoice gives back what it drew: an inbound `consumed` transaction per draw, into its wallet
// if still active (a terminated wallet's credit is gone).
core::Status give_back_draws(BillingService& billing, store::WriteTx& tx, const std::string& customer_id,
                             const std::string& invoice_id, const Origin& origin);

// Every wallet of a customer, oldest first.
core::Result<std::vector<Wallet>> wallets_of(store::WriteTx& tx, const std::string& customer_id);

}  // namespace billhook::billing
