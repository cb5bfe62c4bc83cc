#include "billing/wallet_purchase.hpp"

#include <utility>

#include <boost/json.hpp>
#include <fmt/format.h>

namespace billhook::billing {

namespace json = boost::json;
using core::Result;

Result<WalletTransaction> purchase_credits(BillingService& billing, store::WriteTx& tx, const Wallet& wallet,
                                          const std::string& credits, int64_t amount,
                                          WalletTransactionTrigger trigger, const Origin& origin) {
  WalletTransaction t{.id = billing.ids().next(core::IdKind::wallet_transaction),
                      .wallet = wallet.id,
                      .customer = wallet.customer,
                      .type = WalletTransactionType::inbound,
                      .status = WalletTransactionStatus::pending,
                      .source = WalletTransactionSource::purchased,
                      .trigger = trigger,
                      .credits = credits,
                      .amount = amount,
                      .currency = wallet.currency,
                      .created = billing.now_s()};
  // The credits are billed on an invoice of their own, collected from the customer's cards at once.
  Invoice doc;
  doc.customer_id = wallet.customer;
  doc.currency = wallet.currency;
  doc.collection_method = CollectionMethod::charge_automatically;
  doc.billing_reason = BillingReason::credit_purchase;
  doc.description = fmt::format("Prepaid credits for wallet {}", wallet.id);
  doc.metadata["wallet"] = wallet.id;
  doc.metadata[std::string(kPurchaseTransactionKey)] = t.id;
  doc.lines.push_back(LineItem{.description = fmt::format("{} prepaid credits", credits),
                               .quantity_milli = 1000,
                               .unit_amount = amount});
  auto made = billing.create_invoice(tx, std::move(doc), /*auto_finalize=*/true, origin);
  if (!made) return std::move(made).error();
  if (made->refusal) return *made->refusal;
  t.invoice = made->invoice.id;
  if (auto s = kWalletTransactions.insert(tx, t, t.id, t.created * 1000); !s) return std::move(s).error();
  auto paid = billing.pay(tx, made->invoice.id, PayRequest{}, origin);
  if (!paid) return std::move(paid).error();
  // Paid: the observer settled it. Waiting on the customer (3-D Secure): pending until paid.
  auto after = kWalletTransactions.find(tx, t.id);
  if (!after) return std::move(after).error();
  t = std::move(**after);
  const Invoice& invoice = paid->invoice;
  if (t.status != WalletTransactionStatus::pending || invoice.status == InvoiceStatus::paid) return t;
  if (invoice.payment && invoice.payment->next_action) return t;
  // Declined, or no usable card: the purchase fails and its invoice is voided, never retried.
  t.status = WalletTransactionStatus::failed;
  t.failure = WalletFailure{
      .code = invoice.payment && invoice.payment->failure_code ? *invoice.payment->failure_code : "payment_failed",
      .message = invoice.payment && invoice.payment->failure_message ? *invoice.payment->failure_message
                                                                     : "the customer has no usable card"};
  if (auto s = kWalletTransactions.update(tx, t, t.id); !s) return std::move(s).error();
  const json::object shown = kWalletTransactions.api_json(t);
  if (auto s = billing.append(tx, "wallet_transaction.payment_failed", "wallet_transaction", t.id, shown, {}, origin);
      !s)
    return std::move(s).error();
  if (auto s = billing.append(tx, "wallet_transaction.updated", "wallet_transaction", t.id, shown, {}, origin); !s)
    return std::move(s).error();
  auto voided = billing.apply(tx, invoice.id, Void{}, origin);
  if (!voided) return std::move(voided).error();
  return t;
}

}  // namespace billhook::billing
