#include "billing/commission_service.hpp"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "billing/credit_note.hpp"
#include "billing/subscription_period.hpp"
#include "core/money.hpp"

namespace billhook::billing {
namespace {

namespace json = boost::json;
using core::Error;
using core::Result;
using core::Status;

template <class T>
Result<std::vector<T>> all_of(store::WriteTx& tx, const DocumentKind<T>& kind, std::string_view customer_id) {
  auto records = tx.find_documents({.kind = std::string(kind.kind), .customer_id = std::string(customer_id)});
  if (!records) return std::move(records).error();
  std::vector<T> out;
  out.reserve(records->size());
  for (const auto& record : *records) {
    auto doc = kind.decode(record.body);
    if (!doc) return std::move(doc).error();
    out.push_back(std::move(*doc));
  }
  return out;
}

}  // namespace

CommissionService::CommissionService(BillingService& billing) : billing_(billing) {
  billing_.observe_events(this, "invoice",
                          [this](store::WriteTx& tx, std::string_view type, const json::object& invoice,
                                 const Origin& origin) { return on_invoice_event(tx, type, invoice, origin); });
  billing_.observe_events(this, "credit_note",
                          [this](store::WriteTx& tx, std::string_view type, const json::object& note,
                                 const Origin&) -> Status {
                            if (type != "credit_note.created" && type != "credit_note.voided") return {};
                            // The event is appended before the note is saved: its object is the news.
                            auto changed = kCreditNotes.decode(note);
                            if (!changed) return std::move(changed).error();
                            return reverse(tx, changed->invoice, &*changed);
                          });
}

CommissionService::~CommissionService() { billing_.stop_observing(this); }

namespace {

// `id` names a partner: a 400 naming `param` otherwise (an unknown customer, or one not made a partner).
Status check_partner(store::WriteTx& tx, BillingService& billing, std::string_view id, std::string_view param) {
  auto customer = billing.load_customer(tx, id, param);
  if (!customer) return std::move(customer).error();
  auto partner = kPartners.find(tx, id);
  if (!partner) return std::move(partner).error();
  if (!*partner || (*partner)->ended)
    return Error::invalid("not_a_partner",
                          fmt::format("customer {} is not a partner: POST /v1/partners makes it one", customer->id),
                          std::string(param));
  return {};
}

}  // namespace

Result<Partner> CommissionService::create_partner(store::WriteTx& tx, const NewPartner& request, const Origin&) {
  auto customer = billing_.load_customer(tx, request.customer, "customer");
  if (!customer) return std::move(customer).error();
  auto existing = kPartners.find(tx, customer->id);
  if (!existing) return std::move(existing).error();
  if (*existing && !(*existing)->ended) return std::move(**existing);  // a partner already: nothing changes
  const int64_t now = billing_.now_s();
  if (*existing) {  // a partner again: the same document, its end undone
    Partner again = std::move(**existing);
    again.ended.reset();
    if (auto s = kPartners.update(tx, again, again.id); !s) return std::move(s).error();
    return again;
  }
  Partner partner{.id = customer->id, .created = now};
  if (auto s = kPartners.insert(tx, partner, partner.id, now * 1000); !s) return std::move(s).error();
  return partner;
}

Result<Referral> CommissionService::create_referral(store::WriteTx& tx, const NewReferral& request, const Origin&) {
  return refer(tx, request.customer, request.partner, {.customer = "customer", .partner = "partner"});
}

Result<Referral> CommissionService::refer(store::WriteTx& tx, std::string_view customer_id,
                                          std::string_view partner_id, const ReferralParams& params) {
  auto customer = billing_.load_customer(tx, customer_id, params.customer);
  if (!customer) return std::move(customer).error();
  if (partner_id == customer->id)
    return Error::invalid("parameter_invalid", "a customer cannot refer itself", std::string(params.partner));
  if (auto s = check_partner(tx, billing_, partner_id, params.partner); !s) return std::move(s).error();
  auto existing = kReferrals.find(tx, customer->id);
  if (!existing) return std::move(existing).error();
  if (*existing)
    return Error::conflict("customer_already_referred",
                           fmt::format("customer {} was referred by {} already", customer->id, (*existing)->partner),
                           std::string(params.customer));
  const int64_t now = billing_.now_s();
  Referral referral{.id = customer->id, .partner = std::string(partner_id), .created = now};
  if (auto s = kReferrals.insert(tx, referral, referral.id, now * 1000); !s) return std::move(s).error();
  return referral;
}

Status CommissionService::assign_roles(store::WriteTx& tx, std::string_view customer_id,
                                       const CustomerRolesChange& change, const Origin& origin) {
  if (change.role) {
    if (*change.role) {
      auto made = create_partner(tx, {.customer = std::string(customer_id)}, origin);
      if (!made) return std::move(made).error();
    } else {
      auto partner = kPartners.find(tx, customer_id);
      if (!partner) return std::move(partner).error();
      if (*partner && !(*partner)->ended) {  // its referrals stay, and earn nothing from now on
        Partner ended = std::move(**partner);
        ended.ended = billing_.now_s();
        if (auto s = kPartners.update(tx, ended, ended.id); !s) return s;
      }
    }
  }
  if (change.referred_by) {
    auto existing = kReferrals.find(tx, customer_id);
    if (!existing) return std::move(existing).error();
    if (!*change.referred_by) {
      if (*existing)
        return Error::conflict("referral_permanent",
                               fmt::format("customer {} was referred by {}; a referral is kept for good",
                                           customer_id, (*existing)->partner),
                               "referred_by");
      return {};
    }
    if (*existing && (*existing)->partner == **change.referred_by) return {};  // as it is: nothing changes
    auto referral = refer(tx, customer_id, **change.referred_by, {.customer = "referred_by", .partner = "referred_by"});
    if (!referral) return std::move(referral).error();
  }
  return {};
}

Result<CommissionRule> CommissionService::create_rule(store::WriteTx& tx, const NewCommissionRule& request,
                                                      const Origin&) {
  const int64_t now = billing_.now_s();
  auto rule = new_commission_rule(request, billing_.ids().next(core::IdKind::commission_rule), now);
  if (!rule) return rule;
  if (auto s = check_partner(tx, billing_, rule->partner, "partner"); !s) return std::move(s).error();
  if (auto s = kCommissionRules.insert(tx, *rule, rule->id, now * 1000); !s) return std::move(s).error();
  return rule;
}

Status CommissionService::on_invoice_event(store::WriteTx& tx, std::string_view type, const json::object& invoice,
                                           const Origin& origin) {
  if (type != "invoice.paid" && type != "invoice.refunded") return {};
  const auto* id = invoice.if_contains("id");
  if (!id || !id->is_string()) return Error::internal(fmt::format("{} without an invoice id", type));
  return type == "invoice.paid" ? on_paid(tx, id->get_string(), origin) : reverse(tx, id->get_string());
}

Status CommissionService::on_paid(store::WriteTx& tx, std::string_view invoice_id, const Origin& origin) {
  auto invoice = billing_.load_invoice(tx, invoice_id);
  if (!invoice) return std::move(invoice).error();
  if (invoice->audience != Audience::customer || invoice->kind != InvoiceKind::invoice) return {};
  auto referral = kReferrals.find(tx, invoice->customer_id);
  if (!referral) return std::move(referral).error();
  if (!*referral) return {};  // referred by nobody
  const std::string partner_id = (*referral)->partner;
  auto existing = tx.find_document(kCommissions.kind, commission_id(invoice->id));
  if (!existing) return std::move(existing).error();
  if (*existing) return {};  // one attempt per invoice

  const int64_t now = billing_.now_s();
  const int64_t basis = std::max<int64_t>(0, invoice->amount_paid - invoice->amount_overpaid);
  Commission commission;
  auto partner = kPartners.find(tx, partner_id);
  if (!partner) return std::move(partner).error();
  if (!*partner || (*partner)->ended) {
    commission = calculate_commission(*invoice, basis, partner_id, std::nullopt, now);
    commission.status = CommissionOutcome::failed;
    commission.reason = fmt::format("the referrer {} is no longer a partner", partner_id);
  } else {
    auto rules = all_of(tx, kCommissionRules, partner_id);
    if (!rules) return std::move(rules).error();
    commission = calculate_commission(*invoice, basis, partner_id, rule_for(*rules, invoice->currency), now);
  }
  if (auto s = kCommissions.insert(tx, commission, commission.id, now * 1000); !s) return s;
  return billing_.append(tx, "commission.calculation_attempted", "commission", commission.id,
                         kCommissions.api_json(commission), {}, origin);
}

Status CommissionService::reverse(store::WriteTx& tx, std::string_view invoice_id, const CreditNote* changed) {
  auto found = kCommissions.find(tx, commission_id(invoice_id));
  if (!found) return std::move(found).error();
  if (!*found) return {};
  Commission commission = std::move(**found);
  auto invoice = billing_.load_invoice(tx, invoice_id);
  if (!invoice) return std::move(invoice).error();
  // Refunds (a credit note's refund among them), and what credit notes gave back otherwise.
  int64_t taken = invoice->amount_refunded;
  auto notes = tx.find_documents({.kind = std::string(kCreditNotes.kind), .parent_id = std::string(invoice_id)});
  if (!notes) return std::move(notes).error();
  const auto given_back = [](const CreditNote& note) {
    return note.status == CreditNoteStatus::issued ? note.credit_amount + note.out_of_band_amount : 0;
  };
  for (const auto& record : *notes) {
    if (changed && record.id == changed->id) continue;
    auto note = kCreditNotes.decode(record.body);
    if (!note) return std::move(note).error();
    taken += given_back(*note);
  }
  if (changed) taken += given_back(*changed);
  if (!reverse_pro_rata(commission, taken, billing_.now_s())) return {};
  return kCommissions.update(tx, commission, commission.id);
}

Result<bool> CommissionService::on_wake(store::WriteTx& tx, const Wake& wake) {
  auto found = kCommissions.find(tx, wake.id);
  if (!found) return std::move(found).error();
  if (!*found) return false;
  const Commission woken = std::move(**found);
  const int64_t now = billing_.now_s();
  if (!woken.statement_at || *woken.statement_at > now) return false;

  // Everything of the partner's in this currency that is due: one statement.
  auto all = all_of(tx, kCommissions, woken.partner);
  if (!all) return std::move(all).error();
  std::vector<Commission> due;
  int64_t total = 0;
  for (auto& c : *all) {
    if (c.currency != woken.currency || !c.statement_at || *c.statement_at > now) continue;
    auto sum = core::checked_add(total, owed_to_statement(c));
    if (!sum) return std::move(sum).error();
    total = *sum;
    due.push_back(std::move(c));
  }
  std::sort(due.begin(), due.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  const int64_t month = calendar_floor(now, BillingInterval::month);
  if (total <= 0) {
    // Reversals only: they wait for next month's commissions.
    for (auto& c : due) {
      c.statement_at = next_statement_at(now);
      if (auto s = kCommissions.update(tx, c, c.id); !s) return std::move(s).error();
    }
    return false;
  }
  auto claimed = tx.claim_once(fmt::format("{}:commission_statement:{}:{}", woken.partner, woken.currency, month),
                               woken.id, now * 1000);
  if (!claimed) return std::move(claimed).error();
  if (!*claimed)
    return Error::conflict("commission_statement_issued",
                           fmt::format("partner {}'s {} statement of this month is issued already", woken.partner,
                                       woken.currency));
  // The month that ended: the one the commissions were earned in.
  Invoice doc =
      statement_invoice(woken.partner, woken.currency, due, calendar_floor(month - 1, BillingInterval::month), month);
  auto made = billing_.create_invoice(tx, std::move(doc), /*auto_finalize=*/true, Origin{});
  if (!made) return std::move(made).error();
  if (made->refusal) return *made->refusal;
  for (auto& c : due) {
    mark_invoiced(c, made->invoice.id);
    if (auto s = kCommissions.update(tx, c, c.id); !s) return std::move(s).error();
  }
  return false;
}

void register_commissions(DocumentRegistry& registry) {
  registry.provide(service_factory<CommissionService>(
      [](const DomainDeps& deps) { return std::make_unique<CommissionService>(deps.billing); }));

  RegisteredKind partners = registered(kPartners, "/v1/partners", "Partner");
  partners.commands = {create_command<CommissionService, NewPartner>(
      "Make a customer a partner",
      "The `customer` becomes a partner (the partner's id is the customer's): customers it refers "
      "(`POST /v1/referrals`) earn it commissions under its rules. Making a partner twice changes nothing; an "
      "unknown customer is a 404.",
      [](CommissionService& s, store::WriteTx& tx, const NewPartner& request, const Origin& origin) {
        return kPartners.answer(s.create_partner(tx, request, origin));
      })};
  registry.add(std::move(partners));

  RegisteredKind referrals = registered(kReferrals, "/v1/referrals", "Referral");
  referrals.parent_filter = "partner";
  referrals.commands = {create_command<CommissionService, NewReferral>(
      "Record a referral",
      "The `customer` was referred by the `partner` (the referral's id is the customer's): each invoice it pays "
      "sends `commission.calculation_attempted`. A customer is referred once (409 `customer_already_referred`); "
      "a partner referring itself, or a `partner` that is no partner, is a 400 naming `partner`.",
      [](CommissionService& s, store::WriteTx& tx, const NewReferral& request, const Origin& origin) {
        return kReferrals.answer(s.create_referral(tx, request, origin));
      })};
  registry.add(std::move(referrals));

  RegisteredKind rules = registered(kCommissionRules, "/v1/commission-rules", "CommissionRule");
  rules.customer_filter = "partner";
  rules.commands = {create_command<CommissionService, NewCommissionRule>(
      "Create a commission rule",
      "The `partner` earns `rate_bps` (0–10000, basis points) of what each customer it referred pays on an "
      "invoice, at most `cap` per invoice (minor units of "
      "`currency`, which a cap needs); only on invoices in `currency` when given. Each paid invoice of a referred "
      "customer sends `commission.calculation_attempted`; accrued commissions are lines on the partner's monthly "
      "statement (a partner invoice). A rate over 100 % is a 400 naming `rate_bps`; a customer that is not a "
      "partner a 400 naming `partner`.",
      [](CommissionService& s, store::WriteTx& tx, const NewCommissionRule& request, const Origin& origin) {
        return kCommissionRules.answer(s.create_rule(tx, request, origin));
      })};
  registry.add(std::move(rules));

  RegisteredKind commissions = registered(kCommissions, "/v1/commissions", "Commission");
  commissions.customer_filter = "partner";
  commissions.parent_filter = "invoice";
  commissions.wake = wake_with(&CommissionService::on_wake);
  registry.add(std::move(commissions));
}

}  // namespace billhook::billing
