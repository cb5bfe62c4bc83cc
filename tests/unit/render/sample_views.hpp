#pragma once

// The documents the render tests print: one invoice and one credit note whose every number is worked
// out here, so the expected text is plain.

#include <cstdint>
#include <string>

#include "render/invoice_view.hpp"

namespace billhook::render::testing {

inline constexpr int64_t kDay = 86'400;
inline constexpr int64_t kJan1st2026 = 1'767'225'600;         // 2026-01-01T00:00:00Z
inline constexpr int64_t kMar1st2026 = kJan1st2026 + 59 * kDay;  // 2026-03-01
inline constexpr int64_t kMar31st2026 = kMar1st2026 + 30 * kDay;

inline Party sample_seller() {
  return {.name = "Acme Analytics GmbH",
          .address_lines = {"Friedrichstraße 12", "10117 Berlin", "Germany"},
          .email = "billing@acme.example",
          .tax_id = "DE123456789"};
}

inline Party sample_customer() {
  return {.name = "Globex Corporation",
          .address_lines = {"500 Oak Avenue", "Springfield, IL 62701", "United States"},
          .email = "ap@globex.example",
          .tax_id = "US-98-7654321"};
}

// EUR, 19 % VAT. Lines: 999.00 + 3 × 45.00 + 2.5 × 120.00 = 1,434.00; tax 272.46; total 1,706.46;
// 50.00 of credit applied, nothing paid: 1,656.46 due.
inline InvoiceView sample_invoice() {
  InvoiceView view;
  view.number = "INV-2026-000042";
  view.seller = sample_seller();
  view.customer = sample_customer();
  view.issue_date = kMar1st2026;
  view.due_date = kMar31st2026;
  view.currency = "EUR";
  view.lines = {
      {.description = "Analytics Pro plan",
       .period_start = kMar1st2026,
       .period_end = kMar31st2026,
       .quantity_milli = 1000,
       .unit_amount = 99'900,
       .tax_rate_bps = 1900,
       .amount = 99'900},
      {.description = "Extra seats",
       .quantity_milli = 3000,
       .unit_amount = 4'500,
       .tax_rate_bps = 1900,
       .amount = 13'500},
      {.description = "Consulting hours", .quantity_milli = 2500, .unit_amount = 12'000, .tax_rate_bps = 1900,
       .amount = 30'000},
  };
  view.taxes = {{.rate_bps = 1900, .taxable_amount = 143'400, .tax_amount = 27'246}};
  view.subtotal = 143'400;
  view.tax = 27'246;
  view.total = 170'646;
  view.credits_applied = 5'000;
  view.amount_paid = 0;
  view.amount_due = 165'646;
  view.status_stamp = "OPEN";
  view.stamp_tone = StampTone::attention;
  view.notes = "Thank you for your business.";
  return view;
}

// 50.00 back on sample_invoice(), before payment.
inline CreditNoteView sample_credit_note() {
  CreditNoteView view;
  view.number = "INV-2026-000042-CN-01";
  view.invoice_number = "INV-2026-000042";
  view.seller = sample_seller();
  view.customer = sample_customer();
  view.issue_date = kMar1st2026 + 5 * kDay;
  view.currency = "EUR";
  view.reason = "Duplicate charge";
  view.memo = "Seat charged twice in March.";
  view.lines = {{.description = "Extra seat refund", .quantity_milli = 1000, .unit_amount = 4'202, .tax_rate_bps = 1900,
                 .amount = 4'202}};
  view.taxes = {{.rate_bps = 1900, .taxable_amount = 4'202, .tax_amount = 798}};
  view.subtotal = 4'202;
  view.tax = 798;
  view.total = 5'000;
  view.credited_to_invoice = 5'000;
  view.status_stamp = "ISSUED";
  return view;
}

}  // namespace billhook::render::testing
