#include "core/decimal.hpp"

#include <gtest/gtest.h>

#include <string>

namespace billhook::core {
namespace {

Decimal d(std::string_view text) {
  auto parsed = Decimal::parse(text);
  EXPECT_TRUE(parsed.ok()) << text << ": " << (parsed.ok() ? "" : parsed.error().message);
  return parsed.ok() ? *parsed : Decimal{};
}

template <class T>
T ok(Result<T> result) {
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  return result.ok() ? std::move(*result) : T{};
}

TEST(Decimal, ParsesExactDecimalStringsToTheirShortestForm) {
  EXPECT_EQ(d("0").to_string(), "0");
  EXPECT_EQ(d("12").to_string(), "12");
  EXPECT_EQ(d("12.50").to_string(), "12.5");
  EXPECT_EQ(d("0.0025").to_string(), "0.0025");
  EXPECT_EQ(d("-0.000000000001").to_string(), "-0.000000000001");
  EXPECT_EQ(d("-0").to_string(), "0");
  EXPECT_EQ(d("007.100").to_string(), "7.1");
  EXPECT_EQ(d("999999999999999999.999999999999").to_string(), "999999999999999999.999999999999");
}

TEST(Decimal, RefusesWhatIsNotAnExactDecimalStringNamingTheField) {
  for (const char* bad : {"", "-", ".5", "5.", "1e3", "+1", " 1", "1 ", "1,5", "0x10", "1.2.3", "NaN", "--1",
                          "0.0000000000001", "1000000000000000000"}) {
    auto parsed = Decimal::parse(bad, "charges.0.properties.amount");
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().code, "invalid_decimal") << bad;
    EXPECT_EQ(parsed.error().param, "charges.0.properties.amount") << bad;
  }
}

TEST(Decimal, ReadsBackEveryStoredFormExactly) {
  // A running total outgrows what a caller may send: up to 36 digits after the point, 38 in all.
  const auto product = *(*Decimal::parse("0.123456789012")).times(*Decimal::parse("0.123456789012"));
  const auto tiny = *product.shifted_down(2);
  EXPECT_FALSE(Decimal::parse(tiny.to_string()));
  auto back = Decimal::parse_stored(tiny.to_string());
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, tiny);
  EXPECT_EQ(Decimal::parse_stored("12345678901234567890123456789012345678")->to_string(),
            "12345678901234567890123456789012345678");
  EXPECT_FALSE(Decimal::parse_stored("123456789012345678901234567890123456789"));  // 39 digits
  EXPECT_FALSE(Decimal::parse_stored("1." + std::string(37, '1')));
  EXPECT_FALSE(Decimal::parse_stored("1e3"));
  EXPECT_EQ(Decimal::parse_stored("-0.5")->to_string(), "-0.5");
}

TEST(Decimal, ComparesAcrossScales) {
  EXPECT_EQ(d("1.50"), d("1.5"));
  EXPECT_LT(d("0.0025"), d("0.003"));
  EXPECT_LT(d("-0.5"), d("0.5"));
  EXPECT_LT(d("-1.5"), d("-1.25"));
  EXPECT_GT(d("100"), d("99.999999999999"));
  EXPECT_EQ(d("0").sign(), 0);
  EXPECT_EQ(d("-0.1").sign(), -1);
}

TEST(Decimal, AddsAndMultipliesExactly) {
  EXPECT_EQ(ok(d("0.1").plus(d("0.2"))).to_string(), "0.3");
  EXPECT_EQ(ok(d("1").minus(d("1.000000000001"))).to_string(), "-0.000000000001");
  EXPECT_EQ(ok(d("0.0025").times(d("12.5"))).to_string(), "0.03125");
  EXPECT_EQ(ok(d("0.000000000001").times(d("0.000000000001"))).to_string(), "0.000000000000000000000001");
  EXPECT_EQ(ok(d("999999999999999999").times(d("999999999999999999"))).to_string(),
            "999999999999999998000000000000000001");
  EXPECT_EQ(ok(d("2.5").shifted_down(2)).to_string(), "0.025");
}

TEST(Decimal, OverflowIsAnErrorNotAWrap) {
  const Decimal big = d("999999999999999999.999999999999");
  auto product = big.times(big);
  ASSERT_FALSE(product.ok());
  EXPECT_EQ(product.error().code, "decimal_out_of_range");
}

TEST(Decimal, RoundsToMinorUnitsHalfEvenOnce) {
  EXPECT_EQ(ok(d("0.125").to_minor_half_even(2)), 12);
  EXPECT_EQ(ok(d("0.135").to_minor_half_even(2)), 14);
  EXPECT_EQ(ok(d("0.1251").to_minor_half_even(2)), 13);
  EXPECT_EQ(ok(d("-0.125").to_minor_half_even(2)), -12);
  EXPECT_EQ(ok(d("-0.135").to_minor_half_even(2)), -14);
  EXPECT_EQ(ok(d("2.5").to_minor_half_even(0)), 2);
  EXPECT_EQ(ok(d("3.5").to_minor_half_even(0)), 4);
  EXPECT_EQ(ok(d("1.2345").to_minor_half_even(3)), 1234);
  EXPECT_EQ(ok(d("1.2355").to_minor_half_even(3)), 1236);
  EXPECT_EQ(ok(d("7").to_minor_half_even(4)), 70000);
  EXPECT_EQ(ok(to_minor_half_even(d("0.0005"), "BHD")), 0);
  EXPECT_EQ(ok(to_minor_half_even(d("0.0015"), "BHD")), 2);
  EXPECT_EQ(ok(to_minor_half_even(d("12.5"), "JPY")), 12);
  auto huge = d("999999999999999999").to_minor_half_even(2);
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error().code, "amount_out_of_range");
  EXPECT_FALSE(to_minor_half_even(d("1"), "XXX").ok());
}

TEST(Decimal, RoundsAQuantityHalfEvenAndCountsPackages) {
  EXPECT_EQ(ok(d("3.333333333335").shifted_down(1)).rounded_half_even(12).to_string(), "0.333333333334");
  EXPECT_EQ(ok(d("3.333333333325").shifted_down(1)).rounded_half_even(12).to_string(), "0.333333333332");
  EXPECT_EQ(ok(d("1").divided_half_even(3, 12)).to_string(), "0.333333333333");
  EXPECT_EQ(ok(d("2").divided_half_even(3, 12)).to_string(), "0.666666666667");
  EXPECT_EQ(ok(d("-2").divided_half_even(3, 2)).to_string(), "-0.67");
  EXPECT_EQ(ok(d("0.000000000001").divided_half_even(2, 12)).to_string(), "0");  // 0.5e-12 → even 0
  EXPECT_EQ(ok(d("0.000000000003").divided_half_even(2, 12)).to_string(), "0.000000000002");
  EXPECT_EQ(ok(d("86400").divided_half_even(86400, 12)).to_string(), "1");
  EXPECT_EQ(ok(d("1001").ceil_divided_by(100)), 11);
  EXPECT_EQ(ok(d("1000").ceil_divided_by(100)), 10);
  EXPECT_EQ(ok(d("0.5").ceil_divided_by(100)), 1);
  EXPECT_EQ(ok(d("0").ceil_divided_by(100)), 0);
  EXPECT_EQ(Decimal::from_minor(4999, 2).to_string(), "49.99");
}

}  // namespace
}  // namespace billhook::core
