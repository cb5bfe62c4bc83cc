// The public pages (no API key; rate-limited per client by Api): a shared invoice, paid by card from
// its page, and a customer's checkout page that adds a card. Each page is reached only through the
// token of a live link; anything else is the one 404 page (hosted/html.hpp).
//
//   GET  /hosted/hosted.css                 the pages' stylesheet
//   GET  /hosted/invoices/{token}           the invoice
//   POST /hosted/invoices/{token}/pay       its card form
//   GET  /hosted/checkout/{token}           the checkout page
//   POST /hosted/checkout/{token}           its card form

#include <charconv>

#include "api/hosted/hosted_pages.hpp"
#include "api/hosted/html.hpp"
#include "api/routes/billing_common.hpp"
#include "api/routes/routes.hpp"
#include "billing/hosted_link_service.hpp"
#include "billing/pdf_service.hpp"
#include "core/crypto.hpp"

namespace billhook::api::routes {
namespace {

using billing::HostedLinks;

// Stylesheet URLs relative to each page, so the pages also work behind a proxy that adds a path prefix.
constexpr std::string_view kCssFromPage = "../hosted.css";       // /hosted/<kind>/<token>
constexpr std::string_view kCssFromPdf = "../../hosted.css";      // /hosted/invoices/<token>/pdf
constexpr std::string_view kCssFromPayment = "../../hosted.css";  // /hosted/invoices/<token>/pay
constexpr size_t kNonceBytes = 16;

// The PDF link of the share page, once a PDF is rendered: the token's own PDF route beside the page
// (the API's GET /v1/invoices/{id}/pdf needs the key), relative to /hosted/invoices/<token>.
std::optional<std::string> pdf_link(const billing::Invoice& invoice, const std::string& token) {
  if (invoice.pdf_version <= 0) return std::nullopt;
  return token + "/pdf";
}

int64_t now_s(const Call& call) { return core::to_unix_ms(call.services.clock.now()) / 1000; }

std::string new_nonce(const Call& call) {
  std::string bytes(kNonceBytes, '\0');
  call.services.random.fill(std::as_writable_bytes(std::span(bytes)));
  return core::to_hex(bytes);
}

void send_page(const std::shared_ptr<Call>& call, HttpResponse page) { call->send(std::move(page)); }

// The card form as posted (application/x-www-form-urlencoded), or why it cannot be read.
struct CardForm {
  billing::HostedCard card;
  std::string nonce;
};

std::optional<int> small_int(const std::optional<std::string>& text) {
  if (!text || text->empty() || text->size() > 4) return std::nullopt;
  int value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size()) return std::nullopt;
  return value;
}

core::Result<CardForm> read_card_form(const Call& call) {
  const auto bad = [](std::string message) { return core::Error::invalid("invalid_form", std::move(message)); };
  auto form = Query::parse("/?" + call.request.body);
  if (!form) return bad("The form could not be read.");
  CardForm out;
  out.nonce = form->get("nonce").value_or("");
  if (out.nonce.size() != 2 * kNonceBytes) return bad("The form is incomplete; open the page again.");
  // People type card numbers in groups.
  for (char c : form->get("number").value_or(""))
    if (c >= '0' && c <= '9') out.card.number += c;
    else if (c != ' ' && c != '-') return bad("The card number may hold only digits.");
  if (out.card.number.empty() || out.card.number.size() > 19) return bad("Enter the card number.");
  const auto month = small_int(form->get("exp_month")), year = small_int(form->get("exp_year"));
  if (!month || !year) return bad("Enter the expiry month and year as numbers, such as 12 and 2030.");
  out.card.exp_month = *month;
  out.card.exp_year = *year;
  return out;
}

void show_invoice(const std::shared_ptr<Call>& call) {
  const std::string& token = call->param("token");
  auto link = billing::open_link(call->services.store, billing::kShareLinks, token, now_s(*call));
  if (!link) return call->fail(link.error());
  auto reads = billing_reads_of(*call);
  if (!reads) return call->fail(reads.error());
  if (!*link) return send_page(call, hosted::not_found_page(kCssFromPage));
  auto invoice = (*reads)->invoice((*link)->subject_id);
  if (!invoice) return call->fail(invoice.error());
  if (!*invoice) return send_page(call, hosted::not_found_page(kCssFromPage));
  auto customer = (*reads)->customer((*invoice)->customer_id);
  if (!customer) return call->fail(customer.error());
  if (!*customer) return send_page(call, hosted::not_found_page(kCssFromPage));
  send_page(call, hosted::invoice_page(**invoice, **customer, pdf_link(**invoice, token),
                                       {.token = token, .nonce = new_nonce(*call), .css_href = std::string(kCssFromPage)}));
}

// The shared invoice's latest PDF; every failure is the one 404 page, as for the page itself.
void show_invoice_pdf(const std::shared_ptr<Call>& call) {
  const std::string& token = call->param("token");
  auto link = billing::open_link(call->services.store, billing::kShareLinks, token, now_s(*call));
  if (!link) return call->fail(link.error());
  if (!*link) return send_page(call, hosted::not_found_page(kCssFromPdf));
  auto bytes = billing::rendered_pdf_bytes(call->services.store, (*link)->subject_id, std::nullopt);
  if (!bytes) {
    if (bytes.error().kind != core::ErrorKind::not_found) return call->fail(bytes.error());
    return send_page(call, hosted::not_found_page(kCssFromPdf));
  }
  HttpResponse response{.status = 200, .content_type = "application/pdf", .body = std::move(*bytes), .headers = {}};
  response.headers.emplace_back("Content-Disposition", "inline; filename=\"invoice.pdf\"");
  response.headers.emplace_back("Cache-Control", "no-store");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  call->send(std::move(response));
}

void show_checkout(const std::shared_ptr<Call>& call) {
  const std::string& token = call->param("token");
  auto link = billing::open_link(call->services.store, billing::kCheckoutLinks, token, now_s(*call));
  if (!link) return call->fail(link.error());
  auto reads = billing_reads_of(*call);
  if (!reads) return call->fail(reads.error());
  if (!*link) return send_page(call, hosted::not_found_page(kCssFromPage));
  auto customer = (*reads)->customer((*link)->customer_id);
  if (!customer) return call->fail(customer.error());
  if (!*customer) return send_page(call, hosted::not_found_page(kCssFromPage));
  send_page(call, hosted::checkout_page(**customer, {.token = token,
                                                     .nonce = new_nonce(*call),
                                                     .css_href = std::string(kCssFromPage)}));
}

using Submit = core::Result<std::optional<billing::HostedResult>> (HostedLinks::*)(
    store::WriteTx&, std::string_view, const billing::HostedCard&, std::string_view, const billing::Origin&);

// A card form's submission, in one write transaction: a refused card (bad number, expiry) changes
// nothing and is shown as such; a token that opens nothing is the 404 page.
void submit_card(const std::shared_ptr<Call>& call, Submit submit, std::string back_href, std::string_view css_href) {
  auto* links = call->services.domains ? call->services.domains->find<HostedLinks>() : nullptr;
  if (!links) return call->fail(core::Error::unavailable("hosted pages are not served by this server"));
  const std::string token = call->param("token");
  auto form = read_card_form(*call);
  if (!form) return send_page(call, hosted::result_page(std::nullopt, form.error().message, back_href, std::string(css_href)));
  auto outcome = std::make_shared<core::Result<std::optional<billing::HostedResult>>>(std::nullopt);
  const billing::Origin origin = origin_of(*call);
  call->services.store.write(
      [links, submit, token, form = std::move(*form), origin, outcome](store::WriteTx& tx) -> core::Status {
        *outcome = (links->*submit)(tx, token, form.card, form.nonce, origin);
        if (!*outcome) return core::Error(outcome->error());
        return {};
      },
      [call, outcome, back_href = std::move(back_href), css = std::string(css_href)](core::Status status) {
        if (!status) {
          // A card the sandbox does not take (or an impossible expiry) is the visitor's to correct.
          if (status.error().kind == core::ErrorKind::invalid_request)
            return send_page(call, hosted::result_page(std::nullopt, status.error().message, back_href, css));
          return call->fail(status.error());
        }
        if (!**outcome) return send_page(call, hosted::not_found_page(css));
        send_page(call, hosted::result_page(**outcome, "", back_href, css));
      });
}

}  // namespace

void register_hosted_page_routes(Routes& routes) {
  routes.add("GET", "/hosted/hosted.css", [](const std::shared_ptr<Call>& call) {
    HttpResponse response;
    response.content_type = "text/css; charset=utf-8";
    response.body = std::string(hosted::stylesheet());
    response.headers = {{"Cache-Control", "public, max-age=3600"}, {"X-Content-Type-Options", "nosniff"}};
    call->send(std::move(response));
  });
  routes.add("GET", "/hosted/invoices/{token}", show_invoice);
  routes.add("GET", "/hosted/invoices/{token}/pdf", show_invoice_pdf);
  routes.add("POST", "/hosted/invoices/{token}/pay", [](const std::shared_ptr<Call>& call) {
    // Back from /hosted/invoices/<token>/pay to the invoice.
    submit_card(call, &HostedLinks::pay_shared, "../" + call->param("token"), kCssFromPayment);
  });
  routes.add("GET", "/hosted/checkout/{token}", show_checkout);
  routes.add("POST", "/hosted/checkout/{token}", [](const std::shared_ptr<Call>& call) {
    submit_card(call, &HostedLinks::add_card, call->param("token"), kCssFromPage);
  });
}

}  // namespace billhook::api::routes
