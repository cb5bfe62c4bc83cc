#pragma once

// What an invoice or a credit note PDF shows, as plain data: no billing types, no cairo, no pango.
// The fields follow billing::Invoice, billing::LineItem, billing::Customer and billing::CreditNote, so
// the adapter that fills a view from them copies field by field and only joins an address into lines
// and picks the stamp's words.
//
// Money is int64 minor units of `currency` (an ISO 4217 code in core/money's table, whose exponent
// decides the decimals: JPY 0, EUR 2, BHD 3); times are unix seconds, shown as UTC calendar dates.
// Text is UTF-8 in any script pango can shape; bytes that are not UTF-8 are drawn as U+FFFD.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace billhook::render {

// The two paper sizes billhook prints on (render/page_size.hpp picks one from a locale).
enum class PageSize { a4, letter };

// How the status stamp is coloured: good (paid) in green, attention (open, past due, uncollectible)
// in red, neutral (void, draft, issued) in grey.
enum class StampTone { neutral, good, attention };

// The seller or the customer block: the name first, then the address as printed lines.
struct Party {
  std::string name;
  std::vector<std::string> address_lines;  // "1 Main Street", "75001 Paris", "France"
  std::string email;                       // empty: not shown
  std::string tax_id;                      // empty: not shown; printed after "Tax ID"
};

// One line of the table (billing::LineItem).
struct LineView {
  std::string description;
  std::optional<int64_t> period_start;  // the service period, shown under the description
  std::optional<int64_t> period_end;
  int64_t quantity_milli = 1000;  // quantity × 1000: 1.5 hours is 1500
  int64_t unit_amount = 0;        // minor units
  int64_t tax_rate_bps = 0;       // 1900 is 19 %; 0 shows no rate
  bool tax_inclusive = false;     // the unit amount already contains the tax ("19% incl.")
  int64_t amount = 0;             // the line's amount as computed by billing (quantity × unit amount)
};

// The tax of one rate over the whole document.
struct TaxRateView {
  int64_t rate_bps = 0;
  int64_t taxable_amount = 0;  // what the rate applies to, after discount
  int64_t tax_amount = 0;
};

struct InvoiceView {
  PageSize page_size = PageSize::a4;
  std::string title = "Invoice";  // "Proforma invoice", "Invoice" …
  std::string number;             // billing::Invoice::number
  Party seller;
  Party customer;
  int64_t issue_date = 0;             // finalized_at
  std::optional<int64_t> due_date;    // not shown when absent (charged automatically)
  std::optional<int64_t> period_start;  // the invoice's billing period, when it has one
  std::optional<int64_t> period_end;
  std::string currency;  // ISO 4217, upper case
  std::vector<LineView> lines;
  std::vector<TaxRateView> taxes;  // one entry per rate; empty: no tax summary

  int64_t subtotal = 0;
  int64_t discount = 0;         // discount_amount; shown when not 0
  int64_t tax = 0;              // all tax, added and contained
  int64_t tax_included = 0;     // the part of `tax` already inside the line amounts
  int64_t total = 0;
  int64_t credits_applied = 0;  // amount_credited: credit notes and balance drawn before payment
  int64_t amount_paid = 0;
  int64_t amount_due = 0;       // what is still owed: billing::Invoice::amount_remaining

  std::string status_stamp;  // "PAID", "VOID", "OPEN" …; empty: no stamp
  StampTone stamp_tone = StampTone::neutral;
  std::string notes;  // the invoice's description or memo; empty: not shown
};

// A credit note (billing::CreditNote). It has lines when the adapter has them; without lines the table
// is left out and the totals stand alone.
struct CreditNoteView {
  PageSize page_size = PageSize::a4;
  std::string title = "Credit note";
  std::string number;          // INV-2026-000042-CN-01
  std::string invoice_number;  // the invoice it credits
  Party seller;
  Party customer;
  int64_t issue_date = 0;
  std::string currency;
  std::string reason;  // in words: "Duplicate charge"
  std::string memo;
  std::vector<LineView> lines;
  std::vector<TaxRateView> taxes;

  int64_t subtotal = 0;  // shown with `tax` when there are lines
  int64_t tax = 0;
  int64_t total = 0;
  // Where the total went (billing::CreditNote's split); each is shown when not 0.
  int64_t credited_to_invoice = 0;   // pre_payment_amount
  int64_t refunded = 0;              // refund_amount
  int64_t credited_to_balance = 0;   // credit_amount
  int64_t out_of_band = 0;           // out_of_band_amount

  std::string status_stamp;  // "ISSUED", "VOID"
  StampTone stamp_tone = StampTone::neutral;
};

}  // namespace billhook::render
