// Progressive billing's pure decisions: which threshold levels a usage total has reached, and a period's
// usage lines less what its progressive invoices billed, charge by charge; and the period's usage lines
// themselves (usage_fees.hpp) with each kind of charge's min_amount.

#include "billing/progressive_billing.hpp"
#include "billing/usage_fees.hpp"

#include <gtest/gtest.h>

namespace billhook::billing {
namespace {

LineItem usage_line(std::string metric, ChargeModel model, int64_t amount) {
  LineItem line;
  line.description = metric;
  line.unit_amount = amount;
  line.usage = UsageFee{.billable_metric = std::move(metric), .charge_model = model, .units = "1"};
  return line;
}

TEST(ThresholdLevels, AFixedThresholdIsItsAmountAndARecurringOneItsHighestMultiple) {
  const std::vector<UsageThreshold> thresholds{{"ten", 1000, false}, {"every 25", 2500, true}, {"zero", 0, true}};
  EXPECT_TRUE(threshold_levels(thresholds, 999).empty());
  auto at_1000 = threshold_levels(thresholds, 1000);
  ASSERT_EQ(at_1000.size(), 1u);
  EXPECT_EQ(at_1000[0].level, 1000);
  auto at_7499 = threshold_levels(thresholds, 7499);
  ASSERT_EQ(at_7499.size(), 2u);
  EXPECT_EQ(at_7499[1].level, 5000) << "two multiples jumped at once are one level, the highest";
  EXPECT_EQ(threshold_levels(thresholds, 7500)[1].level, 7500);
}

TEST(LessBilled, EachChargeIsDeductedWhatItsProgressiveLinesBilled) {
  std::vector<LineItem> lines{usage_line("gb", ChargeModel::standard, 5300),
                              usage_line("gb", ChargeModel::graduated, 900),
                              usage_line("calls", ChargeModel::standard, 400)};
  BilledUsage billed{{{"gb", ChargeModel::standard}, 5100}, {{"calls", ChargeModel::standard}, 400}};
  auto left = less_billed(lines, billed);
  ASSERT_EQ(left.size(), 2u) << "the calls line, billed in full already, is dropped";
  EXPECT_EQ(left[0].unit_amount, 200);
  EXPECT_NE(left[0].description.find("progressive"), std::string::npos);
  EXPECT_EQ(left[1].unit_amount, 900) << "another model on the same metric is another charge";
  EXPECT_EQ(left[1].description, "gb");
  // Never below zero: usage that fell since (a `latest` metric) leaves the line at what remains, 0.
  EXPECT_TRUE(less_billed({usage_line("gb", ChargeModel::standard, 100)}, {{{"gb", ChargeModel::standard}, 300}})
                  .empty());
}

ChargeUsage priced(bool pay_in_advance, bool invoiceable, int64_t min_amount, int64_t amount) {
  ChargeUsage u;
  u.metric.code = "gb";
  u.metric.name = "Storage";
  u.charge = Charge{.billable_metric = "gb", .pay_in_advance = pay_in_advance, .invoiceable = invoiceable,
                    .min_amount = min_amount};
  u.units = core::Decimal::of(3);
  u.amount = amount;
  return u;
}

TEST(UsageLines, TheMinimumAppliesToEveryChargeAndAnInvoicedInAdvanceOneOwesOnlyTheDifference) {
  const Period period{100, 200};
  const auto amounts = [&](const ChargeUsage& u) {
    std::vector<int64_t> out;
    for (const LineItem& line : usage_lines({u}, period)) out.push_back(line.unit_amount);
    return out;
  };
  EXPECT_EQ(amounts(priced(false, true, 0, 450)), (std::vector<int64_t>{450}));
  EXPECT_EQ(amounts(priced(false, true, 1000, 450)), (std::vector<int64_t>{1000})) << "in arrears: the minimum";
  EXPECT_EQ(amounts(priced(true, false, 1000, 450)), (std::vector<int64_t>{1000})) << "not invoiceable: as in arrears";
  EXPECT_TRUE(amounts(priced(true, true, 0, 450)).empty()) << "its fees were invoiced as events arrived";
  EXPECT_TRUE(amounts(priced(true, true, 400, 450)).empty()) << "they reached the minimum";
  EXPECT_EQ(amounts(priced(true, true, 1000, 450)), (std::vector<int64_t>{550})) << "the true-up";
  EXPECT_EQ(amounts(priced(true, true, 1000, 0)), (std::vector<int64_t>{1000})) << "no usage: the whole minimum";
  const auto lines = usage_lines({priced(true, true, 1000, 450)}, period);
  EXPECT_NE(lines.at(0).description.find("less the fees paid in advance"), std::string::npos);
  EXPECT_EQ(lines.at(0).period_start, 100);
}

}  // namespace
}  // namespace billhook::billing
