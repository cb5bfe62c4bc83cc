// Commissions on the store, on both backends: each paid invoice of a referred customer sends one
// commission.calculation_attempted (calculated, capped, no_rule), schema-valid; refunds and credit notes reverse
// it pro rata; the partner's monthly statement (a partner invoice, by the document clock) has a line per
// commission summing to what accrued, issued once; bad input (a rule over 100 %, a customer that is no
// partner, a partner referring itself, a second referral) is a 4xx naming the field with nothing changed.

#include "billing/commission_service.hpp"

#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "credit_fixture.hpp"

namespace billhook::billing::testing {
namespace {

constexpr int64_t kDay = 86'400;

class CommissionServiceTest : public CreditTest {
 protected:
  void open_services() override {
    CreditTest::open_services();
    commissions_ = std::make_unique<CommissionService>(*service_);
  }
  void close_services() override {
    commissions_.reset();
    CreditTest::close_services();
  }

  std::string partner() {
    const std::string id = customer();
    auto p = write([&](store::WriteTx& tx) { return commissions_->create_partner(tx, {.customer = id}, {}); });
    EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
    return id;
  }

  core::Result<Referral> refer(const std::string& customer_id, const std::string& partner_id) {
    return write([&](store::WriteTx& tx) {
      return commissions_->create_referral(tx, {.customer = customer_id, .partner = partner_id}, {});
    });
  }

  std::string referred(const std::string& partner_id) {
    const std::string id = customer();
    auto r = refer(id, partner_id);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    attach(id, kGoodCard);
    return id;
  }

  core::Result<CommissionRule> rule(const std::string& partner_id, int64_t rate_bps,
                                    std::optional<int64_t> cap = std::nullopt,
                                    std::optional<std::string> currency = std::string("EUR")) {
    return write([&](store::WriteTx& tx) {
      return commissions_->create_rule(
          tx, {.partner = partner_id, .rate_bps = rate_bps, .cap = cap, .currency = currency}, {});
    });
  }

  // Paid by card: 11,900 EUR.
  std::string paid(const std::string& customer_id) {
    const std::string id = open_invoice(customer_id);
    auto r = pay_card(id);
    EXPECT_TRUE(r.ok() && r->invoice.status == InvoiceStatus::paid);
    return id;
  }

  Commission commission_of(const std::string& invoice_id) {
    auto found = store_->find_document(kCommissions.kind, commission_id(invoice_id));
    EXPECT_TRUE(found.ok() && found->has_value()) << invoice_id;
    if (!found.ok() || !*found) return {};
    auto c = kCommissions.decode((*found)->body);
    EXPECT_TRUE(c.ok());
    return c.ok() ? *c : Commission{};
  }

  std::unique_ptr<CommissionService> commissions_;
};

TEST_P(CommissionServiceTest, PaidRefundedCappedAndNoRuleAndTheStatementSumsTheAccrual) {
  const std::string p = partner();
  ASSERT_TRUE(rule(p, 1500).ok());  // 15 % of EUR invoices
  const std::string c = referred(p);

  const std::string first = paid(c);  // 15 % of 11,900 = 1,785
  auto events = events_of(commission_id(first));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "commission.calculation_attempted");
  EXPECT_EQ(events[0].object.at("object"), "commission");
  EXPECT_EQ(events[0].object.at("status"), "calculated");
  EXPECT_EQ(events[0].object.at("partner"), json::value(p));
  EXPECT_EQ(events[0].object.at("invoice"), json::value(first));
  EXPECT_EQ(events[0].object.at("basis_amount"), 11900);
  EXPECT_EQ(events[0].object.at("rate_bps"), 1500);
  EXPECT_EQ(events[0].object.at("amount"), 1785);

  // A refund of 5,950 (half) reverses half: 892.5 → 893.
  ASSERT_TRUE(refund(first, 5950).ok());
  EXPECT_EQ(commission_of(first).reversed_amount, 893);
  EXPECT_EQ(events_of(commission_id(first)).size(), 1u);  // the attempt is announced once

  // A capped rule (newer, same currency) binds the second invoice: 1,785 → 1,000.
  ASSERT_TRUE(rule(p, 1500, 1000).ok());
  const std::string second = paid(c);
  const Commission capped = commission_of(second);
  EXPECT_EQ(capped.status, CommissionOutcome::capped);
  EXPECT_EQ(capped.amount, 1000);

