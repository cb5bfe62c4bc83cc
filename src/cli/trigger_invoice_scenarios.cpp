// Trigger scenarios for invoices, their payments, refunds, disputes, reminders, PDFs and links.

#include <boost/json.hpp>

#include "cli/trigger_scenarios.hpp"

namespace billhook::cli::scenarios {

namespace json = boost::json;

namespace {

json::array one_line(int64_t unit_amount) {
  return json::array{json::object{{"description", "Extra work"}, {"quantity", 1}, {"unit_amount", unit_amount}}};
}

std::string refunded_invoice(TriggerDriver& d, std::string_view card_number) {
  const auto inv = d.paid_invoice(card_number);
  const auto refund = d.api().post("/v1/invoices/" + inv + "/refunds", {{"amount", 1000}, {"reason", "requested"}});
  d.remember("refund", refund);
  return inv;
}

std::string open_dispute(TriggerDriver& d) {
  const auto inv = d.paid_invoice();
  const auto payment = d.first_payment_of(inv);
  return d.remember("dispute", d.api().post("/v1/invoices/" + inv + "/disputes",
                                            {{"payment", payment}, {"amount", 11900}, {"reason", "fraudulent"}}));
}

}  // namespace

void issued_invoice(TriggerDriver& d) {
  const auto inv = d.invoice(d.customer(), {}, true);
  d.api().post("/v1/invoices/" + inv + "/finalize");
}

void updated_draft(TriggerDriver& d) {
  const auto inv = d.invoice(d.customer(), {}, true);
  d.api().patch("/v1/invoices/" + inv, {{"description", "Updated by billhook trigger"}});
}

void refreshed_draft(TriggerDriver& d) {
  const auto inv = d.invoice(d.customer(), {}, true);
  d.api().post("/v1/invoices/" + inv + "/refresh", {{"lines", one_line(4200)}});
}

void failed_finalization(TriggerDriver& d) {
  const auto inv = d.invoice(d.customer(), {{"lines", json::array{}}}, true);
  d.api().post("/v1/invoices/" + inv + "/finalize", {}, 400);
}

void adjusted_invoice(TriggerDriver& d) {
  const auto inv = d.unpaid_invoice();
  d.api().post("/v1/invoices/" + inv + "/adjust", {{"lines", one_line(1500)}});
}

void moved_due_date(TriggerDriver& d) {
  const auto inv = d.unpaid_invoice();
  const auto due = d.api().get("/v1/invoices/" + inv).at("due_date").to_number<int64_t>();
  d.api().post("/v1/invoices/" + inv + "/due-date", {{"due_date", due + 7 * kDay}});
}

void duplicated_invoice(TriggerDriver& d) {
  const auto inv = d.unpaid_invoice();
  d.api().post("/v1/invoices/" + inv + "/void");
  d.remember("invoice", d.api().post("/v1/invoices/" + inv + "/duplicate"));
}

void uncollectible_invoice(TriggerDriver& d) { d.api().post("/v1/invoices/" + d.unpaid_invoice() + "/mark-uncollectible"); }

void voided_invoice(TriggerDriver& d) { d.api().post("/v1/invoices/" + d.unpaid_invoice() + "/void"); }

void deleted_draft(TriggerDriver& d) { d.api().del("/v1/invoices/" + d.invoice(d.customer(), {}, true)); }

void credited_invoice(TriggerDriver& d) {
  const auto inv = d.unpaid_invoice();
  d.remember("credit_note",
             d.api().post("/v1/credit-notes", {{"invoice", inv}, {"amount", 1900}, {"reason", "order_change"}}));
}

void paid_by_card(TriggerDriver& d) { d.paid_invoice(); }

void declined_card(TriggerDriver& d) { d.pay(d.invoice(d.customer_with_card(card::kNoFunds))); }

void expired_card(TriggerDriver& d) { d.pay(d.invoice(d.customer_with_card(card::kExpired))); }

void no_card(TriggerDriver& d) { d.pay(d.invoice(d.customer())); }

void swapped_card(TriggerDriver& d) {
  const auto cus = d.customer_with_card(card::kNoFunds);
  d.pay(d.invoice(cus));
  d.card(cus, card::kGood, {{"default", true}});
}

void restored_card(TriggerDriver& d) {
  const auto cus = d.customer();
  const auto pm = d.card(cus, card::kNoFunds);
  d.pay(d.invoice(cus));
  d.api().patch("/v1/payment-methods/" + pm, {{"valid", false}, {"invalid_reason", "suspected_fraud"}});
  d.api().patch("/v1/payment-methods/" + pm, {{"valid", true}});
}

void needs_3ds(TriggerDriver& d) { d.pay(d.invoice(d.customer_with_card(card::kNeeds3ds))); }

void capture_fails(TriggerDriver& d) { d.pay(d.invoice(d.customer_with_card(card::kCaptureFails))); }

void paid_with_fallback(TriggerDriver& d) {
  const auto cus = d.customer_with_card(card::kNoFunds);
  d.card(cus, card::kGood, {{"fallback_order", 1}});
  d.pay(d.invoice(cus));
}

void partially_paid(TriggerDriver& d) { d.pay(d.unpaid_invoice(), {{"external", true}, {"amount", 5000}}); }

void overpaid(TriggerDriver& d) { d.pay(d.unpaid_invoice(), {{"external", true}, {"amount", 15000}}); }

void refund(TriggerDriver& d) { refunded_invoice(d, card::kGood); }

void confirmed_refund(TriggerDriver& d) {
  const auto inv = d.paid_invoice();
  const auto refund = d.api().post("/v1/invoices/" + inv + "/refunds", {{"amount", 1000}, {"reason", "requested"}});
  d.api().post("/v1/refunds/" + d.remember("refund", refund) + "/confirm");
}

void failed_refund(TriggerDriver& d) { refunded_invoice(d, card::kRefundsFail); }

void dispute_opened(TriggerDriver& d) { open_dispute(d); }

void dispute_won(TriggerDriver& d) { d.api().post("/v1/disputes/" + open_dispute(d) + "/close", {{"status", "won"}}); }

void dispute_lost(TriggerDriver& d) { d.api().post("/v1/disputes/" + open_dispute(d) + "/close", {{"status", "lost"}}); }

void due_soon(TriggerDriver& d) {
  const auto inv = d.unpaid_invoice(10);
  d.advance(8 * kDay);
  d.await_event("invoice.will_be_due", inv);
}

void overdue(TriggerDriver& d) {
  const auto inv = d.unpaid_invoice(1);
  d.advance(2 * kDay);
  d.await_event("invoice.overdue", inv);
}

void overdue_reminder(TriggerDriver& d) {
  const auto inv = d.unpaid_invoice(1);
  d.advance(2 * kDay);
  d.await_event("invoice.overdue", inv);
  d.advance(8 * kDay);
  d.await_event("invoice.overdue_reminder", inv);
}

void invoice_pdf(TriggerDriver& d) { d.await_event("invoice.pdf_generated", d.unpaid_invoice()); }

void invoice_pdf_again(TriggerDriver& d) {
  const auto inv = d.unpaid_invoice();
  d.await_event("invoice.pdf_generated", inv);
  d.api().post("/v1/invoices/" + inv + "/adjust", {{"lines", one_line(1500)}});
}

void shared_invoice(TriggerDriver& d) { d.api().post("/v1/invoices/" + d.unpaid_invoice() + "/share"); }

void proforma(TriggerDriver& d) {
  const auto id = d.remember("proforma", d.api().post("/v1/proformas", TriggerDriver::invoice_body(d.customer())));
  d.api().post("/v1/proformas/" + id + "/credit", {{"amount", 1900}, {"reason", "order_change"}});
  d.pay(id, {{"external", true}, {"amount", 10000}});
}

void proforma_voided(TriggerDriver& d) {
  const auto id = d.remember("proforma", d.api().post("/v1/proformas", TriggerDriver::invoice_body(d.customer())));
  d.api().post("/v1/invoices/" + id + "/void");
}

void partner_invoice(TriggerDriver& d) {
  const auto id = d.remember("partner_invoice",
                             d.api().post("/v1/partner-invoices", TriggerDriver::invoice_body(d.customer())));
  d.pay(id, {{"external", true}, {"amount", 11900}});
}

void partner_invoice_overdue(TriggerDriver& d) {
  const auto id = d.remember("partner_invoice", d.api().post("/v1/partner-invoices",
                                                             TriggerDriver::invoice_body(d.customer(),
                                                                                         {{"days_until_due", 1}})));
  d.advance(2 * kDay);
  d.await_event("partner_invoice.overdue", id);
}

}  // namespace billhook::cli::scenarios
