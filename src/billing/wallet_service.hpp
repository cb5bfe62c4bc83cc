#pragma once

// Wallets on the store (wallet.hpp): create, change, terminate, and add transactions — each in the
// request's transaction — and, on the document clock, expiry.
//
// One active wallet per customer and currency: a new wallet claims the slot (customer, currency, n),
// n being how many wallets of that currency the customer had before, so two concurrent creates cannot
// both win (the second claim fails and its transaction rolls back), and terminating frees the next slot.
//
// Purchases (paid_credits) are billed on a credit_purchase invoice, issued and collected at once from the
// customer's cards through the processor: paid, the transaction settles (wallet_transaction.updated);
// declined, it fails (wallet_transaction.payment_failed, wallet_transaction.updated) and its invoice is
// voided, so collection never retries it. A purchase waiting on the customer (3-D Secure) stays pending
// until its invoice is paid: the service observes invoice.paid. Grants settle at once; voided_credits
// take credits out of the settled balance (never below zero). A voided invoice gives back what it drew.
//
// Expiry: on_wake, the wallet's handler on the document clock, terminates an active wallet at
// expires_at (wallet.terminated), once: the terminated status is saved in the same transaction. Before
// then, it runs the interval top-up rules that are due (wallet_topup.hpp): the wallet wakes at the
// earliest of its expiry and its next top-up.

#include <string_view>

#include <boost/json/object.hpp>

#include "billing/billing_service.hpp"
#include "billing/registry/document_clock.hpp"
#include "billing/registry/registry.hpp"
#include "billing/wallet.hpp"
#include "store/store.hpp"

namespace billhook::billing {

class WalletService {
 public:
  explicit WalletService(BillingService& billing);
  ~WalletService();
  WalletService(const WalletService&) = delete;
  WalletService& operator=(const WalletService&) = delete;

  core::Result<Wallet> create(store::WriteTx& tx, const NewWallet& request, const Origin& origin);
  core::Result<Wallet> update(store::WriteTx& tx, std::string_view id, const WalletUpdate& change,
                              const Origin& origin);
  core::Result<Wallet> terminate(store::WriteTx& tx, std::string_view id, const Origin& origin);
  // The transactions made, in the order given (paid, granted, voided).
  core::Result<std::vector<WalletTransaction>> add_transactions(store::WriteTx& tx, std::string_view id,
                                                                const NewWalletTransactions& request,
                                                                const Origin& origin);

  // The wallet's handler on the document clock.
  core::Result<bool> on_wake(store::WriteTx& tx, const Wake& wake);

 private:
  core::Result<Wallet> load(store::WriteTx& tx, std::string_view id);
  core::Result<std::vector<WalletTransaction>> transact(store::WriteTx& tx, Wallet& wallet,
                                                        const NewWalletTransactions& request, const Origin& origin);
  core::Status on_invoice_event(store::WriteTx& tx, std::string_view type, const boost::json::object& invoice,
                                const Origin& origin);
  core::Status end(store::WriteTx& tx, Wallet& wallet, const Origin& origin);

  BillingService& billing_;
};

// Wallets on the registry: POST/GET /v1/wallets, GET/PATCH /v1/wallets/{id}, …/terminate,
// POST/GET …/transactions (also GET /v1/wallet-transactions?wallet=…), and expiry on the document clock.
void register_wallets(DocumentRegistry& registry);

}  // namespace billhook::billing
