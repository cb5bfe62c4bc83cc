#pragma once

// Commissions (DOMAINS.md §5, seed 000's "Invoice attempted commission calculation"): a partner earns a
// percentage of what the customers it referred pay. Registered documents, kept beside the customers
// (the customer record itself is not changed):
//
// - a partner (kind "partner", id the customer's own id): the customer's role is partner;
// - a referral (kind "referral", id the referred customer's id, parented to its partner): the customer
//   was referred by that partner — once, and never by itself;
// - a commission rule (kind "commission_rule", id "cr_…", looked up by its partner): `rate_bps` of the
//   paid amount, an optional `cap` per invoice, for invoices in its `currency` (any currency without one;
//   a cap needs one);
// - a commission (kind "commission", id "com_" + the paid invoice's ULID, so one per invoice; looked up
//   by its partner and parented to the invoice): one attempt's outcome — calculated, capped (the cap
//   bound it), no_rule (the partner has no rule for the currency) or failed (the referrer is no longer a
//   partner — its role was taken away after the referral —, or the arithmetic overflowed) — with its
//   rule, base, rate and amount. Refunds and credit notes reverse
//   it pro rata (`reversed_amount`). What it nets to and what statements carried so far (`invoiced_amount`) differ
//   until the partner's next monthly statement — a partner invoice with one line per commission — takes
//   the difference; the commission wakes at `statement_at` (the first of the next month, UTC) until then.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/describe.hpp>

#include "billing/invoice.hpp"
#include "billing/registry/document_kind.hpp"
#include "core/result.hpp"

namespace billhook::billing {

struct Partner {
  std::string id;  // the customer's id
  int64_t created = 0;
  // When the customer stopped being a partner (PATCH /v1/customers/{id} {"role": null}); null while it
  // is one. Its referrals stay, but their paid invoices earn nothing: the attempt is `failed`.
  std::optional<int64_t> ended;
  bool operator==(const Partner&) const = default;
};
BOOST_DESCRIBE_STRUCT(Partner, (), (id, created, ended))

// The body of POST /v1/partners.
struct NewPartner {
  std::string customer;
};
BOOST_DESCRIBE_STRUCT(NewPartner, (), (customer))

struct Referral {
  std::string id;  // the referred customer's id
  std::string partner;
  int64_t created = 0;
  bool operator==(const Referral&) const = default;
};
BOOST_DESCRIBE_STRUCT(Referral, (), (id, partner, created))

// The body of POST /v1/referrals.
struct NewReferral {
  std::string customer;
  std::string partner;
};
BOOST_DESCRIBE_STRUCT(NewReferral, (), (customer, partner))

struct CommissionRule {
  std::string id;
  std::string partner;
  int64_t rate_bps = 0;                 // 0–10000
  std::optional<int64_t> cap;           // per invoice, minor units of `currency`
  std::optional<std::string> currency;  // the invoices it applies to; any when null
  int64_t created = 0;
  bool operator==(const CommissionRule&) const = default;
};
BOOST_DESCRIBE_STRUCT(CommissionRule, (), (id, partner, rate_bps, cap, currency, created))

// The body of POST /v1/commission-rules.
struct NewCommissionRule {
  std::string partner;
  int64_t rate_bps = 0;
  std::optional<int64_t> cap;
  std::optional<std::string> currency;
};
BOOST_DESCRIBE_STRUCT(NewCommissionRule, (), (partner, rate_bps, cap, currency))

enum class CommissionOutcome { calculated, capped, no_rule, failed };
BOOST_DESCRIBE_ENUM(CommissionOutcome, calculated, capped, no_rule, failed)

struct Commission {
  std::string id;
  std::string invoice;
  std::string customer;  // the referred customer who paid
  std::string partner;
  std::optional<std::string> rule;
  CommissionOutcome status = CommissionOutcome::calculated;
  int64_t basis_amount = 0;  // what the customer paid on the invoice
  int64_t rate_bps = 0;
  int64_t amount = 0;        // rate × basis, rounded once, bound by the cap
  int64_t reversed_amount = 0;  // taken back by refunds, pro rata
  int64_t invoiced_amount = 0;  // carried on the partner's statements so far
  std::string currency;
  std::optional<std::string> reason;  // why no_rule or failed
  std::optional<std::string> partner_invoice;  // the latest statement that carried it
  std::optional<int64_t> statement_at;         // when the next statement takes what is owed, if anything
  int64_t created = 0;
  bool operator==(const Commission&) const = default;
};
BOOST_DESCRIBE_STRUCT(Commission, (),
                      (id, invoice, customer, partner, rule, status, basis_amount, rate_bps, amount, reversed_amount,
                       invoiced_amount, currency, reason, partner_invoice, statement_at, created))

extern const DocumentKind<Partner> kPartners;
extern const DocumentKind<Referral> kReferrals;
extern const DocumentKind<CommissionRule> kCommissionRules;
extern const DocumentKind<Commission> kCommissions;

// The commission of a paid invoice ("com_" + its ULID).
std::string commission_id(std::string_view invoice_id);

// A rule from a request, checked: rate_bps 0–10000 (invalid_request naming `rate_bps`), a cap positive
// and with a `currency`, the currency ISO 4217. The partner is checked by the service.
core::Result<CommissionRule> new_commission_rule(const NewCommissionRule& request, std::string id, int64_t now);

// The rule that applies to an invoice in `currency`: the newest one for that currency, else the newest
// without one; nullopt when none.
std::optional<CommissionRule> rule_for(const std::vector<CommissionRule>& rules, std::string_view currency);

// One attempt on a paid invoice of `basis` (minor units of `currency`), under `rule` (nullopt: no_rule).
Commission calculate_commission(const Invoice& invoice, int64_t basis, std::string_view partner,
                                const std::optional<CommissionRule>& rule, int64_t now);

// The commission owed once `refunded` of its basis was taken back (refunds, credit notes):
// reversed_amount = amount × refunded / basis, rounded once, at most the amount. False when nothing
// changes.
bool reverse_pro_rata(Commission& commission, int64_t refunded, int64_t now);

// What the partner's next statement should carry: amount − reversed − invoiced (negative: a reversal of
// what a statement already carried).
int64_t owed_to_statement(const Commission& commission);

// The first moment of the month after `now` (UTC): when a statement is due.
int64_t next_statement_at(int64_t now);

// The partner's statement of `commissions` (one currency): a partner invoice to send, one line per
// commission with what it owes now, `commission_statement` in its metadata.
Invoice statement_invoice(std::string_view partner, std::string_view currency,
                          const std::vector<Commission>& commissions, int64_t period_start, int64_t period_end);

// A statement carried what each owed: invoiced_amount catches up, nothing more is due.
void mark_invoiced(Commission& commission, std::string_view partner_invoice_id);

}  // namespace billhook::billing