  // No rule for USD.
  auto usd = write([&](store::WriteTx& tx) { return service_->create_invoice(tx, document(c, 5000, "USD"), true, {}); });
  ASSERT_TRUE(usd.ok());
  ASSERT_TRUE(pay_card(usd->invoice.id).ok());
  const Commission none = commission_of(usd->invoice.id);
  EXPECT_EQ(none.status, CommissionOutcome::no_rule);
  EXPECT_EQ(none.amount, 0);
  EXPECT_EQ(events_of(commission_id(usd->invoice.id)).at(0).object.at("status"), "no_rule");

  // A customer referred by nobody earns nothing for anyone.
  const std::string plain = customer();
  attach(plain, kGoodCard);
  const std::string unreferred = paid(plain);
  EXPECT_FALSE(store_->find_document(kCommissions.kind, commission_id(unreferred))->has_value());

  // The statement on the first of next month: one partner invoice, lines summing to the accrual.
  advance_days(31);
  run_scheduler();
  auto statements = documents({.kind = "invoice", .customer_id = p});
  ASSERT_EQ(statements.size(), 1u);
  const Invoice statement = stored_invoice(statements[0].id);
  EXPECT_EQ(statement.audience, Audience::partner);
  EXPECT_EQ(statement.status, InvoiceStatus::open);
  EXPECT_EQ(statement.currency, "EUR");
  ASSERT_EQ(statement.lines.size(), 2u);
  int64_t sum = 0;
  for (const auto& line : statement.lines) sum += line.amount;
  EXPECT_EQ(sum, (1785 - 893) + 1000);
  EXPECT_EQ(statement.total, 1892);
  EXPECT_EQ(types_of(statement.id).at(0), "partner_invoice.created");
  EXPECT_EQ(commission_of(first).partner_invoice, statement.id);
  EXPECT_EQ(commission_of(first).invoiced_amount, 892);

  // Nothing more next month, nor on another pass: each commission is carried once.
  run_scheduler();
  advance_days(31);
  run_scheduler();
  EXPECT_EQ(documents({.kind = "invoice", .customer_id = p}).size(), 1u);
}

TEST_P(CommissionServiceTest, ACreditNoteReversesProRataAndItsVoidRestores) {
  const std::string p = partner();
  ASSERT_TRUE(rule(p, 1500).ok());
  const std::string c = referred(p);
  const std::string inv = paid(c);  // commission 1,785 on 11,900
  // 2,380 credited to the customer's balance: a fifth back, 357 of the commission.
  auto note = credit_note(inv, 2380, std::nullopt, 2380);
  ASSERT_TRUE(note.ok()) << note.error().message;
  EXPECT_EQ(commission_of(inv).reversed_amount, 357);
  // Plus 1,190 refunded by a second note: 3,570 in all, 535.5 → 536.
  ASSERT_TRUE(credit_note(inv, 1190, 1190, 0).ok());
  EXPECT_EQ(commission_of(inv).reversed_amount, 536);
  // The first note voided: only the refund counts, 178.5 → 179.
  ASSERT_TRUE(write([&](store::WriteTx& tx) { return credit_->void_credit_note(tx, note->id, {}); }).ok());
  EXPECT_EQ(commission_of(inv).reversed_amount, 179);
}

TEST_P(CommissionServiceTest, BadInputNamesTheFieldAndChangesNothing) {
  const std::string p = partner();
  const std::string plain = customer();
  const int64_t before = event_count();

  auto over = rule(p, 10001);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().param, "rate_bps");
  auto not_partner = rule(plain, 1000);
  ASSERT_FALSE(not_partner.ok());
  EXPECT_EQ(not_partner.error().code, "not_a_partner");
  EXPECT_EQ(not_partner.error().param, "partner");
  auto cap_without_currency = rule(p, 1000, 500, std::nullopt);
  ASSERT_FALSE(cap_without_currency.ok());
  EXPECT_EQ(cap_without_currency.error().param, "currency");
  EXPECT_TRUE(documents({.kind = "commission_rule"}).empty());

  // A partner referring itself; a customer referred by one that is no partner; referred twice.
  auto self = refer(p, p);
  ASSERT_FALSE(self.ok());
  EXPECT_EQ(self.error().param, "partner");
  auto by_plain = refer(customer(), plain);
  ASSERT_FALSE(by_plain.ok());
  EXPECT_EQ(by_plain.error().code, "not_a_partner");
  EXPECT_EQ(by_plain.error().param, "partner");
  const std::string c = customer();
  ASSERT_TRUE(refer(c, p).ok());
  auto twice = refer(c, partner());
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code, "customer_already_referred");
  EXPECT_EQ(documents({.kind = "referral"}).size(), 1u);
  EXPECT_EQ(event_count(), before + 3);  // the three customers made here, nothing else
}

