#include "billing/commission.hpp"

#include <utility>

#include <fmt/format.h>

#include "billing/subscription_period.hpp"
#include "core/ids.hpp"
#include "core/money.hpp"

namespace billhook::billing {
namespace {

using core::Error;
using core::Result;

DocumentLookup partner_lookup(const Partner& partner) {
  return {.customer_id = partner.id, .parent_id = {}, .status = {}, .wake_at = std::nullopt};
}

DocumentLookup referral_lookup(const Referral& referral) {
  return {.customer_id = referral.id, .parent_id = referral.partner, .status = {}, .wake_at = std::nullopt};
}

DocumentLookup rule_lookup(const CommissionRule& rule) {
  return {.customer_id = rule.partner, .parent_id = {}, .status = {}, .wake_at = std::nullopt};
}

DocumentLookup commission_lookup(const Commission& commission) {
  return {.customer_id = commission.partner,
          .parent_id = commission.invoice,
          .status = std::string(core::described::name_of(commission.status)),
          .wake_at = commission.statement_at};
}

Error invalid(std::string message, std::string param) {
  return Error::invalid("parameter_invalid", std::move(message), std::move(param));
}

}  // namespace

const DocumentKind<Partner> kPartners{.kind = "partner",
                                      .noun = "partner",
                                      .id_kind = core::IdKind::customer,
                                      .hidden_fields = {},
                                      .lookup = &partner_lookup};

const DocumentKind<Referral> kReferrals{.kind = "referral",
                                        .noun = "referral",
                                        .id_kind = core::IdKind::customer,
                                        .hidden_fields = {},
                                        .lookup = &referral_lookup};

const DocumentKind<CommissionRule> kCommissionRules{.kind = "commission_rule",
                                                    .noun = "commission rule",
                                                    .id_kind = core::IdKind::commission_rule,
                                                    .hidden_fields = {},
                                                    .lookup = &rule_lookup};

const DocumentKind<Commission> kCommissions{.kind = "commission",
                                            .noun = "commission",
                                            .id_kind = core::IdKind::commission,
                                            .hidden_fields = {},
                                            .lookup = &commission_lookup};

std::string commission_id(std::string_view invoice_id) {
  const auto underscore = invoice_id.find('_');
  const std::string_view ulid = underscore == std::string_view::npos ? invoice_id : invoice_id.substr(underscore + 1);
  return fmt::format("{}_{}", core::id_prefix(core::IdKind::commission), ulid);
}

Result<CommissionRule> new_commission_rule(const NewCommissionRule& request, std::string id, int64_t now) {
  if (request.partner.empty()) return Error::invalid("parameter_missing", "'partner' is required", "partner");
  if (request.rate_bps < 0 || request.rate_bps > kMaxBasisPoints)
    return invalid(fmt::format("rate_bps is 0 to {} (100 %), got {}", kMaxBasisPoints, request.rate_bps), "rate_bps");
  if (request.currency && !core::is_known_currency(*request.currency))
    return Error::invalid("unknown_currency",
                          fmt::format("'{}' is not an active ISO 4217 currency code", request.currency->substr(0, 10)),
                          "currency");
  if (request.cap) {
    if (*request.cap <= 0) return invalid(fmt::format("cap is positive, got {}", *request.cap), "cap");
    if (!request.currency) return Error::invalid("parameter_missing", "a cap needs the rule's 'currency'", "currency");
  }
  return CommissionRule{.id = std::move(id),
                        .partner = request.partner,
                        .rate_bps = request.rate_bps,
                        .cap = request.cap,
                        .currency = request.currency,
                        .created = now};
}

std::optional<CommissionRule> rule_for(const std::vector<CommissionRule>& rules, std::string_view currency) {
  std::optional<CommissionRule> exact;
  std::optional<CommissionRule> any;
  for (const auto& rule : rules) {  // ids grow with time: the last one seen is the newest
    if (rule.currency && *rule.currency == currency && (!exact || rule.id > exact->id)) exact = rule;
    if (!rule.currency && (!any || rule.id > any->id)) any = rule;
  }
  return exact ? exact : any;
}

Commission calculate_commission(const Invoice& invoice, int64_t basis, std::string_view partner,
                                const std::optional<CommissionRule>& rule, int64_t now) {
  Commission c{.id = commission_id(invoice.id),
               .invoice = invoice.id,
               .customer = invoice.customer_id,
               .partner = std::string(partner),
               .basis_amount = basis,
               .currency = invoice.currency,
               .created = now};
  if (!rule) {
    c.status = CommissionOutcome::no_rule;
    c.reason = fmt::format("partner {} has no commission rule for {}", partner, invoice.currency);
    return c;
  }
  c.rule = rule->id;
  c.rate_bps = rule->rate_bps;
  auto amount = core::percent_of(basis, rule->rate_bps);
  if (!amount) {
    c.status = CommissionOutcome::failed;
    c.reason = amount.error().message;
    return c;
  }
  c.amount = *amount;
  c.status = CommissionOutcome::calculated;
  if (rule->cap && c.amount > *rule->cap) {
    c.amount = *rule->cap;
    c.status = CommissionOutcome::capped;
  }
  if (owed_to_statement(c) != 0) c.statement_at = next_statement_at(now);
  return c;
}

bool reverse_pro_rata(Commission& commission, int64_t refunded, int64_t now) {
  if (commission.basis_amount <= 0 || commission.amount == 0) return false;
  const int64_t bounded = std::min(std::max<int64_t>(refunded, 0), commission.basis_amount);
  auto reversed = prorate(commission.amount, bounded, commission.basis_amount);
  if (!reversed) return false;  // amount × basis fits: amount ≤ basis × 100 %
  if (*reversed == commission.reversed_amount) return false;
  commission.reversed_amount = *reversed;
  commission.statement_at = owed_to_statement(commission) != 0 ? std::optional<int64_t>(next_statement_at(now))
                                                               : std::nullopt;
  return true;
}

int64_t owed_to_statement(const Commission& commission) {
  return commission.amount - commission.reversed_amount - commission.invoiced_amount;
}

int64_t next_statement_at(int64_t now) {
  return add_intervals(calendar_floor(now, BillingInterval::month), BillingInterval::month, 1);
}

Invoice statement_invoice(std::string_view partner, std::string_view currency,
                          const std::vector<Commission>& commissions, int64_t period_start, int64_t period_end) {
  Invoice doc;
  doc.customer_id = std::string(partner);
  doc.currency = std::string(currency);
  doc.audience = Audience::partner;
  doc.collection_method = CollectionMethod::send_invoice;
  doc.days_until_due = 30;
  doc.billing_reason = BillingReason::manual;
  doc.period_start = period_start;
  doc.period_end = period_end;
  doc.description = "Commissions on your referred customers' paid invoices";
  doc.metadata["commission_statement"] = "true";
  for (const auto& c : commissions) {
    const int64_t owed = owed_to_statement(c);
    if (owed == 0) continue;
    const std::string what = owed > 0 ? "Commission" : "Commission reversed";
    doc.lines.push_back(LineItem{.id = c.id,
                                 .description = fmt::format("{} on {} ({} of {} {})", what, c.invoice,
                                                            fmt::format("{} %", core::basis_points_to_percent(c.rate_bps)),
                                                            core::to_major_string(c.basis_amount, c.currency),
                                                            c.currency),
                                 .quantity_milli = 1000,
                                 .unit_amount = owed});
  }
  return doc;
}

void mark_invoiced(Commission& commission, std::string_view partner_invoice_id) {
  commission.invoiced_amount = commission.amount - commission.reversed_amount;
  commission.partner_invoice = std::string(partner_invoice_id);
  commission.statement_at.reset();
}

}  // namespace billhook::billing
