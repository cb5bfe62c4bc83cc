#include "render/document_plan.hpp"

#include "core/money.hpp"
#include "render/format.hpp"

namespace billhook::render {
namespace {

std::vector<std::string> party_lines(const Party& party) {
  std::vector<std::string> lines{party.name};
  lines.insert(lines.end(), party.address_lines.begin(), party.address_lines.end());
  if (!party.email.empty()) lines.push_back(party.email);
  if (!party.tax_id.empty()) lines.push_back("Tax ID " + party.tax_id);
  return lines;
}

std::string period_text(const std::optional<int64_t>& start, const std::optional<int64_t>& end) {
  if (start && end) return format_date(*start) + " \u2013 " + format_date(*end);
  if (start) return "From " + format_date(*start);
  if (end) return "Until " + format_date(*end);
  return {};
}

std::vector<PlanRow> plan_rows(const std::vector<LineView>& lines, int exponent) {
  std::vector<PlanRow> rows;
  rows.reserve(lines.size());
  for (const LineView& line : lines) {
    std::string rate;
    if (line.tax_rate_bps != 0) rate = format_rate(line.tax_rate_bps) + (line.tax_inclusive ? " incl." : "");
    rows.push_back({
        .description = line.description,
        .period = period_text(line.period_start, line.period_end),
        .quantity = format_quantity(line.quantity_milli),
        .unit_price = format_amount(line.unit_amount, exponent),
        .tax_rate = std::move(rate),
        .amount = format_amount(line.amount, exponent),
    });
  }
  return rows;
}

std::vector<PlanTaxRow> plan_taxes(const std::vector<TaxRateView>& taxes, int exponent) {
  std::vector<PlanTaxRow> rows;
  for (const TaxRateView& tax : taxes) {
    rows.push_back({format_rate(tax.rate_bps), format_amount(tax.taxable_amount, exponent),
                    format_amount(tax.tax_amount, exponent)});
  }
  return rows;
}

core::Result<int> exponent_of(const std::string& currency) {
  auto exponent = core::currency_exponent(currency);
  if (!exponent) {
    core::Error error = std::move(exponent).error();
    error.param = "currency";
    return error;
  }
  return exponent;
}

// What an invoice and a credit note share: the header, both parties, the table and the tax summary.
template <class View>
DocumentPlan common_plan(const View& view, int exponent, std::string customer_label, std::string notes_label,
                         std::string notes) {
  return DocumentPlan{
      .page_size = view.page_size,
      .title = view.title,
      .number = view.number,
      .stamp = view.status_stamp,
      .stamp_tone = view.stamp_tone,
      .seller = party_lines(view.seller),
      .customer_label = std::move(customer_label),
      .customer = party_lines(view.customer),
      .currency = view.currency,
      .rows = plan_rows(view.lines, exponent),
      .tax_rows = plan_taxes(view.taxes, exponent),
      .notes_label = std::move(notes_label),
      .notes = std::move(notes),
  };
}

}  // namespace

core::Result<DocumentPlan> plan_invoice(const InvoiceView& view) {
  const auto exponent = exponent_of(view.currency);
  if (!exponent) return exponent.error();
  const auto money = [&](int64_t minor) { return format_money(minor, view.currency, *exponent); };

  DocumentPlan plan = common_plan(view, *exponent, "Bill to", "Notes", view.notes);
  plan.facts.emplace_back("Invoice number", view.number);
  plan.facts.emplace_back("Issue date", format_date(view.issue_date));
  if (view.due_date) plan.facts.emplace_back("Due date", format_date(*view.due_date));
  if (std::string period = period_text(view.period_start, view.period_end); !period.empty()) {
    plan.facts.emplace_back("Period", std::move(period));
  }

  plan.totals.push_back({"Subtotal", money(view.subtotal)});
  if (view.discount != 0) plan.totals.push_back({"Discount", money(-view.discount)});
  // Tax already inside the prices is not added again; it is stated so the reader sees it.
  if (const int64_t added = view.tax - view.tax_included; added != 0 || view.tax_included == 0) {
    plan.totals.push_back({"Tax", money(added)});
  }
  if (view.tax_included != 0) plan.totals.push_back({"Tax included in prices", money(view.tax_included)});
  plan.totals.push_back({"Total", money(view.total), true});
  if (view.credits_applied != 0) plan.totals.push_back({"Credits applied", money(-view.credits_applied)});
  plan.totals.push_back({"Amount paid", money(view.amount_paid)});
  plan.totals.push_back({"Amount due", money(view.amount_due), true});
  return plan;
}

core::Result<DocumentPlan> plan_credit_note(const CreditNoteView& view) {
  const auto exponent = exponent_of(view.currency);
  if (!exponent) return exponent.error();
  const auto money = [&](int64_t minor) { return format_money(minor, view.currency, *exponent); };

  DocumentPlan plan = common_plan(view, *exponent, "Credit to", "Memo", view.memo);
  plan.facts.emplace_back("Credit note number", view.number);
  plan.facts.emplace_back("Issue date", format_date(view.issue_date));
  plan.facts.emplace_back("Credits invoice", view.invoice_number);
  if (!view.reason.empty()) plan.facts.emplace_back("Reason", view.reason);

  if (!view.lines.empty()) {
    plan.totals.push_back({"Subtotal", money(view.subtotal)});
    plan.totals.push_back({"Tax", money(view.tax)});
  }
  plan.totals.push_back({"Total credited", money(view.total), true});
  const std::pair<const char*, int64_t> parts[] = {
      {"Credited to the invoice", view.credited_to_invoice},
      {"Refunded", view.refunded},
      {"Credited to balance", view.credited_to_balance},
      {"Settled separately", view.out_of_band},
  };
  for (const auto& [label, amount] : parts) {
    if (amount != 0) plan.totals.push_back({label, money(amount)});
  }
  return plan;
}

}  // namespace billhook::render
