#pragma once

// A document as the text it prints, block by block: what render/document_pdf draws. Planning is pure
// (every number and date already formatted, every label chosen), so what an invoice says is tested
// without a PDF, and the drawing code knows nothing of invoices or credit notes.

#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "render/invoice_view.hpp"

namespace billhook::render {

// One row of the line table, every cell as printed.
struct PlanRow {
  std::string description;
  std::string period;  // "2026-01-01 – 2026-01-31", or empty
  std::string quantity;
  std::string unit_price;
  std::string tax_rate;
  std::string amount;
};

// One row of the per-rate tax summary.
struct PlanTaxRow {
  std::string rate;
  std::string taxable;
  std::string tax;
};

// One row of the totals block; `strong` rows (the total, the amount due) are set in bold under a rule.
struct PlanTotal {
  std::string label;
  std::string value;
  bool strong = false;
};

struct DocumentPlan {
  PageSize page_size = PageSize::a4;
  std::string title;         // "Invoice"
  std::string number;        // "INV-2026-0001"
  std::string stamp;         // empty: none
  StampTone stamp_tone = StampTone::neutral;
  std::vector<std::string> seller;    // the name first
  std::string customer_label;         // "Bill to"
  std::vector<std::string> customer;  // the name first
  std::vector<std::pair<std::string, std::string>> facts;  // {"Issue date", "2026-01-01"}, …
  std::string currency;                                    // in the money column headers
  std::vector<PlanRow> rows;           // empty: no table
  std::vector<PlanTaxRow> tax_rows;    // empty: no tax summary
  std::vector<PlanTotal> totals;
  std::string notes_label;  // "Notes", "Memo"
  std::string notes;        // empty: not shown
};

// The plan of an invoice or a credit note. Errors: a currency outside core/money's ISO 4217 table
// (invalid_request "unknown_currency", param "currency"), since its decimals would be a guess.
core::Result<DocumentPlan> plan_invoice(const InvoiceView& view);
core::Result<DocumentPlan> plan_credit_note(const CreditNoteView& view);

}  // namespace billhook::render
