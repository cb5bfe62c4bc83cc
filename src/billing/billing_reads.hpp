#pragma once

// Reading customers, payment methods and invoices (billing_documents.hpp) back as the billing model: what the API's GET routes call, so that no route reads the store or
// decodes a stored body itself. Registered documents are read through DocumentReads.

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/array.hpp>

#include "billing/invoice.hpp"
#include "store/store.hpp"

namespace billhook::billing {

struct InvoiceQuery {
  store::PageRequest page;
  std::string customer_id;  // empty: every customer's
  std::string status;       // empty: any status
};

struct PaymentMethodQuery {
  store::PageRequest page;
  std::string customer_id;
};

class BillingReads {
 public:
  explicit BillingReads(store::Store& store) : store_(store) {}

  core::Result<std::optional<Customer>> customer(std::string_view id);
  // Newest first, as every list.
  core::Result<store::Page<Customer>> customers(const store::PageRequest& page);
  core::Result<std::optional<PaymentMethod>> payment_method(std::string_view id);
  core::Result<store::Page<PaymentMethod>> payment_methods(const PaymentMethodQuery& query);
  core::Result<std::optional<Invoice>> invoice(std::string_view id);
  core::Result<store::Page<Invoice>> invoices(const InvoiceQuery& query);
  // The payment attempts against an invoice (their API JSON), first first; nullopt if there is no such
  // invoice.
  core::Result<std::optional<boost::json::array>> payments(std::string_view invoice_id);

 private:
  store::Store& store_;
};

}  // namespace billhook::billing
