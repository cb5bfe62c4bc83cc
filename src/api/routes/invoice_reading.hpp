#pragma once

// The invoice request reader of invoice_routes.cpp, for the routes that create invoices of other
// shapes (proformas, partner invoices, the items of an invoice batch) with the same fields and the
// same 400s.

#include "api/request.hpp"
#include "billing/invoice.hpp"
#include "core/result.hpp"

namespace billhook::api::routes {

// The body of POST /v1/invoices: the document to create and whether to issue it at once.
struct InvoiceRequest {
  billing::Invoice document;
  bool auto_finalize = false;
};

core::Result<InvoiceRequest> read_invoice_request(const Body& body);

}  // namespace billhook::api::routes
