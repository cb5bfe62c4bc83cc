#pragma once

// The public pages themselves, as pure functions from the billing model to HTML (every value escaped):
// the shared invoice with its card form, the checkout page, and what a form's submission came to.

#include <optional>
#include <string>

#include "api/http.hpp"
#include "billing/hosted_link_service.hpp"
#include "billing/invoice.hpp"

namespace billhook::api::hosted {

// What a page's links and form need besides the documents.
struct PageContext {
  std::string token;     // the link's token: form actions are relative URLs built from it
  std::string nonce;     // the form's one-time value (a double submit is recognised by it)
  std::string css_href;  // relative URL of the stylesheet from this page
};

// The shared invoice: parties, number, dates, lines, totals, amount due and status; the PDF link when
// `pdf_url` is given; the card form when something is due.
HttpResponse invoice_page(const billing::Invoice& invoice, const billing::Customer& customer,
                          const std::optional<std::string>& pdf_url, const PageContext& context);

// The checkout page: a card form for `customer`.
HttpResponse checkout_page(const billing::Customer& customer, const PageContext& context);

// What a submitted form came to (paid, declined, nothing due, added, sent twice), or why the card was
// not accepted (`error`), with a link back to the page (`back_href`, relative).
HttpResponse result_page(const std::optional<billing::HostedResult>& result, const std::string& error,
                         const std::string& back_href, const std::string& css_href);

// "2026-11-22" for unix seconds (UTC).
std::string format_date(int64_t unix_s);

}  // namespace billhook::api::hosted
