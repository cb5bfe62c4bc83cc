#pragma once

// Commissions on the store (commission.hpp).
//
// Partners, referrals and rules: POST /v1/partners makes a customer a partner; POST /v1/referrals records
// that a customer was referred by a partner (once; never by itself); POST /v1/commission-rules gives a
// partner a rate. A customer that is not a partner is a 400 naming `partner`.
//
// Attempts: the service observes the invoices' events (BillingService::observe_events). On invoice.paid
// of a referred customer, in that same transaction, it calculates the invoice's commission
// once (its id is the invoice's) and appends commission.calculation_attempted (aggregate commission)
// with the rule, base, rate, amount and outcome. On invoice.refunded, and on credit_note.created or
// .voided about its invoice, it reverses the commission pro rata to what was taken back since — refunded,
// credited to the customer's balance or out of band by credit notes not voided (no event: the statement
// shows it).
//
// Statements: on_wake, the commission's handler on the document clock (the node that runs time
// jobs), at `statement_at` (the first of a month) issues the partner's statement for the commission's
// currency — one partner invoice (partner_invoice.created, invoice.finalized) with a line per
// commission due, what each owes since the last statement — claimed once per partner, currency and
// month, so two nodes cannot both issue it. Nothing is issued while the lines sum to nothing or less:
// they wait for the next month.

#include <string_view>

#include <boost/json/object.hpp>

#include "billing/billing_service.hpp"
#include "billing/commission.hpp"
#include "billing/credit_note.hpp"
#include "billing/customer_roles.hpp"
#include "billing/registry/document_clock.hpp"
#include "billing/registry/registry.hpp"
#include "store/store.hpp"

namespace billhook::billing {

class CommissionService {
 public:
  explicit CommissionService(BillingService& billing);
  ~CommissionService();
  CommissionService(const CommissionService&) = delete;
  CommissionService& operator=(const CommissionService&) = delete;

  core::Result<Partner> create_partner(store::WriteTx& tx, const NewPartner& request, const Origin& origin);
  core::Result<Referral> create_referral(store::WriteTx& tx, const NewReferral& request, const Origin& origin);
  core::Result<CommissionRule> create_rule(store::WriteTx& tx, const NewCommissionRule& request, const Origin& origin);

  // `role` and `referred_by` as a customer's own fields (POST/PATCH /v1/customers), written onto the
  // partner and referral documents — their one source of truth. Errors name the field and the caller's
  // transaction is rolled back: a referrer that is unknown, no partner or the customer itself (400
  // naming referred_by), a second referrer or taking a referral back (409).
  core::Status assign_roles(store::WriteTx& tx, std::string_view customer_id, const CustomerRolesChange& change,
                            const Origin& origin);

  // The commission's handler on the document clock: the partner's statement, when due.
  core::Result<bool> on_wake(store::WriteTx& tx, const Wake& wake);

 private:
  core::Status on_invoice_event(store::WriteTx& tx, std::string_view type, const boost::json::object& invoice,
                                const Origin& origin);
  core::Status on_paid(store::WriteTx& tx, std::string_view invoice_id, const Origin& origin);
  // The commission of `invoice_id` follows what was taken back from the invoice. `changed` is a credit
  // note as its event shows it, newer than its stored copy.
  core::Status reverse(store::WriteTx& tx, std::string_view invoice_id, const CreditNote* changed = nullptr);

  // The names the errors of a referral give its customer and partner: POST /v1/referrals names
  // `customer` and `partner`, a customer's own `referred_by` names itself.
  struct ReferralParams {
    std::string_view customer;
    std::string_view partner;
  };
  core::Result<Referral> refer(store::WriteTx& tx, std::string_view customer_id, std::string_view partner_id,
                               const ReferralParams& params);

  BillingService& billing_;
};

// Commissions on the registry: POST/GET /v1/partners, /v1/referrals (?partner=), /v1/commission-rules, GET /v1/commissions[/{id}] (?customer= the
// partner, ?invoice=), statements on the document clock, and the service.
void register_commissions(DocumentRegistry& registry);

}  // namespace billhook::billing
