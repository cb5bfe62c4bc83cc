#include "billing/wallet.hpp"

#include <utility>

#include <fmt/format.h>

#include "core/money.hpp"

namespace billhook::billing {
namespace {

using core::Decimal;
using core::Error;
using core::Result;
using core::Status;

// A rate keeps at most this many significant digits, so that its coefficient divides as an int64.
constexpr size_t kMaxRateDigits = 15;

Error invalid(std::string message, std::string param) {
  return Error::invalid("parameter_invalid", std::move(message), std::move(param));
}

// An active wallet wakes at the earliest of its expiry and its next interval top-up.
std::optional<int64_t> wallet_wake_at(const Wallet& wallet) {
  if (wallet.status != WalletStatus::active) return std::nullopt;
  std::optional<int64_t> at = wallet.expires_at;
  if (auto topup = next_topup_at(wallet); topup && (!at || *topup < *at)) at = topup;
  return at;
}

DocumentLookup wallet_lookup(const Wallet& wallet) {
  return {.customer_id = wallet.customer,
          .parent_id = {},
          .status = std::string(core::described::name_of(wallet.status)),
          .wake_at = wallet_wake_at(wallet)};
}

DocumentLookup transaction_lookup(const WalletTransaction& t) {
  return {.customer_id = t.customer,
          .parent_id = t.wallet,
          .status = std::string(core::described::name_of(t.status)),
          .wake_at = std::nullopt};
}

// A stored decimal (written by this file only).
Decimal stored(const std::string& text) {
  auto d = Decimal::parse(text);
  return d ? *d : Decimal{};
}

// The rate as coefficient / 10^scale.
struct RateParts {
  int64_t coefficient = 1;
  int scale = 0;
};

Result<RateParts> rate_parts(const Decimal& rate, std::string_view param) {
  std::string digits;
  for (char c : rate.to_string())
    if (c != '.') digits += c;
  const size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos || rate.sign() <= 0)
    return invalid(fmt::format("'{}' must be greater than 0", param), std::string(param));
  digits = digits.substr(first);
  if (digits.size() > kMaxRateDigits)
    return invalid(fmt::format("'{}' has at most {} significant digits", param, kMaxRateDigits), std::string(param));
  return RateParts{std::stoll(digits), rate.scale()};
}

// `major` / rate, rounded half-even at 12 digits.
Result<Decimal> divided_by_rate(const Decimal& major, const std::string& rate_text) {
  auto parts = rate_parts(stored(rate_text), "rate_amount");
  if (!parts) return std::move(parts).error();
  int64_t ten = 1;
  for (int i = 0; i < parts->scale; ++i) ten *= 10;
  auto scaled = major.times(Decimal::of(ten));
  if (!scaled) return scaled;
  return scaled->divided_half_even(parts->coefficient, Decimal::kMaxInputScale);
}

Status check_metadata(const Metadata& metadata) {
  for (const auto& [key, value] : metadata)
    if (value.size() > kMaxMetadataValueLength)
      return invalid(fmt::format("a metadata value is at most {} characters", kMaxMetadataValueLength),
                     "metadata." + key);
  return {};
}

Status check_expiry(const std::optional<int64_t>& expires_at, int64_t now) {
  if (expires_at && *expires_at <= now) return invalid("'expires_at' must be in the future", "expires_at");
  return {};
}

// The ongoing pair from the balance and the usage accrued.
Status refresh_ongoing(Wallet& wallet) {
  auto ongoing = core::checked_sub(wallet.balance, wallet.accrued_usage);
  if (!ongoing) return std::move(ongoing).error();
  wallet.ongoing_balance = *ongoing;
  auto exponent = core::currency_exponent(wallet.currency);
  if (!exponent) return std::move(exponent).error();
  auto credits = divided_by_rate(Decimal::from_minor(wallet.ongoing_balance, *exponent), wallet.rate_amount);
  if (!credits) return std::move(credits).error();
  wallet.ongoing_credits_balance = credits->to_string();
  return {};
}

}  // namespace

const DocumentKind<Wallet> kWallets{.kind = "wallet",
                                    .noun = "wallet",
                                    .id_kind = core::IdKind::wallet,
                                    .hidden_fields = {"slot", "accrued_usage", "accrued", "depleted", "depletions",
                                                      "topup_state", "rules_version"},
                                    .lookup = &wallet_lookup};

const DocumentKind<WalletTransaction> kWalletTransactions{.kind = "wallet_transaction",
                                                          .noun = "wallet transaction",
                                                          .id_kind = core::IdKind::wallet_transaction,
                                                          .hidden_fields = {},
                                                          .lookup = &transaction_lookup};

Error wallet_terminated(const Wallet& wallet) {
  return Error::conflict("wallet_terminated", fmt::format("wallet {} is terminated: it can no longer change", wallet.id));
}

Result<Wallet> new_wallet(const NewWallet& request, std::string id, int64_t slot, int64_t now) {
  if (request.customer.empty()) return Error::invalid("parameter_missing", "'customer' is required", "customer");
  if (!core::is_known_currency(request.currency))
    return Error::invalid("unknown_currency",
                          fmt::format("'{}' is not an active ISO 4217 currency code", request.currency.substr(0, 10)),
                          "currency");
  auto rate = Decimal::parse(request.rate_amount, "rate_amount");
  if (!rate) return std::move(rate).error();
  if (auto parts = rate_parts(*rate, "rate_amount"); !parts) return std::move(parts).error();
  if (auto s = check_expiry(request.expires_at, now); !s) return std::move(s).error();
  if (request.metadata)
    if (auto s = check_metadata(*request.metadata); !s) return std::move(s).error();
  Wallet wallet{.id = std::move(id),
                .customer = request.customer,
                .name = request.name,
                .currency = request.currency,
                .status = WalletStatus::active,
                .rate_amount = rate->to_string(),
                .expires_at = request.expires_at,
                .metadata = request.metadata.value_or(Metadata{}),
                .created = now,
                .slot = slot};
  if (auto s = refresh_ongoing(wallet); !s) return std::move(s).error();
  if (request.recurring_transaction_rules) {
    auto rules = read_topup_rules(*request.recurring_transaction_rules, wallet);
    if (!rules) return std::move(rules).error();
    set_topup_rules(wallet, std::move(*rules), now);
  }
  return wallet;
}

