#include "billing/wallet_usage.hpp"

#include <algorithm>

#include "billing/progressive_billing.hpp"
#include "billing/usage_fees.hpp"
#include "billing/wallet_ledger.hpp"

namespace billhook::billing {

core::Status refresh_wallet_usage(BillingService& billing, store::WriteTx& tx, const Subscription& sub,
                                  const Period& period, const Origin& origin) {
  // The intake's hot path: most customers have no wallet, and pricing the period (and reading the
  // customer's invoices for what progressive billing took) is only worth it for one that has.
  auto wallets = wallets_of(tx, sub.customer);
  if (!wallets) return std::move(wallets).error();
  if (std::none_of(wallets->begin(), wallets->end(), [&](const Wallet& w) {
        return w.status == WalletStatus::active && w.currency == sub.currency;
      }))
    return {};
  auto lines = period_usage_lines(tx, sub.id, sub.plan, sub.currency, period);
  if (!lines) return std::move(lines).error();
  auto billed = billed_progressively(tx, sub, period);
  if (!billed) return std::move(billed).error();
  int64_t accrued = 0;
  // A usage line is one fee: quantity 1, its amount the unit amount (usage_lines).
  for (const auto& line : less_billed(std::move(*lines), *billed)) accrued += line.unit_amount;
  return set_wallet_usage(billing, tx, sub.customer, sub.currency, sub.id, accrued, origin);
}

}  // namespace billhook::billing