// The `failed` outcome (DOMAINS.md §5): the referrer was a partner when it referred the customer and no
// longer is when an invoice is paid (its role taken away on the customer). The attempt is announced,
// failed with the reason, earns nothing and waits for no statement; made a partner again, it earns again.
TEST_P(CommissionServiceTest, AReferrerNoLongerAPartnerMakesTheAttemptFailed) {
  const std::string p = partner();
  ASSERT_TRUE(rule(p, 1500).ok());
  const std::string c = referred(p);
  const auto set_role = [&](std::optional<std::string> role) {
    return write([&](store::WriteTx& tx) {
      return commissions_->assign_roles(tx, p, {.role = std::optional<std::optional<std::string>>(role)}, {});
    });
  };
  ASSERT_TRUE(set_role(std::nullopt).ok());
  auto roles = write([&](store::WriteTx& tx) { return roles_of(tx, p); });
  ASSERT_TRUE(roles.ok());
  EXPECT_FALSE(roles->partner);
  auto referred_roles = write([&](store::WriteTx& tx) { return roles_of(tx, c); });
  ASSERT_TRUE(referred_roles.ok());
  EXPECT_EQ(referred_roles->referred_by, p) << "the referral stays";

  const std::string inv = paid(c);
  const Commission failed = commission_of(inv);
  EXPECT_EQ(failed.status, CommissionOutcome::failed);
  EXPECT_EQ(failed.amount, 0);
  EXPECT_FALSE(failed.statement_at.has_value());
  ASSERT_TRUE(failed.reason.has_value());
  EXPECT_NE(failed.reason->find("no longer a partner"), std::string::npos) << *failed.reason;
  const auto events = events_of(commission_id(inv));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "commission.calculation_attempted");
  EXPECT_EQ(events[0].object.at("status"), "failed");
  // No new rule or referral for a former partner.
  auto no_rule = rule(p, 1000);
  ASSERT_FALSE(no_rule.ok());
  EXPECT_EQ(no_rule.error().code, "not_a_partner");

  // A partner again: the same document, and the next paid invoice earns.
  ASSERT_TRUE(set_role(std::string("partner")).ok());
  EXPECT_EQ(documents({.kind = "partner"}).size(), 1u);
  EXPECT_EQ(commission_of(paid(c)).status, CommissionOutcome::calculated);
}

// referred_by on the customer itself maps onto the referral: set once, idempotent, and every bad value a
// 4xx naming `referred_by` with nothing changed.
TEST_P(CommissionServiceTest, ReferredByOnTheCustomerIsTheReferral) {
  const std::string p = partner();
  const std::string plain = customer();
  const std::string c = customer();
  const auto refer_by = [&](const std::string& customer_id, std::optional<std::string> referrer) {
    return write([&](store::WriteTx& tx) {
      return commissions_->assign_roles(
          tx, customer_id, {.referred_by = std::optional<std::optional<std::string>>(referrer)}, {});
    });
  };
  const int64_t before = event_count();
  for (const auto& [customer_id, referrer, code] :
       std::vector<std::tuple<std::string, std::optional<std::string>, std::string>>{
           {c, plain, "not_a_partner"},
           {c, std::string("cus_01JD3Y8F6W5Q2N4M7K9C1B3X5Z"), "resource_missing"},
           {p, p, "parameter_invalid"}}) {
    auto refused = refer_by(customer_id, referrer);
    ASSERT_FALSE(refused.ok()) << customer_id;
    EXPECT_EQ(refused.error().code, code);
    EXPECT_EQ(refused.error().param, "referred_by");
  }
  EXPECT_TRUE(documents({.kind = "referral"}).empty());

  ASSERT_TRUE(refer_by(c, p).ok());
  ASSERT_TRUE(refer_by(c, p).ok()) << "the same referrer again changes nothing";
  auto other = refer_by(c, partner());
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, "customer_already_referred");
  EXPECT_EQ(other.error().param, "referred_by");
  auto cleared = refer_by(c, std::nullopt);
  ASSERT_FALSE(cleared.ok());
  EXPECT_EQ(cleared.error().code, "referral_permanent");
  EXPECT_EQ(cleared.error().param, "referred_by");
  ASSERT_EQ(documents({.kind = "referral"}).size(), 1u);
  auto roles = write([&](store::WriteTx& tx) { return roles_of(tx, c); });
  ASSERT_TRUE(roles.ok());
  EXPECT_EQ(roles->referred_by, p);
  EXPECT_FALSE(roles->partner);
  EXPECT_EQ(event_count(), before + 1);  // the second partner's customer, nothing else
}

INSTANTIATE_TEST_SUITE_P(Backends, CommissionServiceTest, kBackends, backend_name);

}  // namespace
}  // namespace billhook::billing::testing
