#include "billing/wallet_service.hpp"

#include <memory>
#include <utility>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "billing/previous_attributes.hpp"
#include "billing/wallet_ledger.hpp"
#include "billing/wallet_purchase.hpp"
#include "billing/wallet_topup.hpp"

namespace billhook::billing {
namespace {

namespace json = boost::json;
using core::Error;
using core::Result;
using core::Status;

Status append_wallet(BillingService& billing, store::WriteTx& tx, const std::string& type, const Wallet& wallet,
                     json::object previous, const Origin& origin) {
  return billing.append(tx, type, "wallet", wallet.id, kWallets.api_json(wallet), std::move(previous), origin);
}

}  // namespace

WalletService::WalletService(BillingService& billing) : billing_(billing) {
  billing_.observe_events(this, "invoice",
                          [this](store::WriteTx& tx, std::string_view type, const json::object& invoice,
                                 const Origin& origin) { return on_invoice_event(tx, type, invoice, origin); });
}

WalletService::~WalletService() { billing_.stop_observing(this); }

Result<Wallet> WalletService::load(store::WriteTx& tx, std::string_view id) {
  auto found = kWallets.find(tx, id);
  if (!found) return std::move(found).error();
  if (!*found) return kWallets.not_found(id);
  return std::move(**found);
}

Result<Wallet> WalletService::create(store::WriteTx& tx, const NewWallet& request, const Origin& origin) {
  const int64_t now = billing_.now_s();
  auto made = new_wallet(request, billing_.ids().next(core::IdKind::wallet), 0, now);
  if (!made) return made;
  Wallet wallet = std::move(*made);
  // The credits are read before anything is written, so bad credits change nothing.
  for (const auto* credits : {&request.paid_credits, &request.granted_credits})
    if (*credits)
      if (auto ok = credits_amount(wallet, **credits, credits == &request.paid_credits ? "paid_credits"
                                                                                         : "granted_credits");
          !ok)
        return std::move(ok).error();
  if (auto customer = billing_.load_customer(tx, wallet.customer, "customer"); !customer)
    return std::move(customer).error();
  auto existing = wallets_of(tx, wallet.customer);
  if (!existing) return std::move(existing).error();
  for (const auto& w : *existing) {
    if (w.currency != wallet.currency) continue;
    if (w.status == WalletStatus::active)
      return Error::conflict("wallet_exists",
                             fmt::format("customer {} already has active wallet {} in {}", wallet.customer, w.id,
                                         wallet.currency),
                             "currency");
    ++wallet.slot;
  }
  auto claimed = tx.claim_once(fmt::format("wallet:{}:{}:{}", wallet.customer, wallet.currency, wallet.slot),
                               wallet.id, now * 1000);
  if (!claimed) return std::move(claimed).error();
  if (!*claimed)
    return Error::conflict("wallet_exists",
                           fmt::format("customer {} already has an active wallet in {}", wallet.customer,
                                       wallet.currency),
                           "currency");
  if (auto s = kWallets.insert(tx, wallet, wallet.id, now * 1000); !s) return std::move(s).error();
  if (auto s = append_wallet(billing_, tx, "wallet.created", wallet, {}, origin); !s) return std::move(s).error();
  if (request.paid_credits || request.granted_credits) {
    auto made_tx = transact(tx, wallet,
                            {.paid_credits = request.paid_credits, .granted_credits = request.granted_credits},
                            origin);
    if (!made_tx) return std::move(made_tx).error();
    return load(tx, wallet.id);
  }
  return wallet;
}

Result<Wallet> WalletService::update(store::WriteTx& tx, std::string_view id, const WalletUpdate& change,
                                     const Origin& origin) {
  auto wallet = load(tx, id);
  if (!wallet) return wallet;
  const Wallet before = *wallet;
  auto after = updated_wallet(std::move(*wallet), change, billing_.now_s());
  if (!after) return after;
  if (auto s = kWallets.update(tx, *after, after->id); !s) return std::move(s).error();
  json::object previous = previous_attributes(kWallets.api_json(before), kWallets.api_json(*after));
  if (!previous.empty())
    if (auto s = append_wallet(billing_, tx, "wallet.updated", *after, std::move(previous), origin); !s)
      return std::move(s).error();
  return after;
}

Status WalletService::end(store::WriteTx& tx, Wallet& wallet, const Origin& origin) {
  const json::object before = kWallets.api_json(wallet);
  if (auto s = billhook::billing::terminate(wallet, billing_.now_s()); !s) return s;
  if (auto s = kWallets.update(tx, wallet, wallet.id); !s) return s;
  return append_wallet(billing_, tx, "wallet.terminated", wallet,
                       previous_attributes(before, kWallets.api_json(wallet)), origin);
}

Result<Wallet> WalletService::terminate(store::WriteTx& tx, std::string_view id, const Origin& origin) {
  auto wallet = load(tx, id);
  if (!wallet) return wallet;
  if (auto s = end(tx, *wallet, origin); !s) return std::move(s).error();
  return wallet;
}

Result<std::vector<WalletTransaction>> WalletService::add_transactions(store::WriteTx& tx, std::string_view id,
                                                                       const NewWalletTransactions& request,
                                                                       const Origin& origin) {
  auto wallet = load(tx, id);
  if (!wallet) return std::move(wallet).error();
  if (wallet->status != WalletStatus::active) {
    Error refused = wallet_terminated(*wallet);
    refused.param = request.paid_credits ? "paid_credits" : request.granted_credits ? "granted_credits" : "voided_credits";
    return refused;
  }
  if (!request.paid_credits && !request.granted_credits && !request.voided_credits)
    return Error::invalid("parameter_missing", "give paid_credits, granted_credits or voided_credits", "paid_credits");
  return transact(tx, *wallet, request, origin);
}

Result<std::vector<WalletTransaction>> WalletService::transact(store::WriteTx& tx, Wallet& wallet,
                                                               const NewWalletTransactions& request,
                                                               const Origin& origin) {
  // Every amount is checked before the first is written: bad credits change nothing.
  struct Step {
    const std::optional<std::string>& credits;
    std::string_view param;
    int64_t amount = 0;
  };
  Step steps[] = {{request.paid_credits, "paid_credits"},
                  {request.granted_credits, "granted_credits"},
                  {request.voided_credits, "voided_credits"}};
  for (auto& step : steps) {
    if (!step.credits) continue;
    auto amount = credits_amount(wallet, *step.credits, step.param);
    if (!amount) return std::move(amount).error();
    step.amount = *amount;
  }
  const auto normalized = [](const std::string& text) { return core::Decimal::parse(text)->to_string(); };
  std::vector<WalletTransaction> made;
  for (const auto& step : steps) {
    if (!step.credits) continue;
    // A purchase settles through its invoice's observer: the wallet is read again after each step.
    auto current = load(tx, wallet.id);
    if (!current) return std::move(current).error();
    wallet = std::move(*current);
    if (step.param == "paid_credits") {
      auto bought = purchase_credits(billing_, tx, wallet, normalized(*step.credits), step.amount,
                                     WalletTransactionTrigger::manual, origin);
      if (!bought) return std::move(bought).error();
      made.push_back(std::move(*bought));
      continue;
    }
    const bool grant = step.param == "granted_credits";
    WalletTransaction t{.id = billing_.ids().next(core::IdKind::wallet_transaction),
                        .wallet = wallet.id,
                        .customer = wallet.customer,
                        .type = grant ? WalletTransactionType::inbound : WalletTransactionType::outbound,
                        .status = WalletTransactionStatus::pending,
                        .source = grant ? WalletTransactionSource::granted : WalletTransactionSource::voided,
                        .credits = normalized(*step.credits),
                        .amount = step.amount,
                        .currency = wallet.currency,
                        .created = billing_.now_s()};
    if (auto s = settle_transaction(billing_, tx, wallet, t, /*is_new=*/true, origin); !s) return std::move(s).error();
    made.push_back(std::move(t));
  }
  auto current = load(tx, wallet.id);
  if (!current) return std::move(current).error();
  wallet = std::move(*current);
  return made;
}

Status WalletService::on_invoice_event(store::WriteTx& tx, std::string_view type, const json::object& invoice,
                                       const Origin& origin) {
  if (type != "invoice.paid" && type != "invoice.voided" && type != "invoice.finalized") return {};
  const auto* id = invoice.if_contains("id");
  if (!id || !id->is_string()) return Error::internal(fmt::format("{} without an invoice id", type));
  if (type == "invoice.finalized") {
    // A subscription's invoice bills its usage to date: none is accrued-but-not-invoiced any more (the
    // intake that issued a progressive invoice recomputes what is left right after).
    const auto* sub = invoice.if_contains("subscription");
    const auto* customer = invoice.if_contains("customer");
    const auto* currency = invoice.if_contains("currency");
    if (!sub || !sub->is_string() || !customer || !customer->is_string() || !currency || !currency->is_string())
      return {};
    return set_wallet_usage(billing_, tx, std::string(customer->get_string()), std::string(currency->get_string()),
                            std::string(sub->get_string()), 0, origin, /*check=*/false);
  }
  if (type == "invoice.voided") {
    const auto* customer = invoice.if_contains("customer");
    if (!customer || !customer->is_string()) return Error::internal("invoice.voided without a customer");
    return give_back_draws(billing_, tx, std::string(customer->get_string()), std::string(id->get_string()), origin);
  }
  // A purchase's invoice paid: its transaction settles.
  const auto* metadata = invoice.if_contains("metadata");
  const auto* key = metadata && metadata->is_object() ? metadata->as_object().if_contains(kPurchaseTransactionKey) : nullptr;
  if (!key || !key->is_string()) return {};
  auto found = kWalletTransactions.find(tx, key->get_string());
  if (!found) return std::move(found).error();
  if (!*found || (*found)->status != WalletTransactionStatus::pending) return {};
  WalletTransaction t = std::move(**found);
  auto wallet = load(tx, t.wallet);
  if (!wallet) return std::move(wallet).error();
  // Paid for a wallet terminated meanwhile: the money is the customer's credit, not lost (the invoice is
  // paid); the transaction still settles into the terminated wallet's record.
  return settle_transaction(billing_, tx, *wallet, t, /*is_new=*/false, origin);
}

Result<bool> WalletService::on_wake(store::WriteTx& tx, const Wake& wake) {
  auto found = kWallets.find(tx, wake.id);
  if (!found) return std::move(found).error();
  if (!*found) return false;
  Wallet wallet = std::move(**found);
  if (wallet.status != WalletStatus::active) return false;
  if (wallet.expires_at && *wallet.expires_at <= billing_.now_s()) {
    if (auto s = end(tx, wallet, Origin{}); !s) return std::move(s).error();
    return false;
  }
  // Not expired: the interval top-ups due (the wallet wakes at the earliest of the two).
  if (auto s = apply_interval_rules(billing_, tx, wallet.id, Origin{}); !s) return std::move(s).error();
  return false;
}

void register_wallets(DocumentRegistry& registry) {
  registry.provide(service_factory<WalletService>(
      [](const DomainDeps& deps) { return std::make_unique<WalletService>(deps.billing); }));

  RegisteredKind wallets = registered(kWallets, "/v1/wallets", "Wallet");
  wallets.customer_filter = "customer";
  wallets.wake = wake_with(&WalletService::on_wake);
  DocumentCommand create = create_command<WalletService, NewWallet>(
      "Create a wallet",
      "Prepaid credits for a `customer` in one `currency`, each worth `rate_amount` (a decimal string > 0). "
      "One active wallet per customer and currency (a second is a 409 naming `currency`). Optional "
      "`paid_credits` (billed on a credit_purchase invoice and charged to the customer's card) and "
      "`granted_credits` (free, settled at once), as decimal strings worth whole minor units at the rate; "
      "`expires_at`, when the wallet terminates by itself; `recurring_transaction_rules` (at most 5), each a "
      "`trigger` — `interval` (`interval` weekly or monthly, from `started_at` or the wallet's creation) or "
      "`threshold` (`threshold_credits`: when usage or an invoice's draw leaves the ongoing credits at or below "
      "it) — and a `method` — `fixed` (`paid_credits`, `granted_credits`) or `target` "
      "(`target_ongoing_balance`). Sends `wallet.created`, then per transaction `wallet_transaction.updated` "
      "and `wallet.updated`.",
      [](WalletService& s, store::WriteTx& tx, const NewWallet& request, const Origin& origin) {
        return kWallets.answer(s.create(tx, request, origin));
      });
  create.wakes_clock = true;
  DocumentCommand update = document_command<WalletService, WalletUpdate>(
      "PATCH", "", "Change a wallet",
      "Its `name`, `expires_at` (null: never), `metadata` or `recurring_transaction_rules` (given, they replace "
      "the rules): `wallet.updated` with the old values. A terminated wallet is a 409 `wallet_terminated`.",
      [](WalletService& s, store::WriteTx& tx, std::string_view id, const WalletUpdate& change,
         const Origin& origin) { return kWallets.answer(s.update(tx, id, change, origin)); });
  update.wakes_clock = true;
  wallets.commands = {
      std::move(create),
      std::move(update),
      document_command<WalletService, NoParams>(
          "POST", "terminate", "Terminate a wallet",
          "The wallet is `terminated` (`wallet.terminated`): its credits can no longer be used or topped up.",
          [](WalletService& s, store::WriteTx& tx, std::string_view id, const NoParams&, const Origin& origin) {
            return kWallets.answer(s.terminate(tx, id, origin));
          }),
      document_command<WalletService, NewWalletTransactions>(
          "POST", "transactions", "Add wallet transactions",
          "`paid_credits` (a purchase: pending until its credit_purchase invoice is paid by card, then settled; "
          "declined, failed with `wallet_transaction.payment_failed`), `granted_credits` (settled at once) and "
          "`voided_credits` (taken out of the settled balance, never below zero). Every settlement or failure "
          "sends `wallet_transaction.updated`. Answers the list of transactions made. A terminated wallet is a "
          "409 `wallet_terminated`.",
          [](WalletService& s, store::WriteTx& tx, std::string_view id, const NewWalletTransactions& request,
             const Origin& origin) -> Result<json::object> {
            auto made = s.add_transactions(tx, id, request, origin);
            if (!made) return std::move(made).error();
            json::array data;
            for (const auto& t : *made) data.push_back(kWalletTransactions.api_json(t));
            return json::object{{"object", "list"}, {"data", std::move(data)}, {"has_more", false}};
          }),
  };
  registry.add(std::move(wallets));

  // A wallet's transactions: GET /v1/wallets/{id}/transactions or /v1/wallet-transactions?wallet=wal_…,
  // newest first.
  RegisteredKind transactions = registered(kWalletTransactions, "/v1/wallet-transactions", "WalletTransaction");
  transactions.parent_filter = "wallet";
  transactions.nested_list = "/v1/wallets/{id}/transactions";
  transactions.customer_filter = "customer";
  registry.add(std::move(transactions));
}

}  // namespace billhook::billing
