#pragma once

// Wallets and prepaid credits (DOMAINS.md §3, issue 16): a customer's credits in one currency, each
// worth `rate_amount` of it. A registered document, kind "wallet", id "wal_…"; its transactions are
// documents of their own, kind "wallet_transaction", id "wtx_…", parented to the wallet. Their structs are
// the stored, API and webhook forms ($defs/wallet, $defs/wallet_transaction).
//
//   wallet:       active ──terminate, or expires_at reached (document clock)──▶ terminated
//   transaction:  pending ──paid──▶ settled         (inbound purchased: a credit_purchase invoice)
//                    └──declined──▶ failed
//                 settled at once                    (inbound granted; outbound consumed / voided)
//
// Money is exact: credits are decimal strings; an inbound transaction's credits × rate must be a whole
// number of the currency's minor unit, so its `amount` is exact, and a draw of `amount` takes credits
// = amount / rate (rounded half-even at 12 digits; a draw of the whole balance takes every credit). The
// wallet's `balance` is always the sum of its settled transactions' signed amounts, its
// `credits_balance` the sum of their signed credits.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/describe.hpp>

#include "billing/invoice.hpp"
#include "billing/registry/document_kind.hpp"
#include "billing/wallet_topup_rule.hpp"
#include "core/decimal.hpp"
#include "core/result.hpp"

