// Commissions (pure): the rule that applies, the amount rounded once and bound by the cap, pro-rata
// reversal, what a statement carries, and the checks of a rule naming the field.

#include "billing/commission.hpp"

#include <gtest/gtest.h>

namespace billhook::billing {
namespace {

constexpr int64_t kNov1 = 1'793'491'200;  // 2026-11-01T00:00:00Z
constexpr int64_t kDec1 = 1'796'083'200;  // 2026-12-01T00:00:00Z

Invoice paid_invoice(int64_t total, const std::string& currency = "GBP") {
  Invoice invoice;
  invoice.id = "inv_01M6A6FT00ZQ6B6GDZEJWCPE04";
  invoice.customer_id = "cus_01KEQR1700QZ62H3YWQEXTH3CM";
  invoice.currency = currency;
  invoice.total = total;
  invoice.amount_paid = total;
  return invoice;
}

CommissionRule rule(std::string id, int64_t bps, std::optional<int64_t> cap = std::nullopt,
                    std::optional<std::string> currency = std::nullopt) {
  return {.id = std::move(id), .partner = "cus_p", .rate_bps = bps, .cap = cap, .currency = currency, .created = 0};
}

TEST(Commission, CalculatedCappedAndNoRule) {
  const Commission c = calculate_commission(paid_invoice(22800), 22800, "cus_p", rule("cr_1", 1500), kNov1);
  EXPECT_EQ(c.id, "com_01M6A6FT00ZQ6B6GDZEJWCPE04");
  EXPECT_EQ(c.status, CommissionOutcome::calculated);
  EXPECT_EQ(c.amount, 3420);  // 15 % of 228.00
  EXPECT_EQ(c.statement_at, kDec1);
  EXPECT_EQ(owed_to_statement(c), 3420);

  const Commission capped =
      calculate_commission(paid_invoice(22800), 22800, "cus_p", rule("cr_2", 1500, 3000, "GBP"), kNov1);
  EXPECT_EQ(capped.status, CommissionOutcome::capped);
  EXPECT_EQ(capped.amount, 3000);

  const Commission none = calculate_commission(paid_invoice(22800), 22800, "cus_p", std::nullopt, kNov1);
  EXPECT_EQ(none.status, CommissionOutcome::no_rule);
  EXPECT_EQ(none.amount, 0);
  EXPECT_FALSE(none.statement_at.has_value());
  ASSERT_TRUE(none.reason.has_value());

  // Rounded once, half-up: 7.7 % of 1,005 is 77.385 → 77; of 1,150 is 88.55 → 89.
  EXPECT_EQ(calculate_commission(paid_invoice(1005), 1005, "cus_p", rule("cr_3", 770), kNov1).amount, 77);
  EXPECT_EQ(calculate_commission(paid_invoice(1150), 1150, "cus_p", rule("cr_3", 770), kNov1).amount, 89);
}

TEST(Commission, TheNewestRuleForTheCurrencyElseTheNewestForAny) {
  const std::vector<CommissionRule> rules = {rule("cr_1", 1000), rule("cr_2", 1200), rule("cr_3", 900, 5, "EUR"),
                                             rule("cr_0", 800, 5, "EUR")};
  EXPECT_EQ(rule_for(rules, "EUR")->id, "cr_3");
  EXPECT_EQ(rule_for(rules, "GBP")->id, "cr_2");
  EXPECT_FALSE(rule_for({rule("cr_9", 100, 5, "EUR")}, "GBP").has_value());
}

TEST(Commission, RefundsReverseProRataAndTheStatementCarriesTheDifference) {
  Commission c = calculate_commission(paid_invoice(11900), 11900, "cus_p", rule("cr_1", 1500), kNov1);
  EXPECT_EQ(c.amount, 1785);
  EXPECT_TRUE(reverse_pro_rata(c, 5950, kNov1));  // half: 892.5 → 893
  EXPECT_EQ(c.reversed_amount, 893);
  EXPECT_FALSE(reverse_pro_rata(c, 5950, kNov1));  // the same refund again changes nothing
  EXPECT_EQ(owed_to_statement(c), 892);

  const Invoice statement = statement_invoice("cus_p", "GBP", {c}, kNov1, kDec1);
  EXPECT_EQ(statement.audience, Audience::partner);
  EXPECT_EQ(statement.collection_method, CollectionMethod::send_invoice);
  ASSERT_EQ(statement.lines.size(), 1u);
  EXPECT_EQ(statement.lines[0].unit_amount, 892);
  mark_invoiced(c, "inv_statement");
  EXPECT_EQ(owed_to_statement(c), 0);
  EXPECT_FALSE(c.statement_at.has_value());

  // Refunded in full after the statement: a reversal line on the next one.
  EXPECT_TRUE(reverse_pro_rata(c, 11900, kDec1));
  EXPECT_EQ(c.reversed_amount, 1785);
  EXPECT_EQ(owed_to_statement(c), -892);
  EXPECT_EQ(c.statement_at, 1'798'761'600);  // 2027-01-01
  EXPECT_EQ(statement_invoice("cus_p", "GBP", {c}, kDec1, kDec1).lines.at(0).unit_amount, -892);
}

TEST(Commission, ARuleIsCheckedNamingTheField) {
  auto over = new_commission_rule({.partner = "cus_p", .rate_bps = 10001}, "cr_1", kNov1);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().param, "rate_bps");
  EXPECT_EQ(new_commission_rule({.partner = "cus_p", .rate_bps = -1}, "cr_1", kNov1).error().param, "rate_bps");
  EXPECT_EQ(new_commission_rule({.partner = "", .rate_bps = 10}, "cr_1", kNov1).error().param, "partner");
  EXPECT_EQ(new_commission_rule({.partner = "cus_p", .rate_bps = 10, .cap = 0, .currency = "EUR"}, "cr_1", kNov1)
                .error()
                .param,
            "cap");
  EXPECT_EQ(new_commission_rule({.partner = "cus_p", .rate_bps = 10, .cap = 5}, "cr_1", kNov1).error().param,
            "currency");
  EXPECT_EQ(new_commission_rule({.partner = "cus_p", .rate_bps = 10, .currency = "EURO"}, "cr_1", kNov1).error().param,
            "currency");
  EXPECT_TRUE(new_commission_rule({.partner = "cus_p", .rate_bps = 10000}, "cr_1", kNov1).ok());
}

}  // namespace
}  // namespace billhook::billing