Result<Wallet> updated_wallet(Wallet wallet, const WalletUpdate& change, int64_t now) {
  if (wallet.status != WalletStatus::active) {
    Error refused = wallet_terminated(wallet);
    if (change.recurring_transaction_rules) refused.param = "recurring_transaction_rules";
    return refused;
  }
  if (change.name) wallet.name = *change.name;
  if (change.expires_at) {
    if (auto s = check_expiry(*change.expires_at, now); !s) return std::move(s).error();
    wallet.expires_at = *change.expires_at;
  }
  if (change.metadata) {
    if (auto s = check_metadata(*change.metadata); !s) return std::move(s).error();
    wallet.metadata = *change.metadata;
  }
  if (change.recurring_transaction_rules) {
    auto rules = read_topup_rules(*change.recurring_transaction_rules, wallet);
    if (!rules) return std::move(rules).error();
    set_topup_rules(wallet, std::move(*rules), now);
  }
  return wallet;
}

Result<int64_t> credits_amount(const Wallet& wallet, std::string_view credits, std::string_view param) {
  auto value = Decimal::parse(credits, param);
  if (!value) return std::move(value).error();
  if (value->sign() <= 0) return invalid(fmt::format("'{}' must be greater than 0", param), std::string(param));
  auto worth = value->times(stored(wallet.rate_amount));
  if (!worth) return Error::invalid(worth.error().code, worth.error().message, std::string(param));
  auto exponent = core::currency_exponent(wallet.currency);
  if (!exponent) return std::move(exponent).error();
  auto minor = worth->to_minor_half_even(*exponent);
  if (!minor) return Error::invalid(minor.error().code, minor.error().message, std::string(param));
  // Exact money: the credits must be worth a whole number of minor units at the wallet's rate.
  if (!(Decimal::from_minor(*minor, *exponent) == *worth))
    return invalid(fmt::format("'{}' × rate_amount {} must be a whole amount of {} (got {})", param,
                               wallet.rate_amount, wallet.currency, worth->to_string()),
                   std::string(param));
  if (*minor <= 0) return invalid(fmt::format("'{}' is worth nothing at this rate", param), std::string(param));
  return *minor;
}

Result<std::string> credits_for(const Wallet& wallet, int64_t amount) {
  if (amount == wallet.balance) return wallet.credits_balance;
  return credits_at_rate(wallet, amount);
}

Result<std::string> credits_at_rate(const Wallet& wallet, int64_t amount) {
  auto exponent = core::currency_exponent(wallet.currency);
  if (!exponent) return std::move(exponent).error();
  auto credits = divided_by_rate(Decimal::from_minor(amount, *exponent), wallet.rate_amount);
  if (!credits) return std::move(credits).error();
  return credits->to_string();
}

Status settle_into(Wallet& wallet, const WalletTransaction& t) {
  const bool in = t.type == WalletTransactionType::inbound;
  const Decimal credits = stored(t.credits);
  auto balance = in ? core::checked_add(wallet.balance, t.amount) : core::checked_sub(wallet.balance, t.amount);
  if (!balance) return std::move(balance).error();
  auto credit_balance = in ? stored(wallet.credits_balance).plus(credits) : stored(wallet.credits_balance).minus(credits);
  if (!credit_balance) return std::move(credit_balance).error();
  wallet.balance = *balance;
  wallet.credits_balance = credit_balance->to_string();
  // Consumption is what invoices drew, net of what voided invoices gave back.
  if (t.source == WalletTransactionSource::consumed) {
    auto consumed = in ? core::checked_sub(wallet.consumed_amount, t.amount)
                       : core::checked_add(wallet.consumed_amount, t.amount);
    if (!consumed) return std::move(consumed).error();
    auto consumed_credits =
        in ? stored(wallet.consumed_credits).minus(credits) : stored(wallet.consumed_credits).plus(credits);
    if (!consumed_credits) return std::move(consumed_credits).error();
    wallet.consumed_amount = *consumed;
    wallet.consumed_credits = consumed_credits->to_string();
  }
  return refresh_ongoing(wallet);
}

Status set_accrued(Wallet& wallet, const std::string& subscription, int64_t amount) {
  std::erase_if(wallet.accrued, [&](const AccruedUsage& a) { return a.subscription == subscription; });
  if (amount != 0) wallet.accrued.push_back({.subscription = subscription, .amount = amount});
  int64_t sum = 0;
  for (const auto& a : wallet.accrued) {
    auto next = core::checked_add(sum, a.amount);
    if (!next) return std::move(next).error();
    sum = *next;
  }
  wallet.accrued_usage = sum;
  return refresh_ongoing(wallet);
}

Status terminate(Wallet& wallet, int64_t now) {
  if (wallet.status != WalletStatus::active) return wallet_terminated(wallet);
  wallet.status = WalletStatus::terminated;
  wallet.terminated_at = now;
  return {};
}

}  // namespace billhook::billing
