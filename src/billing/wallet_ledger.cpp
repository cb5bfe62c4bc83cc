#include "billing/wallet_ledger.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "billing/previous_attributes.hpp"
#include "billing/wallet_topup.hpp"

namespace billhook::billing {
namespace {

using core::Error;
using core::Result;
using core::Status;

template <class T>
Result<std::vector<T>> decoded(Result<std::vector<store::DocumentRecord>> records, const DocumentKind<T>& kind) {
  if (!records) return std::move(records).error();
  std::vector<T> out;
  out.reserve(records->size());
  for (const auto& r : *records) {
    auto doc = kind.decode(r.body);
    if (!doc) return std::move(doc).error();
    out.push_back(std::move(*doc));
  }
  return out;
}

// wallet.balance_depleted once per crossing from above zero to zero or below; the flag re-arms once the
// ongoing balance is positive again.
Status check_depletion(BillingService& billing, store::WriteTx& tx, Wallet& wallet, const Origin& origin) {
  if (wallet.ongoing_balance > 0) {
    wallet.depleted = false;
    return {};
  }
  if (wallet.depleted || wallet.status != WalletStatus::active) return {};
  wallet.depleted = true;
  ++wallet.depletions;
  auto claimed = tx.claim_once(fmt::format("{}:depleted:{}", wallet.id, wallet.depletions), wallet.id,
                               billing.now_s() * 1000);
  if (!claimed) return std::move(claimed).error();
  if (!*claimed)
    return Error::conflict("wallet_already_depleted",
                           fmt::format("wallet {}'s depletion {} was already sent", wallet.id, wallet.depletions));
  return billing.append(tx, "wallet.balance_depleted", "wallet", wallet.id, kWallets.api_json(wallet), {}, origin);
}

}  // namespace

Result<std::vector<Wallet>> wallets_of(store::WriteTx& tx, const std::string& customer_id) {
  return decoded(tx.find_documents({.kind = std::string(kWallets.kind), .customer_id = customer_id}), kWallets);
}

Status save_wallet_change(BillingService& billing, store::WriteTx& tx, const Wallet& before, Wallet& after,
                          const Origin& origin, bool announce, bool check) {
  // Only a wallet that had some credit can be depleted by a change: a new, empty one is not news.
  if (check && (before.ongoing_balance > 0 || after.ongoing_balance > 0))
    if (auto s = check_depletion(billing, tx, after, origin); !s) return s;
  // Any change that takes the ongoing balance above a threshold rule's level re-arms it.
  rearm_threshold_rules(after);
  if (auto s = kWallets.update(tx, after, after.id); !s) return s;
  if (!announce) return {};
  const boost::json::object shown = kWallets.api_json(after);
  boost::json::object previous = previous_attributes(kWallets.api_json(before), shown);
  if (previous.empty()) return {};
  return billing.append(tx, "wallet.updated", "wallet", after.id, shown, std::move(previous), origin);
}

Status set_wallet_usage(BillingService& billing, store::WriteTx& tx, const std::string& customer_id,
                        const std::string& currency, const std::string& subscription_id, int64_t amount,
                        const Origin& origin, bool check) {
  auto all = wallets_of(tx, customer_id);
  if (!all) return std::move(all).error();
  for (auto& wallet : *all) {
    if (wallet.status != WalletStatus::active || wallet.currency != currency) continue;
    const Wallet before = wallet;
    if (auto s = set_accrued(wallet, subscription_id, amount); !s) return s;
    if (wallet == before) return {};
    if (auto s = save_wallet_change(billing, tx, before, wallet, origin, /*announce=*/false, check); !s) return s;
    // Usage lowered the ongoing balance: a threshold rule it took to its level tops up (not while an
    // invoice clears the usage it is about to draw: its draw checks them).
    return check ? apply_threshold_rules(billing, tx, wallet.id, origin) : Status{};
  }
  return {};
}

Status settle_transaction(BillingService& billing, store::WriteTx& tx, Wallet& wallet, WalletTransaction& t,
                          bool is_new, const Origin& origin) {
  const Wallet before = wallet;
  t.status = WalletTransactionStatus::settled;
  t.settled_at = billing.now_s();
  t.failure.reset();
  if (auto s = settle_into(wallet, t); !s) return s;
  // Credits never go below zero: a draw or a void is at most the settled balance.
  if (wallet.balance < 0 || wallet.credits_balance.starts_with('-'))
    return Error::conflict("insufficient_credits",
                           fmt::format("wallet {} has {} credits: not enough for {}", wallet.id,
                                       before.credits_balance, t.credits),
                           "voided_credits");
  if (auto s = is_new ? kWalletTransactions.insert(tx, t, t.id, t.created * 1000)
                      : kWalletTransactions.update(tx, t, t.id);
      !s)
    return s;
  if (auto s = billing.append(tx, "wallet_transaction.updated", "wallet_transaction", t.id,
                              kWalletTransactions.api_json(t), {}, origin);
      !s)
    return s;
  return save_wallet_change(billing, tx, before, wallet, origin);
}

Result<std::vector<WalletTransaction>> draw_wallets(BillingService& billing, store::WriteTx& tx,
                                                    const Invoice& invoice, int64_t amount, const Origin& origin) {
  std::vector<WalletTransaction> drawn;
  if (amount <= 0) return drawn;
  auto all = wallets_of(tx, invoice.customer_id);
  if (!all) return std::move(all).error();
  std::vector<Wallet> usable;
  for (auto& w : *all)
    if (w.status == WalletStatus::active && w.currency == invoice.currency && w.balance > 0)
      usable.push_back(std::move(w));
  // Earliest expiry first (no expiry last), then oldest (ids sort by creation).
  std::stable_sort(usable.begin(), usable.end(), [](const Wallet& a, const Wallet& b) {
    const int64_t ea = a.expires_at.value_or(INT64_MAX), eb = b.expires_at.value_or(INT64_MAX);
    if (ea != eb) return ea < eb;
    return a.id < b.id;
  });
  int64_t left = amount;
  for (auto& wallet : usable) {
    if (left == 0) break;
    const int64_t take = std::min(left, wallet.balance);
    auto credits = credits_for(wallet, take);
    if (!credits) return std::move(credits).error();
    WalletTransaction t{.id = billing.ids().next(core::IdKind::wallet_transaction),
                        .wallet = wallet.id,
                        .customer = wallet.customer,
                        .type = WalletTransactionType::outbound,
                        .status = WalletTransactionStatus::pending,
                        .source = WalletTransactionSource::consumed,
                        .credits = *credits,
                        .amount = take,
                        .currency = wallet.currency,
                        .invoice = invoice.id,
                        .created = billing.now_s()};
    if (auto s = settle_transaction(billing, tx, wallet, t, /*is_new=*/true, origin); !s) return std::move(s).error();
    if (auto s = apply_threshold_rules(billing, tx, wallet.id, origin); !s) return std::move(s).error();
    left -= take;
    drawn.push_back(std::move(t));
  }
  return drawn;
}

Status give_back_draws(BillingService& billing, store::WriteTx& tx, const std::string& customer_id,
                       const std::string& invoice_id, const Origin& origin) {
  auto all = decoded(tx.find_documents({.kind = std::string(kWalletTransactions.kind), .customer_id = customer_id}),
                     kWalletTransactions);
  if (!all) return std::move(all).error();
  // An invoice is voided once: if its draws were given back already (a second observer), nothing is left.
  for (const auto& t : *all)
    if (t.invoice == invoice_id && t.type == WalletTransactionType::inbound &&
        t.source == WalletTransactionSource::consumed)
      return {};
  for (const auto& draw : *all) {
    if (draw.invoice != invoice_id || draw.source != WalletTransactionSource::consumed ||
        draw.type != WalletTransactionType::outbound || draw.status != WalletTransactionStatus::settled)
      continue;
    auto found = kWallets.find(tx, draw.wallet);
    if (!found) return std::move(found).error();
    if (!*found || (*found)->status != WalletStatus::active) continue;
    Wallet wallet = std::move(**found);
    WalletTransaction back{.id = billing.ids().next(core::IdKind::wallet_transaction),
                           .wallet = wallet.id,
                           .customer = wallet.customer,
                           .type = WalletTransactionType::inbound,
                           .status = WalletTransactionStatus::pending,
                           .source = WalletTransactionSource::consumed,
                           .credits = draw.credits,
                           .amount = draw.amount,
                           .currency = draw.currency,
                           .invoice = invoice_id,
                           .created = billing.now_s()};
    if (auto s = settle_transaction(billing, tx, wallet, back, /*is_new=*/true, origin); !s) return s;
  }
  return {};
}

}  // namespace billhook::billing
