// Progressive billing's pure decisions: which threshold levels a usage total has reached, and a period's
// usage lines less what its progressive invoices billed, charge by charge.

#include "billing/progressive_billing.hpp"

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

}  // namespace
}  // namespace billhook::billing
