#pragma once

// Customers, payment methods, invoices and payment attempts as the store keeps them: documents like
// every other (store.hpp knows no billing), under these kinds, with these lookup columns (an
// invoice's customer, status and the next moment time acts on it; a payment method's customer; a
// payment's invoice as its parent), and the stored JSON of codec.hpp as their body.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "billing/invoice.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace billhook::billing::stored {

inline constexpr std::string_view kCustomer = "customer";
inline constexpr std::string_view kPaymentMethod = "payment_method";
inline constexpr std::string_view kInvoice = "invoice";
inline constexpr std::string_view kPayment = "payment";
// The sequence the legal invoice numbers of a year are drawn from (store::WriteTx::next_sequence).
inline constexpr std::string_view kInvoiceNumbers = "invoice_number";

store::DocumentRecord record_of(const Customer& customer);
store::DocumentRecord record_of(const PaymentMethod& method);
// `wake_at`: the next moment time acts on the invoice (BillingService::next_wake).
store::DocumentRecord record_of(const Invoice& invoice, std::optional<int64_t> wake_at);
// One attempt against an invoice, under `id`.
store::DocumentRecord payment_record(std::string_view id, std::string_view invoice_id, int64_t created_ms,
                                     const PaymentRecord& payment);

// A found record's body as the model, if the record is there.
template <class Model, class Decode>
core::Result<std::optional<Model>> decoded(core::Result<std::optional<store::DocumentRecord>> found, Decode decode) {
  if (!found) return std::move(found).error();
  if (!*found) return std::optional<Model>{};
  auto model = decode((*found)->body);
  if (!model) return std::move(model).error();
  return std::optional<Model>{std::move(*model)};
}

// Every record's body as the model, in the records' order.
template <class Model, class Decode>
core::Result<std::vector<Model>> decoded_all(const std::vector<store::DocumentRecord>& records, Decode decode) {
  std::vector<Model> out;
  out.reserve(records.size());
  for (const auto& record : records) {
    auto model = decode(record.body);
    if (!model) return std::move(model).error();
    out.push_back(std::move(*model));
  }
  return out;
}

// Finding them in a write transaction, read back as the model.
core::Result<std::optional<Customer>> find_customer(store::WriteTx& tx, std::string_view id);
core::Result<std::optional<PaymentMethod>> find_payment_method(store::WriteTx& tx, std::string_view id);
core::Result<std::optional<Invoice>> find_invoice(store::WriteTx& tx, std::string_view id);
// Every payment method of a customer, oldest first.
core::Result<std::vector<PaymentMethod>> payment_methods_of(store::WriteTx& tx, std::string_view customer_id);
// The customer's open and uncollectible invoices (what a change of its payment methods concerns), oldest
// first.
core::Result<std::vector<Invoice>> open_invoices_of(store::WriteTx& tx, std::string_view customer_id);

}  // namespace billhook::billing::stored
