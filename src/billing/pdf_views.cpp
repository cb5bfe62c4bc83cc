#include "billing/pdf_views.hpp"

#include <map>
#include <string>
#include <vector>

#include "core/text.hpp"
#include "render/page_size.hpp"

namespace billhook::billing {
namespace {

render::Party customer_party(const Customer& customer) {
  render::Party party;
  party.name = customer.name.value_or(customer.email.value_or(customer.id));
  const Address& a = customer.address;
  for (const auto* line : {&a.line1, &a.line2})
    if (*line && !(*line)->empty()) party.address_lines.push_back(**line);
  std::string city_line = a.postal_code.value_or("");
  if (a.city && !a.city->empty()) city_line += (city_line.empty() ? "" : " ") + *a.city;
  if (!city_line.empty()) party.address_lines.push_back(city_line);
  for (const auto* line : {&a.state, &a.country})
    if (*line && !(*line)->empty()) party.address_lines.push_back(**line);
  party.email = customer.email.value_or("");
  party.tax_id = customer.tax_id.value_or("");
  return party;
}

render::LineView line_view(const LineItem& line) {
  return {.description = line.description,
          .period_start = line.period_start,
          .period_end = line.period_end,
          .quantity_milli = line.quantity_milli,
          .unit_amount = line.unit_amount,
          .tax_rate_bps = line.tax_rate_bps,
          .tax_inclusive = line.tax_inclusive,
          .amount = line.amount};
}

// The tax per rate, over the lines after their share of the discount (a contained tax is not taxable).
std::vector<render::TaxRateView> taxes_of(const std::vector<LineItem>& lines) {
  std::map<int64_t, render::TaxRateView> by_rate;
  for (const auto& line : lines) {
    if (line.tax_rate_bps <= 0) continue;
    auto& rate = by_rate[line.tax_rate_bps];
    rate.rate_bps = line.tax_rate_bps;
    rate.taxable_amount += line.amount - line.discount_amount - (line.tax_inclusive ? line.tax_amount : 0);
    rate.tax_amount += line.tax_amount;
  }
  std::vector<render::TaxRateView> out;
  for (auto& [bps, rate] : by_rate) out.push_back(rate);
  return out;
}

void stamp(const Invoice& invoice, render::InvoiceView& view) {
  switch (invoice.status) {
    case InvoiceStatus::paid: view.status_stamp = "PAID"; view.stamp_tone = render::StampTone::good; return;
    case InvoiceStatus::void_: view.status_stamp = "VOID"; return;
    case InvoiceStatus::uncollectible:
      view.status_stamp = "UNCOLLECTIBLE";
      view.stamp_tone = render::StampTone::attention;
      return;
    case InvoiceStatus::open:
      view.status_stamp = invoice.amount_paid > 0 ? "PARTIALLY PAID" : "DUE";
      view.stamp_tone = render::StampTone::attention;
      return;
    case InvoiceStatus::draft: view.status_stamp = "DRAFT"; return;
    case InvoiceStatus::deleted:
    case InvoiceStatus::converted: view.status_stamp = std::string(to_string(invoice.status)); return;
  }
}

std::string reason_words(CreditNoteReason reason) {
  switch (reason) {
    case CreditNoteReason::duplicated_charge: return "Duplicate charge";
    case CreditNoteReason::product_unsatisfactory: return "Product unsatisfactory";
    case CreditNoteReason::order_change: return "Order change";
    case CreditNoteReason::order_cancellation: return "Order cancellation";
    case CreditNoteReason::fraudulent_charge: return "Fraudulent charge";
    case CreditNoteReason::other: return "Other";
  }
  return "Other";
}

}  // namespace

std::vector<std::string> address_lines(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const auto end = text.find(';', start);
    const auto part = core::trim_blanks(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (!part.empty()) out.emplace_back(part);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

render::InvoiceView invoice_view(const Invoice& invoice, const Customer& customer, const render::Party& seller) {
  render::InvoiceView view;
  view.page_size = render::page_size_for_locale(customer.locale.value_or(""));
  view.title = invoice.kind == InvoiceKind::proforma ? "Proforma invoice" : "Invoice";
  view.number = invoice.number.value_or(invoice.id);
  view.seller = seller;
  view.customer = customer_party(customer);
  view.issue_date = invoice.finalized_at.value_or(invoice.created);
  view.due_date = invoice.due_date;
  view.period_start = invoice.period_start;
  view.period_end = invoice.period_end;
  view.currency = invoice.currency;
  for (const auto& line : invoice.lines) view.lines.push_back(line_view(line));
  view.taxes = taxes_of(invoice.lines);
  view.subtotal = invoice.subtotal;
  view.discount = invoice.discount_amount;
  view.tax = invoice.tax;
  view.tax_included = invoice.tax_included;
  view.total = invoice.total;
  view.credits_applied = invoice.amount_credited;
  view.amount_paid = invoice.amount_paid;
  view.amount_due = invoice.amount_remaining;
  stamp(invoice, view);
  view.notes = invoice.description.value_or("");
  return view;
}

render::CreditNoteView credit_note_view(const CreditNote& note, const Invoice& invoice, const Customer& customer,
                                        const render::Party& seller) {
  render::CreditNoteView view;
  view.page_size = render::page_size_for_locale(customer.locale.value_or(""));
  view.number = note.number;
  view.invoice_number = invoice.number.value_or(invoice.id);
  view.seller = seller;
  view.customer = customer_party(customer);
  view.issue_date = note.created;
  view.currency = note.currency;
  view.reason = reason_words(note.reason);
  view.memo = note.memo.value_or("");
  view.total = note.total;
  view.credited_to_invoice = note.pre_payment_amount;
  view.refunded = note.refund_amount;
  view.credited_to_balance = note.credit_amount;
  view.out_of_band = note.out_of_band_amount;
  view.status_stamp = note.status == CreditNoteStatus::voided ? "VOID" : "ISSUED";
  return view;
}

}  // namespace billhook::billing
