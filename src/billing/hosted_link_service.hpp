#pragma once

// Share and checkout links (DOMAINS.md §4) and what their public pages do: issuing or rotating a link
// (in the request's transaction, with invoice.shared or customer.checkout_url_generated), opening one
// from the token a URL carries, paying a shared invoice with a card typed into its page, and adding a
// card on a checkout page. Every way a token can fail (malformed, unknown, tampered, expired, rotated)
// is the same nullopt, so a page can answer the one 404 that tells nothing.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "billing/billing_service.hpp"
#include "billing/hosted_link.hpp"
#include "billing/registry/registry.hpp"

namespace billhook::billing {

// POST /v1/invoices/{id}/share and POST /v1/customers/{id}/checkout-links.
struct LinkParams {
  std::optional<int64_t> expires_in_days;  // 1–365; default 30 for a share link, 1 for a checkout link
};
BOOST_DESCRIBE_STRUCT(LinkParams, (), (expires_in_days))

// What issuing needs besides the body: made by the API, which has the secure random source and knows
// where the server is reached.
struct LinkRequest {
  std::string subject_id;  // the invoice, or the customer
  LinkParams params;
  std::string secret;    // kLinkSecretBytes random bytes as hex
  std::string base_url;  // --public-url, no trailing slash
};

struct IssuedLink {
  std::string url;
  int64_t expires_at = 0;
};

// A card typed into a hosted page (sandbox numbers only).
struct HostedCard {
  std::string number;
  int exp_month = 0;
  int exp_year = 0;
};

enum class HostedOutcome {
  paid,               // this submission paid the invoice
  declined,           // the card was refused; `message` says why
  nothing_due,        // already paid (by this form or another), void, …: nothing charged
  already_submitted,  // this form was submitted before: nothing done again
  card_added,         // the checkout page's card is the customer's now
};

struct HostedResult {
  HostedOutcome outcome = HostedOutcome::nothing_due;
  std::string message;
};

inline constexpr int64_t kDefaultShareDays = 30;
inline constexpr int64_t kDefaultCheckoutDays = 1;

class HostedLinks {
 public:
  explicit HostedLinks(BillingService& billing) : billing_(billing) {}

  // The invoice's share link, made or rotated (the previous URL stops working): invoice.shared with the
  // invoice and its share_url. conflict "invoice_not_shareable" for a draft or deleted invoice (it has
  // no number yet, or no longer exists for the customer).
  core::Result<IssuedLink> share_invoice(store::WriteTx& tx, const LinkRequest& request, const Origin& origin);
  // The customer's checkout link, made or rotated: customer.checkout_url_generated.
  core::Result<IssuedLink> checkout_link(store::WriteTx& tx, const LinkRequest& request, const Origin& origin);

  // Pays the shared invoice with `card` (attached to its customer, then charged) unless the form
  // `nonce` was submitted before or nothing is due: however often one form is sent, and however many
  // pages are open, the invoice is paid once. nullopt: the token opens nothing (nothing written).
  core::Result<std::optional<HostedResult>> pay_shared(store::WriteTx& tx, std::string_view token,
                                                       const HostedCard& card, std::string_view nonce,
                                                       const Origin& origin);
  // Adds `card` to the checkout link's customer as its default method, once per form.
  core::Result<std::optional<HostedResult>> add_card(store::WriteTx& tx, std::string_view token,
                                                     const HostedCard& card, std::string_view nonce,
                                                     const Origin& origin);

 private:
  core::Result<HostedLink> issue(store::WriteTx& tx, const DocumentKind<HostedLink>& kind, const LinkRequest& request,
                                 std::string customer_id, int64_t default_days);
  core::Result<std::optional<HostedLink>> open(store::WriteTx& tx, const DocumentKind<HostedLink>& kind,
                                               std::string_view token);
  // false: this form was handled before.
  core::Result<bool> first_submission(store::WriteTx& tx, const HostedLink& link, std::string_view nonce);

  BillingService& billing_;
};

// The link `token` opens at `now_s`, read outside a transaction (a page being shown); nullopt for any
// token that does not open one.
core::Result<std::optional<HostedLink>> open_link(store::Store& store, const DocumentKind<HostedLink>& kind,
                                                  std::string_view token, int64_t now_s);

// The page URLs: <base>/hosted/invoices/<token> and <base>/hosted/checkout/<token>.
std::string share_url(std::string_view base_url, std::string_view token);
std::string checkout_url(std::string_view base_url, std::string_view token);

void register_hosted_links(DocumentRegistry& registry);

}  // namespace billhook::billing
