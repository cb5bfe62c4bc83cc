#pragma once

// Invoices and credit notes as the PDF renderer draws them (render/invoice_view.hpp): field by field,
// the customer's address joined into lines, the page size from the customer's locale, the tax summed
// per rate and the status stamp's words.

#include <string_view>

#include "billing/credit_note.hpp"
#include "billing/invoice.hpp"
#include "render/invoice_view.hpp"

namespace billhook::billing {

// The seller block from --seller-address's text: its lines separated by ";", trimmed, empty ones dropped.
std::vector<std::string> address_lines(std::string_view text);

render::InvoiceView invoice_view(const Invoice& invoice, const Customer& customer, const render::Party& seller);
render::CreditNoteView credit_note_view(const CreditNote& note, const Invoice& invoice, const Customer& customer,
                                        const render::Party& seller);

}  // namespace billhook::billing
