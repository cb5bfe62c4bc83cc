#include "api/hosted/hosted_pages.hpp"

#include <chrono>

#include <fmt/format.h>

#include "api/hosted/html.hpp"
#include "core/money.hpp"

namespace billhook::api::hosted {
namespace {

using billing::Invoice;
using billing::InvoiceStatus;

std::string money(int64_t minor, const std::string& currency) {
  return escape(fmt::format("{} {}", core::to_major_string(minor, currency), currency));
}

// 1500 thousandths as "1.5", 2000 as "2".
std::string quantity(int64_t quantity_milli) {
  std::string text = core::format_minor(quantity_milli, 3);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

std::string status_text(const Invoice& invoice) {
  switch (invoice.status) {
    case InvoiceStatus::open: return invoice.amount_remaining > 0 ? "Open" : "Settled";
    case InvoiceStatus::paid: return "Paid";
    case InvoiceStatus::void_: return "Void";
    case InvoiceStatus::uncollectible: return "Uncollectible";
    case InvoiceStatus::converted: return "Converted";
    case InvoiceStatus::draft: return "Draft";
    case InvoiceStatus::deleted: return "Deleted";
  }
  return "";
}

std::string card_form(const std::string& action, const std::string& nonce, const std::string& button) {
  return fmt::format(
      "<form method=\"post\" action=\"{}\" autocomplete=\"off\">"
      "<input type=\"hidden\" name=\"nonce\" value=\"{}\">"
      "<label for=\"number\">Card number</label>"
      "<input id=\"number\" name=\"number\" inputmode=\"numeric\" autocomplete=\"cc-number\" required "
      "maxlength=\"23\" placeholder=\"4242 4242 4242 4242\">"
      "<div class=\"row\"><div><label for=\"exp_month\">Expiry month</label>"
      "<input id=\"exp_month\" name=\"exp_month\" inputmode=\"numeric\" required maxlength=\"2\" placeholder=\"12\">"
      "</div><div><label for=\"exp_year\">Expiry year</label>"
      "<input id=\"exp_year\" name=\"exp_year\" inputmode=\"numeric\" required maxlength=\"4\" placeholder=\"2030\">"
      "</div></div><button type=\"submit\" id=\"submit\">{}</button>"
      "<p class=\"muted\">Sandbox: only test cards are accepted.</p></form>\n",
      escape(action), escape(nonce), escape(button));
}

}  // namespace

std::string format_date(int64_t unix_s) {
  const std::chrono::sys_days day{std::chrono::floor<std::chrono::days>(std::chrono::sys_seconds{std::chrono::seconds{unix_s}})};
  const std::chrono::year_month_day ymd{day};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                     static_cast<unsigned>(ymd.day()));
}

HttpResponse invoice_page(const Invoice& invoice, const billing::Customer& customer,
                          const std::optional<std::string>& pdf_url, const PageContext& context) {
  const std::string& cur = invoice.currency;
  const std::string number = invoice.number.value_or(invoice.kind == billing::InvoiceKind::proforma ? "Proforma" : "");
  std::string body = fmt::format(
      "<div class=\"card\"><h1>Invoice <span id=\"invoice-number\">{}</span></h1>"
      "<span class=\"status\" id=\"invoice-status\">{}</span>\n",
      escape(number), escape(status_text(invoice)));
  body += "<div class=\"parties\"><div><div class=\"muted\">Billed to</div><div id=\"customer-name\">" +
          escape(customer.name.value_or(customer.email.value_or(""))) + "</div>";
  if (customer.email && customer.name) body += "<div class=\"muted\">" + escape(*customer.email) + "</div>";
  body += "</div><div>";
  body += "<div><span class=\"muted\">Issued</span> " +
          escape(format_date(invoice.finalized_at.value_or(invoice.created))) + "</div>";
  if (invoice.due_date) body += "<div><span class=\"muted\">Due</span> " + escape(format_date(*invoice.due_date)) + "</div>";
  if (invoice.paid_at) body += "<div><span class=\"muted\">Paid</span> " + escape(format_date(*invoice.paid_at)) + "</div>";
  body += "</div></div></div>\n";

  body += "<div class=\"card\"><table><thead><tr><th>Description</th><th class=\"num hide\">Qty</th>"
          "<th class=\"num hide\">Unit</th><th class=\"num\">Amount</th></tr></thead><tbody>\n";
  for (const auto& line : invoice.lines) {
    std::string description = escape(line.description);
    if (line.period_start && line.period_end)
      description += "<div class=\"muted\">" + escape(format_date(*line.period_start)) + " – " +
                     escape(format_date(*line.period_end)) + "</div>";
    body += fmt::format("<tr><td>{}</td><td class=\"num hide\">{}</td><td class=\"num hide\">{}</td>"
                        "<td class=\"num\">{}</td></tr>\n",
                        description, escape(quantity(line.quantity_milli)), money(line.unit_amount, cur),
                        money(line.amount, cur));
  }
  body += "</tbody></table><table class=\"totals\">";
  const auto total_row = [&](std::string_view label, int64_t amount, std::string_view id) {
    body += fmt::format("<tr><td>{}</td><td class=\"num\" id=\"{}\">{}</td></tr>", escape(label), id, money(amount, cur));
  };
  total_row("Subtotal", invoice.subtotal, "subtotal");
  if (invoice.discount_amount) total_row("Discount", -invoice.discount_amount, "discount");
  total_row("Tax", invoice.tax, "tax");
  total_row("Total", invoice.total, "total");
  if (invoice.amount_credited) total_row("Credited", -invoice.amount_credited, "credited");
  if (invoice.amount_paid) total_row("Paid", -invoice.amount_paid, "paid");
  body += fmt::format("<tr class=\"due\"><td>Amount due</td><td class=\"num\" id=\"amount-due\">{}</td></tr>",
                      money(invoice.amount_remaining, cur));
  body += "</table>";
  if (pdf_url) body += "<p><a id=\"pdf-link\" href=\"" + escape(*pdf_url) + "\">Download the PDF</a></p>";
  body += "</div>\n";

  if (invoice.status == InvoiceStatus::open && invoice.amount_remaining > 0) {
    body += "<div class=\"card\"><h2>Pay by card</h2>";
    body += card_form(context.token + "/pay", context.nonce, "Pay " + core::to_major_string(invoice.amount_remaining, cur) + " " + cur);
    body += "</div>\n";
  }
  return html_page(200, "Invoice " + number, context.css_href, body);
}

HttpResponse checkout_page(const billing::Customer& customer, const PageContext& context) {
  std::string body = "<div class=\"card\"><h1>Add a card</h1><p>For <span id=\"customer-name\">" +
                     escape(customer.name.value_or(customer.email.value_or(""))) +
                     "</span>. The card is kept for future payments.</p>";
  body += card_form(context.token, context.nonce, "Save card");
  body += "</div>\n";
  return html_page(200, "Add a card", context.css_href, body);
}

HttpResponse result_page(const std::optional<billing::HostedResult>& result, const std::string& error,
                         const std::string& back_href, const std::string& css_href) {
  using billing::HostedOutcome;
  std::string title, text;
  bool failed = false;
  if (!error.empty()) {
    title = "Card not accepted";
    text = error;
    failed = true;
  } else {
    switch (result->outcome) {
      case HostedOutcome::paid: title = "Payment received"; text = "Thank you: the invoice is paid."; break;
      case HostedOutcome::declined:
        title = "Payment declined";
        text = result->message;
        failed = true;
        break;
      case HostedOutcome::nothing_due: title = "Nothing to pay"; text = "Nothing is due on this invoice."; break;
      case HostedOutcome::already_submitted:
        title = "Already submitted";
        text = "This form was already sent; nothing was done again.";
        break;
      case HostedOutcome::card_added: title = "Card saved"; text = "Thank you: the card is saved."; break;
    }
  }
  const std::string body = fmt::format(
      "<div class=\"card\"><h1 id=\"result\">{}</h1><p class=\"notice{}\" id=\"result-detail\">{}</p>"
      "<p><a id=\"back\" href=\"{}\">Back</a></p></div>\n",
      escape(title), failed ? " error" : "", escape(text), escape(back_href));
  // 400: the form was wrong; 402: the card was refused.
  return html_page(!error.empty() ? 400 : failed ? 402 : 200, title, css_href, body);
}

}  // namespace billhook::api::hosted