namespace billhook::billing {

enum class WalletStatus { active, terminated };
BOOST_DESCRIBE_ENUM(WalletStatus, active, terminated)

// The usage one subscription of the wallet's customer accrued and has not been invoiced for yet.
struct AccruedUsage {
  std::string subscription;
  int64_t amount = 0;  // minor units
  bool operator==(const AccruedUsage&) const = default;
};
BOOST_DESCRIBE_STRUCT(AccruedUsage, (), (subscription, amount))

struct Wallet {
  std::string id;
  std::string customer;
  std::optional<std::string> name;
  std::string currency;
  WalletStatus status = WalletStatus::active;
  std::string rate_amount = "1";      // the price of one credit, in major units of the currency
  std::string credits_balance = "0";  // settled credits
  int64_t balance = 0;                // settled credits in minor units (Σ settled signed amounts)
  std::string ongoing_credits_balance = "0";  // credits less usage accrued but not yet invoiced
  int64_t ongoing_balance = 0;                // balance less usage accrued but not yet invoiced
  std::string consumed_credits = "0";         // drawn by invoices, net of voids
  int64_t consumed_amount = 0;
  std::optional<int64_t> expires_at;
  std::optional<int64_t> terminated_at;
  Metadata metadata;
  std::vector<RecurringTransactionRule> recurring_transaction_rules;  // top-ups (wallet_topup_rule.hpp)
  int64_t created = 0;
  // Kept, not shown: the customer-and-currency slot this wallet claimed (one active wallet each), and
  // whether wallet.balance_depleted was sent for the current crossing (cleared once positive again).
  int64_t slot = 0;
  int64_t accrued_usage = 0;  // minor units of usage accrued and not yet invoiced (the ongoing balance's)
  std::vector<AccruedUsage> accrued;  // that sum per subscription
  bool depleted = false;
  int64_t depletions = 0;  // crossings so far: keys the claim that sends each depletion once
  std::vector<TopUpRuleState> topup_state;  // per rule: its arming and what time did
  int64_t rules_version = 0;                // bumped whenever the rules are set: keys their claims
  bool operator==(const Wallet&) const = default;
};
BOOST_DESCRIBE_STRUCT(Wallet, (),
                      (id, customer, name, currency, status, rate_amount, credits_balance, balance,
                       ongoing_credits_balance, ongoing_balance, consumed_credits, consumed_amount, expires_at,
                       terminated_at, metadata, recurring_transaction_rules, created, slot, accrued_usage, accrued,
                       depleted, depletions, topup_state, rules_version))

enum class WalletTransactionType { inbound, outbound };
BOOST_DESCRIBE_ENUM(WalletTransactionType, inbound, outbound)
enum class WalletTransactionStatus { pending, settled, failed };
BOOST_DESCRIBE_ENUM(WalletTransactionStatus, pending, settled, failed)
enum class WalletTransactionSource { purchased, granted, consumed, voided };
BOOST_DESCRIBE_ENUM(WalletTransactionSource, purchased, granted, consumed, voided)
// What made a transaction: a request or an invoice (manual), or a top-up rule (Lago's `source`).
enum class WalletTransactionTrigger { manual, interval, threshold };
BOOST_DESCRIBE_ENUM(WalletTransactionTrigger, manual, interval, threshold)

// Why a purchase failed ($defs/error_detail: a param is absent rather than empty).
struct WalletFailure {
  std::string code;
  std::string message;
  bool operator==(const WalletFailure&) const = default;
};
BOOST_DESCRIBE_STRUCT(WalletFailure, (), (code, message))

struct WalletTransaction {
  std::string id;
  std::string wallet;
  std::string customer;
  WalletTransactionType type = WalletTransactionType::inbound;
  WalletTransactionStatus status = WalletTransactionStatus::pending;
  WalletTransactionSource source = WalletTransactionSource::granted;
  WalletTransactionTrigger trigger = WalletTransactionTrigger::manual;
  std::string credits = "0";  // exact decimal
  int64_t amount = 0;         // credits × rate, in minor units
  std::string currency;
  std::optional<std::string> invoice;  // the credit_purchase invoice of a purchase; the invoice drawing
  std::optional<WalletFailure> failure;
  std::optional<int64_t> settled_at;
  int64_t created = 0;
  bool operator==(const WalletTransaction&) const = default;
};
BOOST_DESCRIBE_STRUCT(WalletTransaction, (),
                      (id, wallet, customer, type, status, source, trigger, credits, amount, currency, invoice, failure,
                       settled_at, created))

// Wallets: looked up by customer and status; an active one wakes at expires_at.
extern const DocumentKind<Wallet> kWallets;
// Transactions: parented to their wallet, looked up by customer and status.
extern const DocumentKind<WalletTransaction> kWalletTransactions;

// The body of POST /v1/wallets.
struct NewWallet {
  std::string customer;
  std::string currency;
  std::string rate_amount;
  std::optional<std::string> name;
  std::optional<int64_t> expires_at;
  std::optional<Metadata> metadata;
  std::optional<std::string> paid_credits;     // bought at once (a credit_purchase invoice)
  std::optional<std::string> granted_credits;  // given at once
  std::optional<std::vector<NewRecurringTransactionRule>> recurring_transaction_rules;
};
BOOST_DESCRIBE_STRUCT(NewWallet, (),
                      (customer, currency, rate_amount, name, expires_at, metadata, paid_credits, granted_credits,
                       recurring_transaction_rules))

// The body of PATCH /v1/wallets/{id}; a present null clears name or expires_at; rules given replace them all.
struct WalletUpdate {
  std::optional<std::optional<std::string>> name;
  std::optional<std::optional<int64_t>> expires_at;
  std::optional<Metadata> metadata;
  std::optional<std::vector<NewRecurringTransactionRule>> recurring_transaction_rules;
};
BOOST_DESCRIBE_STRUCT(WalletUpdate, (), (name, expires_at, metadata, recurring_transaction_rules))

// The body of POST /v1/wallets/{id}/transactions: at least one of them.
struct NewWalletTransactions {
  std::optional<std::string> paid_credits;
  std::optional<std::string> granted_credits;
  std::optional<std::string> voided_credits;  // taken out of the settled balance
};
BOOST_DESCRIBE_STRUCT(NewWalletTransactions, (), (paid_credits, granted_credits, voided_credits))

// A new active wallet of `slot`. invalid_request naming the field: no customer, an unknown currency, a
// rate that is not a decimal > 0, an expiry not after `now`, metadata too long, bad top-up rules.
core::Result<Wallet> new_wallet(const NewWallet& request, std::string id, int64_t slot, int64_t now);

// `wallet` with `change` applied. conflict "wallet_terminated" once terminated (naming
// recurring_transaction_rules when they were given); an expiry not after now; bad top-up rules.
core::Result<Wallet> updated_wallet(Wallet wallet, const WalletUpdate& change, int64_t now);

// Credits given in a request (`param` names them): a decimal > 0 with at most 12 digits after the point,
// whose value at the wallet's rate is a whole number of minor units. Answers that value in minor units.
core::Result<int64_t> credits_amount(const Wallet& wallet, std::string_view credits, std::string_view param);

// The credits `amount` minor units buy at the wallet's rate: every settled credit when the amount is the
// whole balance, else amount / rate rounded half-even at 12 digits (whose value rounds back to amount).
core::Result<std::string> credits_for(const Wallet& wallet, int64_t amount);

// The credits `amount` minor units buy at the wallet's rate: amount / rate rounded half-even at 12 digits.
core::Result<std::string> credits_at_rate(const Wallet& wallet, int64_t amount);

// A transaction settled into the wallet's balances (inbound adds, outbound takes; consumed moves
// consumed_*). The ongoing balance moves with it.
core::Status settle_into(Wallet& wallet, const WalletTransaction& transaction);

// The ongoing balance with `subscription`'s usage not yet invoiced now `amount` minor units: the
// balance less every subscription's.
core::Status set_accrued(Wallet& wallet, const std::string& subscription, int64_t amount);

// Terminated at `now`. conflict "wallet_terminated" if it already is.
core::Status terminate(Wallet& wallet, int64_t now);

core::Error wallet_terminated(const Wallet& wallet);

}  // namespace billhook::billing
