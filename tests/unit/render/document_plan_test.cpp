#include "render/document_plan.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "sample_views.hpp"

namespace billhook::render {
namespace {

using testing::sample_credit_note;
using testing::sample_invoice;
using Pairs = std::vector<std::pair<std::string, std::string>>;

DocumentPlan planned(const InvoiceView& view) {
  auto plan = plan_invoice(view);
  EXPECT_TRUE(plan.ok()) << (plan.ok() ? "" : plan.error().message);
  return plan.ok() ? std::move(plan).value() : DocumentPlan{};
}

Pairs totals_of(const DocumentPlan& plan) {
  Pairs totals;
  for (const PlanTotal& total : plan.totals) totals.emplace_back(total.label, total.value);
  return totals;
}

TEST(RenderPlan, AnInvoiceSaysWhoWhatWhenAndHowMuch) {
  const DocumentPlan plan = planned(sample_invoice());
  EXPECT_EQ(plan.title, "Invoice");
  EXPECT_EQ(plan.number, "INV-2026-000042");
  EXPECT_EQ(plan.stamp, "OPEN");
  EXPECT_EQ(plan.seller, (std::vector<std::string>{"Acme Analytics GmbH", "Friedrichstraße 12", "10117 Berlin",
                                                   "Germany", "billing@acme.example", "Tax ID DE123456789"}));
  EXPECT_EQ(plan.customer.front(), "Globex Corporation");
  EXPECT_EQ(plan.facts, (Pairs{{"Invoice number", "INV-2026-000042"},
                               {"Issue date", "2026-03-01"},
                               {"Due date", "2026-03-31"}}));
  ASSERT_EQ(plan.rows.size(), 3u);
  EXPECT_EQ(plan.rows[0].period, "2026-03-01 \u2013 2026-03-31");
  EXPECT_EQ(plan.rows[2].quantity, "2.5");
  EXPECT_EQ(plan.rows[2].unit_price, "120.00");
  EXPECT_EQ(plan.rows[2].tax_rate, "19%");
  EXPECT_EQ(plan.rows[2].amount, "300.00");
  ASSERT_EQ(plan.tax_rows.size(), 1u);
  EXPECT_EQ(plan.tax_rows[0].taxable, "1,434.00");
  EXPECT_EQ(plan.tax_rows[0].tax, "272.46");
  EXPECT_EQ(totals_of(plan), (Pairs{{"Subtotal", "EUR 1,434.00"},
                                    {"Tax", "EUR 272.46"},
                                    {"Total", "EUR 1,706.46"},
                                    {"Credits applied", "-EUR 50.00"},
                                    {"Amount paid", "EUR 0.00"},
                                    {"Amount due", "EUR 1,656.46"}}));
  EXPECT_TRUE(plan.totals[2].strong);
  EXPECT_TRUE(plan.totals.back().strong);
  EXPECT_EQ(plan.notes, "Thank you for your business.");
}

TEST(RenderPlan, OptionalFactsAndTotalsAppearOnlyWhenSet) {
  InvoiceView view = sample_invoice();
  view.due_date.reset();
  view.credits_applied = 0;
  view.period_start = testing::kMar1st2026;
  view.period_end = testing::kMar31st2026;
  view.discount = 1'000;
  view.lines[0].period_end.reset();
  const DocumentPlan plan = planned(view);
  EXPECT_EQ(plan.facts, (Pairs{{"Invoice number", "INV-2026-000042"},
                               {"Issue date", "2026-03-01"},
                               {"Period", "2026-03-01 \u2013 2026-03-31"}}));
  EXPECT_EQ(plan.rows[0].period, "From 2026-03-01");
  EXPECT_EQ(plan.rows[1].period, "");
  const Pairs totals = totals_of(plan);
  EXPECT_EQ(totals[1], (std::pair<std::string, std::string>{"Discount", "-EUR 10.00"}));
  for (const auto& [label, value] : totals) EXPECT_NE(label, "Credits applied");
}

TEST(RenderPlan, TaxInsideThePricesIsStatedNotAdded) {
  InvoiceView view = sample_invoice();
  view.lines = {{.description = "Gross-priced box", .unit_amount = 11'900, .tax_rate_bps = 1900, .tax_inclusive = true,
                 .amount = 11'900}};
  view.subtotal = 11'900;
  view.tax = 1'900;
  view.tax_included = 1'900;
  view.total = 11'900;
  view.credits_applied = 0;
  view.amount_due = 11'900;
  const DocumentPlan plan = planned(view);
  EXPECT_EQ(plan.rows[0].tax_rate, "19% incl.");
  EXPECT_EQ(totals_of(plan), (Pairs{{"Subtotal", "EUR 119.00"},
                                    {"Tax included in prices", "EUR 19.00"},
                                    {"Total", "EUR 119.00"},
                                    {"Amount paid", "EUR 0.00"},
                                    {"Amount due", "EUR 119.00"}}));
}

TEST(RenderPlan, CurrenciesKeepTheirOwnDecimals) {
  InvoiceView yen = sample_invoice();
  yen.currency = "JPY";
  yen.lines = {{.description = "Widget", .quantity_milli = 3000, .unit_amount = 1'500, .amount = 4'500}};
  yen.total = yen.amount_due = 4'500;
  EXPECT_EQ(planned(yen).rows[0].unit_price, "1,500");
  EXPECT_EQ(planned(yen).totals.back().value, "JPY 4,500");

  InvoiceView dinar = sample_invoice();
  dinar.currency = "BHD";
  dinar.total = dinar.amount_due = 1'234'567;
  EXPECT_EQ(planned(dinar).totals.back().value, "BHD 1,234.567");
}

TEST(RenderPlan, AnUnknownCurrencyIsRefusedNamingTheField) {
  InvoiceView view = sample_invoice();
  view.currency = "EURO";
  const auto plan = plan_invoice(view);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().kind, core::ErrorKind::invalid_request);
  EXPECT_EQ(plan.error().code, "unknown_currency");
  EXPECT_EQ(plan.error().param, "currency");

  CreditNoteView note = sample_credit_note();
  note.currency = "";
  EXPECT_FALSE(plan_credit_note(note).ok());
}

TEST(RenderPlan, ACreditNoteNamesTheInvoiceAndWhereTheMoneyWent) {
  CreditNoteView view = sample_credit_note();
  view.refunded = 1'000;
  auto plan = plan_credit_note(view);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->title, "Credit note");
  EXPECT_EQ(plan->customer_label, "Credit to");
  EXPECT_EQ(plan->facts, (Pairs{{"Credit note number", "INV-2026-000042-CN-01"},
                                {"Issue date", "2026-03-06"},
                                {"Credits invoice", "INV-2026-000042"},
                                {"Reason", "Duplicate charge"}}));
  EXPECT_EQ(totals_of(*plan), (Pairs{{"Subtotal", "EUR 42.02"},
                                     {"Tax", "EUR 7.98"},
                                     {"Total credited", "EUR 50.00"},
                                     {"Credited to the invoice", "EUR 50.00"},
                                     {"Refunded", "EUR 10.00"}}));
  EXPECT_EQ(plan->notes, "Seat charged twice in March.");

  view.lines.clear();
  plan = plan_credit_note(view);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->rows.empty());
  EXPECT_EQ(plan->totals.front().label, "Total credited");
}

}  // namespace
}  // namespace billhook::render
