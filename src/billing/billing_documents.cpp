#include "billing/billing_documents.hpp"

#include <utility>

#include "billing/codec.hpp"

namespace billhook::billing::stored {

store::DocumentRecord record_of(const Customer& customer) {
  return {.kind = std::string(kCustomer),
          .id = customer.id,
          .customer_id = {},
          .parent_id = {},
          .status = {},
          .created_ms = customer.created * 1000,
          .body = encode(customer),
          .wake_at = std::nullopt};
}

store::DocumentRecord record_of(const PaymentMethod& method) {
  return {.kind = std::string(kPaymentMethod),
          .id = method.id,
          .customer_id = method.customer_id,
          .parent_id = {},
          .status = {},
          .created_ms = method.created * 1000,
          .body = encode(method),
          .wake_at = std::nullopt};
}

store::DocumentRecord record_of(const Invoice& invoice, std::optional<int64_t> wake_at) {
  return {.kind = std::string(kInvoice),
          .id = invoice.id,
          .customer_id = invoice.customer_id,
          .parent_id = {},
          .status = std::string(to_string(invoice.status)),
          .created_ms = invoice.created * 1000,
          .body = encode(invoice),
          .wake_at = wake_at};
}

store::DocumentRecord payment_record(std::string_view id, std::string_view invoice_id, int64_t created_ms,
                                     const PaymentRecord& payment) {
  return {.kind = std::string(kPayment),
          .id = std::string(id),
          .customer_id = {},
          .parent_id = std::string(invoice_id),
          .status = {},
          .created_ms = created_ms,
          .body = encode(payment),
          .wake_at = std::nullopt};
}

core::Result<std::optional<Customer>> find_customer(store::WriteTx& tx, std::string_view id) {
  return decoded<Customer>(tx.find_document(kCustomer, id), decode_customer);
}

core::Result<std::optional<PaymentMethod>> find_payment_method(store::WriteTx& tx, std::string_view id) {
  return decoded<PaymentMethod>(tx.find_document(kPaymentMethod, id), decode_payment_method);
}

core::Result<std::optional<Invoice>> find_invoice(store::WriteTx& tx, std::string_view id) {
  return decoded<Invoice>(tx.find_document(kInvoice, id), decode_invoice);
}

core::Result<std::vector<PaymentMethod>> payment_methods_of(store::WriteTx& tx, std::string_view customer_id) {
  auto found = tx.find_documents({.kind = std::string(kPaymentMethod), .customer_id = std::string(customer_id)});
  if (!found) return std::move(found).error();
  return decoded_all<PaymentMethod>(*found, decode_payment_method);
}

core::Result<std::vector<Invoice>> open_invoices_of(store::WriteTx& tx, std::string_view customer_id) {
  auto found = tx.find_documents({.kind = std::string(kInvoice),
                                  .customer_id = std::string(customer_id),
                                  .any_status = {std::string(to_string(InvoiceStatus::open)),
                                                 std::string(to_string(InvoiceStatus::uncollectible))}});
  if (!found) return std::move(found).error();
  return decoded_all<Invoice>(*found, decode_invoice);
}

}  // namespace billhook::billing::stored
