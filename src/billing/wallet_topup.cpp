#include "billing/wallet_topup.hpp"

#include <utility>
#include <vector>

#include <fmt/format.h>

#include "billing/wallet.hpp"
#include "billing/wallet_ledger.hpp"
#include "billing/wallet_purchase.hpp"

namespace billhook::billing {
namespace {

using core::Error;
using core::Result;
using core::Status;

Result<Wallet> load(store::WriteTx& tx, const std::string& id) {
  auto found = kWallets.find(tx, id);
  if (!found) return std::move(found).error();
  if (!*found) return kWallets.not_found(id);
  return std::move(**found);
}

// Claims one firing; a lost claim means another node (or an earlier run) fired it: this transaction
// rolls back rather than top up twice.
Status claim(BillingService& billing, store::WriteTx& tx, const Wallet& wallet, size_t rule, const std::string& what) {
  const std::string key = fmt::format("{}:topup:{}.{}:{}", wallet.id, wallet.rules_version, rule, what);
  auto claimed = tx.claim_once(key, wallet.id, billing.now_s() * 1000);
  if (!claimed) return std::move(claimed).error();
  if (!*claimed) return Error::conflict("wallet_topup_claimed", fmt::format("top-up {} was already made", key));
  return {};
}

// One firing of rule `index`: its paid credits bought, its granted credits settled, each transaction
// tagged with the trigger. The wallet is read again before each step (a settled purchase moved it).
Status top_up(BillingService& billing, store::WriteTx& tx, const std::string& wallet_id, size_t index,
              const Origin& origin) {
  auto wallet = load(tx, wallet_id);
  if (!wallet) return std::move(wallet).error();
  if (wallet->status != WalletStatus::active || index >= wallet->recurring_transaction_rules.size()) return {};
  const RecurringTransactionRule rule = wallet->recurring_transaction_rules[index];
  const WalletTransactionTrigger trigger =
      rule.trigger == TopUpTrigger::interval ? WalletTransactionTrigger::interval : WalletTransactionTrigger::threshold;
  auto topup = topup_for(*wallet, rule);
  if (!topup) return std::move(topup).error();
  if (topup->paid_amount > 0) {
    auto bought = purchase_credits(billing, tx, *wallet, topup->paid_credits, topup->paid_amount, trigger, origin);
    if (!bought) return std::move(bought).error();
  }
  if (topup->granted_amount > 0) {
    auto current = load(tx, wallet_id);
    if (!current) return std::move(current).error();
    WalletTransaction t{.id = billing.ids().next(core::IdKind::wallet_transaction),
                        .wallet = current->id,
                        .customer = current->customer,
                        .type = WalletTransactionType::inbound,
                        .status = WalletTransactionStatus::pending,
                        .source = WalletTransactionSource::granted,
                        .trigger = trigger,
                        .credits = topup->granted_credits,
                        .amount = topup->granted_amount,
                        .currency = current->currency,
                        .created = billing.now_s()};
    if (auto s = settle_transaction(billing, tx, *current, t, /*is_new=*/true, origin); !s) return s;
  }
  return {};
}

// Saves the wallet with its rules' new state (claimed above), then makes each firing's top-up.
Status save_and_top_up(BillingService& billing, store::WriteTx& tx, const Wallet& wallet,
                       const std::vector<size_t>& firing, const Origin& origin) {
  if (firing.empty()) return {};
  if (auto s = kWallets.update(tx, wallet, wallet.id); !s) return s;
  for (size_t i : firing)
    if (auto s = top_up(billing, tx, wallet.id, i, origin); !s) return s;
  return {};
}

}  // namespace

Status apply_threshold_rules(BillingService& billing, store::WriteTx& tx, const std::string& wallet_id,
                             const Origin& origin) {
  auto wallet = load(tx, wallet_id);
  if (!wallet) return std::move(wallet).error();
  if (wallet->status != WalletStatus::active) return {};
  std::vector<size_t> firing;
  for (size_t i = 0; i < wallet->recurring_transaction_rules.size() && i < wallet->topup_state.size(); ++i) {
    TopUpRuleState& state = wallet->topup_state[i];
    if (!state.armed || !at_or_below_threshold(*wallet, wallet->recurring_transaction_rules[i])) continue;
    state.armed = false;
    ++state.crossings;
    if (auto s = claim(billing, tx, *wallet, i, fmt::format("threshold:{}", state.crossings)); !s) return s;
    firing.push_back(i);
  }
  // Disarmed before buying: the top-up's settlement re-arms a rule only by taking the balance above it.
  return save_and_top_up(billing, tx, *wallet, firing, origin);
}

Status apply_interval_rules(BillingService& billing, store::WriteTx& tx, const std::string& wallet_id,
                            const Origin& origin) {
  auto wallet = load(tx, wallet_id);
  if (!wallet) return std::move(wallet).error();
  if (wallet->status != WalletStatus::active) return {};
  const int64_t now = billing.now_s();
  std::vector<size_t> firing;
  for (size_t i = 0; i < wallet->recurring_transaction_rules.size() && i < wallet->topup_state.size(); ++i) {
    const auto due = due_boundary(*wallet, i, now);
    if (!due) continue;
    wallet->topup_state[i].last_interval_at = *due;
    if (auto s = claim(billing, tx, *wallet, i, std::to_string(*due)); !s) return s;
    firing.push_back(i);
  }
  // Saved first: the wallet's next wake moves past the boundaries done.
  return save_and_top_up(billing, tx, *wallet, firing, origin);
}

}  // namespace billhook::billing
