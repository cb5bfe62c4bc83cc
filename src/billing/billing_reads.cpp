#include "billing/billing_reads.hpp"

#include <boost/json.hpp>

#include "billing/billing_documents.hpp"
#include "billing/codec.hpp"
#include "billing/document_json.hpp"

namespace billhook::billing {
namespace {

using stored::decoded;

template <class Model, class Decode>
core::Result<store::Page<Model>> decoded_page(core::Result<store::Page<store::DocumentRecord>> found, Decode decode) {
  if (!found) return std::move(found).error();
  auto items = stored::decoded_all<Model>(found->items, decode);
  if (!items) return std::move(items).error();
  return store::Page<Model>{std::move(*items), found->has_more};
}

}  // namespace

core::Result<std::optional<Customer>> BillingReads::customer(std::string_view id) {
  return decoded<Customer>(store_.find_document(stored::kCustomer, id), decode_customer);
}

core::Result<store::Page<Customer>> BillingReads::customers(const store::PageRequest& page) {
  return decoded_page<Customer>(store_.list_documents({.page = page, .filter = {.kind = std::string(stored::kCustomer)}}), decode_customer);
}

core::Result<std::optional<PaymentMethod>> BillingReads::payment_method(std::string_view id) {
  return decoded<PaymentMethod>(store_.find_document(stored::kPaymentMethod, id), decode_payment_method);
}

core::Result<store::Page<PaymentMethod>> BillingReads::payment_methods(const PaymentMethodQuery& query) {
  return decoded_page<PaymentMethod>(store_.list_documents(
      {.page = query.page,
       .filter = {.kind = std::string(stored::kPaymentMethod), .customer_id = query.customer_id}}), decode_payment_method);
}

core::Result<std::optional<Invoice>> BillingReads::invoice(std::string_view id) {
  return decoded<Invoice>(store_.find_document(stored::kInvoice, id), decode_invoice);
}

core::Result<store::Page<Invoice>> BillingReads::invoices(const InvoiceQuery& query) {
  return decoded_page<Invoice>(store_.list_documents(
      {.page = query.page,
       .filter = {.kind = std::string(stored::kInvoice), .customer_id = query.customer_id, .status = query.status}}), decode_invoice);
}

core::Result<std::optional<boost::json::array>> BillingReads::payments(std::string_view invoice_id) {
  auto invoice = store_.find_document(stored::kInvoice, invoice_id);
  if (!invoice) return std::move(invoice).error();
  if (!*invoice) return std::optional<boost::json::array>{};
  auto payments =
      store_.find_documents({.kind = std::string(stored::kPayment), .parent_id = std::string(invoice_id)});
  if (!payments) return std::move(payments).error();
  boost::json::array out;
  for (const auto& p : *payments) {
    auto object = doc_json::parse_object(p.body, "payment");
    if (!object) return std::move(object).error();
    out.push_back(std::move(*object));
  }
  return std::optional<boost::json::array>{std::move(out)};
}

}  // namespace billhook::billing
