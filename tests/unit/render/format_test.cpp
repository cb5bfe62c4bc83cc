#include "render/format.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace billhook::render {
namespace {

TEST(RenderFormat, AmountsAreGroupedWithTheCurrencysDecimals) {
  EXPECT_EQ(format_amount(123'456, 2), "1,234.56");
  EXPECT_EQ(format_amount(1'234'567, 0), "1,234,567");  // JPY
  EXPECT_EQ(format_amount(1'234'567, 3), "1,234.567");  // BHD
  EXPECT_EQ(format_amount(12'345'678, 4), "1,234.5678");  // CLF
  EXPECT_EQ(format_amount(100'000, 2), "1,000.00");
  EXPECT_EQ(format_amount(99'999, 2), "999.99");
  EXPECT_EQ(format_amount(5, 2), "0.05");
  EXPECT_EQ(format_amount(0, 0), "0");
  EXPECT_EQ(format_amount(-5, 2), "-0.05");
  EXPECT_EQ(format_amount(-123'456, 2), "-1,234.56");
}

TEST(RenderFormat, EveryInt64IsExact) {
  EXPECT_EQ(format_amount(std::numeric_limits<int64_t>::max(), 2), "92,233,720,368,547,758.07");
  EXPECT_EQ(format_amount(std::numeric_limits<int64_t>::min(), 2), "-92,233,720,368,547,758.08");
  EXPECT_EQ(format_amount(std::numeric_limits<int64_t>::max(), 0), "9,223,372,036,854,775,807");
}

TEST(RenderFormat, MoneyPutsTheCodeFirstAndTheSignBeforeIt) {
  EXPECT_EQ(format_money(170'646, "EUR", 2), "EUR 1,706.46");
  EXPECT_EQ(format_money(4'500, "JPY", 0), "JPY 4,500");
  EXPECT_EQ(format_money(1'234'567, "BHD", 3), "BHD 1,234.567");
  EXPECT_EQ(format_money(-5'000, "EUR", 2), "-EUR 50.00");
}

TEST(RenderFormat, QuantitiesDropTrailingZeros) {
  EXPECT_EQ(format_quantity(1000), "1");
  EXPECT_EQ(format_quantity(1500), "1.5");
  EXPECT_EQ(format_quantity(2125), "2.125");
  EXPECT_EQ(format_quantity(1), "0.001");
  EXPECT_EQ(format_quantity(0), "0");
  EXPECT_EQ(format_quantity(1'234'000), "1,234");
  EXPECT_EQ(format_quantity(10'000'500), "10,000.5");
}

TEST(RenderFormat, RatesArePercentagesWithoutTrailingZeros) {
  EXPECT_EQ(format_rate(1900), "19%");
  EXPECT_EQ(format_rate(770), "7.7%");
  EXPECT_EQ(format_rate(825), "8.25%");
  EXPECT_EQ(format_rate(10'000), "100%");
  EXPECT_EQ(format_rate(0), "0%");
}

TEST(RenderFormat, DatesAreUtcCalendarDays) {
  EXPECT_EQ(format_date(0), "1970-01-01");
  EXPECT_EQ(format_date(1'767'225'600), "2026-01-01");
  EXPECT_EQ(format_date(1'767'225'599), "2025-12-31");  // one second before midnight UTC
  EXPECT_EQ(format_date(1'709'164'800), "2024-02-29");
  EXPECT_EQ(format_date(-1), "1969-12-31");
}

}  // namespace
}  // namespace billhook::render
