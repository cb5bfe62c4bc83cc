#include "billing/hosted_link_service.hpp"

#include <fmt/format.h>

#include "core/crypto.hpp"

namespace billhook::billing {
namespace {

using core::Error;

int64_t days_or(const LinkParams& params, int64_t default_days) { return params.expires_in_days.value_or(default_days); }

core::Result<std::optional<HostedLink>> decode_found(const DocumentKind<HostedLink>& kind,
                                                     const std::optional<store::DocumentRecord>& found,
                                                     std::string_view secret, int64_t now_s) {
  if (!found) return std::optional<HostedLink>{};
  auto link = kind.decode(found->body);
  if (!link) return std::move(link).error();
  if (!admits(*link, secret, now_s)) return std::optional<HostedLink>{};
  return std::optional<HostedLink>{std::move(*link)};
}

}  // namespace

std::string share_url(std::string_view base_url, std::string_view token) {
  return fmt::format("{}/hosted/invoices/{}", base_url, token);
}

std::string checkout_url(std::string_view base_url, std::string_view token) {
  return fmt::format("{}/hosted/checkout/{}", base_url, token);
}

core::Result<HostedLink> HostedLinks::issue(store::WriteTx& tx, const DocumentKind<HostedLink>& kind,
                                            const LinkRequest& request, std::string customer_id,
                                            int64_t default_days) {
  const int64_t days = days_or(request.params, default_days);
  if (days < 1 || days > kMaxLinkDays)
    return Error::invalid("parameter_invalid",
                          fmt::format("'expires_in_days' must be from 1 to {}, got {}", kMaxLinkDays, days),
                          "expires_in_days");
  const int64_t now = billing_.now_s();
  // One link per subject: rotating rewrites its hash, so every earlier URL stops matching.
  auto existing = tx.find_documents({.kind = std::string(kind.kind), .parent_id = request.subject_id});
  if (!existing) return std::move(existing).error();
  HostedLink link;
  const bool is_new = existing->empty();
  if (!is_new) {
    auto decoded = kind.decode(existing->back().body);
    if (!decoded) return std::move(decoded).error();
    link = std::move(*decoded);
  } else {
    link.id = billing_.ids().next(core::IdKind::hosted_link);
    link.subject_id = request.subject_id;
    link.customer_id = std::move(customer_id);
    link.created = now;
  }
  link.token_hash = core::sha256_hex(request.secret);
  link.issued_at = now;
  link.expires_at = now + days * core::kSecondsPerDay;
  if (auto s = is_new ? kind.insert(tx, link, link.id, now * 1000) : kind.update(tx, link, link.id); !s)
    return std::move(s).error();
  return link;
}

core::Result<IssuedLink> HostedLinks::share_invoice(store::WriteTx& tx, const LinkRequest& request,
                                                    const Origin& origin) {
  auto invoice = billing_.load_invoice(tx, request.subject_id);
  if (!invoice) return std::move(invoice).error();
  if (invoice->status == InvoiceStatus::draft || invoice->status == InvoiceStatus::deleted)
    return Error::conflict("invoice_not_shareable",
                           fmt::format("a {} invoice cannot be shared; finalize it first",
                                       to_string(invoice->status)));
  auto link = issue(tx, kShareLinks, request, invoice->customer_id, kDefaultShareDays);
  if (!link) return std::move(link).error();
  IssuedLink issued{share_url(request.base_url, make_token(link->id, request.secret)), link->expires_at};
  boost::json::object object = to_json(*invoice);
  object["share_url"] = issued.url;
  if (auto s = billing_.append(tx, "invoice.shared", "invoice", invoice->id, std::move(object), {}, origin); !s)
    return std::move(s).error();
  return issued;
}

core::Result<IssuedLink> HostedLinks::checkout_link(store::WriteTx& tx, const LinkRequest& request,
                                                    const Origin& origin) {
  auto customer = billing_.load_customer(tx, request.subject_id, "");
  if (!customer) return std::move(customer).error();
  auto link = issue(tx, kCheckoutLinks, request, customer->id, kDefaultCheckoutDays);
  if (!link) return std::move(link).error();
  IssuedLink issued{checkout_url(request.base_url, make_token(link->id, request.secret)), link->expires_at};
  boost::json::object object = to_json(*customer);
  object["checkout_url"] = issued.url;
  object["checkout_url_expires_at"] = issued.expires_at;
  if (auto s = billing_.append(tx, "customer.checkout_url_generated", "customer", customer->id, std::move(object), {},
                               origin);
      !s)
    return std::move(s).error();
  return issued;
}

core::Result<std::optional<HostedLink>> HostedLinks::open(store::WriteTx& tx, const DocumentKind<HostedLink>& kind,
                                                          std::string_view token) {
  const auto parts = parse_token(token);
  if (!parts) return std::optional<HostedLink>{};
  auto found = tx.find_document(kind.kind, parts->link_id);
  if (!found) return std::move(found).error();
  return decode_found(kind, *found, parts->secret, billing_.now_s());
}

core::Result<bool> HostedLinks::first_submission(store::WriteTx& tx, const HostedLink& link, std::string_view nonce) {
  return tx.claim_once(fmt::format("{}:form:{}", link.id, nonce), link.id, billing_.now_s() * 1000);
}

core::Result<std::optional<HostedResult>> HostedLinks::pay_shared(store::WriteTx& tx, std::string_view token,
                                                                  const HostedCard& card, std::string_view nonce,
                                                                  const Origin& origin) {
  auto link = open(tx, kShareLinks, token);
  if (!link) return std::move(link).error();
  if (!*link) return std::optional<HostedResult>{};
  auto first = first_submission(tx, **link, nonce);
  if (!first) return std::move(first).error();
  if (!*first) return std::optional<HostedResult>{HostedResult{HostedOutcome::already_submitted, {}}};
  auto invoice = billing_.load_invoice(tx, (*link)->subject_id);
  if (!invoice) return std::move(invoice).error();
  // The invoice's own state is the guard against a second page (another tab, a second visitor).
  if (invoice->status != InvoiceStatus::open || invoice->amount_remaining <= 0)
    return std::optional<HostedResult>{HostedResult{HostedOutcome::nothing_due, {}}};
  auto method = billing_.attach_card(
      tx, {.customer_id = invoice->customer_id, .number = card.number, .exp_month = card.exp_month, .exp_year = card.exp_year},
      origin);
  if (!method) return std::move(method).error();
  auto paid = billing_.pay(tx, invoice->id, PayRequest{.payment_method_id = method->id}, origin);
  if (!paid) return std::move(paid).error();
  if (paid->invoice.status == InvoiceStatus::paid) return std::optional<HostedResult>{HostedResult{HostedOutcome::paid, {}}};
  std::string why = paid->refusal ? paid->refusal->message : "the card was not charged";
  if (paid->invoice.payment && paid->invoice.payment->failure_message) why = *paid->invoice.payment->failure_message;
  return std::optional<HostedResult>{HostedResult{HostedOutcome::declined, std::move(why)}};
}

core::Result<std::optional<HostedResult>> HostedLinks::add_card(store::WriteTx& tx, std::string_view token,
                                                                const HostedCard& card, std::string_view nonce,
                                                                const Origin& origin) {
  auto link = open(tx, kCheckoutLinks, token);
  if (!link) return std::move(link).error();
  if (!*link) return std::optional<HostedResult>{};
  auto first = first_submission(tx, **link, nonce);
  if (!first) return std::move(first).error();
  if (!*first) return std::optional<HostedResult>{HostedResult{HostedOutcome::already_submitted, {}}};
  // The card the customer just typed is the one they mean to pay with.
  auto method = billing_.attach_card(tx,
                                     {.customer_id = (*link)->customer_id,
                                      .number = card.number,
                                      .exp_month = card.exp_month,
                                      .exp_year = card.exp_year,
                                      .make_default = true},
                                     origin);
  if (!method) return std::move(method).error();
  return std::optional<HostedResult>{HostedResult{HostedOutcome::card_added, {}}};
}

core::Result<std::optional<HostedLink>> open_link(store::Store& store, const DocumentKind<HostedLink>& kind,
                                                  std::string_view token, int64_t now_s) {
  const auto parts = parse_token(token);
  if (!parts) return std::optional<HostedLink>{};
  auto found = store.find_document(kind.kind, parts->link_id);
  if (!found) return std::move(found).error();
  return decode_found(kind, *found, parts->secret, now_s);
}

void register_hosted_links(DocumentRegistry& registry) {
  registry.provide(service_factory<HostedLinks>(
      [](const DomainDeps& deps) { return std::make_unique<HostedLinks>(deps.billing); }));
  // Kept as registered documents (stored, typed, read back by their kind) but never served by the
  // generic routes: a link is reached only through its token.
  registry.add(registered(kShareLinks, "", ""));
  registry.add(registered(kCheckoutLinks, "", ""));
}

}  // namespace billhook::billing
