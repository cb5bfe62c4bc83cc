#include "core/money.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <set>
#include <string>
#include <string_view>

namespace billhook::core {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

int exponent(std::string_view code) {
  auto result = currency_exponent(code);
  EXPECT_TRUE(result.ok()) << code << ": " << (result.ok() ? "" : result.error().message);
  return result.ok() ? *result : -1;
}

void expect_out_of_range(const Result<int64_t>& result) {
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::invalid_request);
  EXPECT_EQ(result.error().code, "amount_out_of_range");
}

int64_t value(const Result<int64_t>& result) {
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  return result.ok() ? *result : -999'999;
}

// --- the table -------------------------------------------------------------------------------------

TEST(CurrencyTable, IsSortedUniqueAndWellFormed) {
  const auto table = currencies();
  EXPECT_TRUE(std::is_sorted(table.begin(), table.end(),
                             [](const CurrencyInfo& a, const CurrencyInfo& b) { return a.code < b.code; }));
  std::set<std::string_view> codes;
  for (const CurrencyInfo& info : table) {
    SCOPED_TRACE(std::string(info.code));
    EXPECT_TRUE(codes.insert(info.code).second) << "duplicate";
    ASSERT_EQ(info.code.size(), 3u);
    EXPECT_TRUE(std::all_of(info.code.begin(), info.code.end(), [](char c) { return c >= 'A' && c <= 'Z'; }));
    EXPECT_TRUE(info.exponent == 0 || info.exponent == 2 || info.exponent == 3 || info.exponent == 4);
    EXPECT_EQ(exponent(info.code), info.exponent);
  }
}

TEST(CurrencyTable, HoldsEveryActiveCodeWithAMinorUnit) {
  // ISO 4217 list one (2026-01-01) has 178 entries; 13 of them have no minor unit (N.A.).
  EXPECT_EQ(currencies().size(), 165u);
  const auto count = [](int e) {
    return std::count_if(currencies().begin(), currencies().end(), [e](const CurrencyInfo& i) { return i.exponent == e; });
  };
  EXPECT_EQ(count(0), 17);
  EXPECT_EQ(count(3), 7);
  EXPECT_EQ(count(4), 2);
  EXPECT_EQ(count(2), 139);
}

TEST(CurrencyExponent, ZeroDecimalCurrencies) {
  for (std::string_view code : {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                                "VND", "VUV", "XAF", "XOF", "XPF"}) {
    SCOPED_TRACE(std::string(code));
    EXPECT_EQ(exponent(code), 0);
  }
}

TEST(CurrencyExponent, ThreeDecimalCurrencies) {
  for (std::string_view code : {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"}) {
    SCOPED_TRACE(std::string(code));
    EXPECT_EQ(exponent(code), 3);
  }
}

TEST(CurrencyExponent, FourDecimalCurrencies) {
  EXPECT_EQ(exponent("CLF"), 4);
  EXPECT_EQ(exponent("UYW"), 4);
}

TEST(CurrencyExponent, TwoDecimalCurrenciesIncludingOnesProcessorsTreatDifferently) {
  // HUF and MGA are 2 in ISO even though some processors charge them without decimals.
  for (std::string_view code : {"EUR", "USD", "GBP", "CHF", "CNY", "INR", "BRL", "HUF", "IDR", "MGA", "MRU", "XCD",
                                "XCG", "XAD", "ZWG", "SLE", "VED", "VES", "STN", "BOV", "CHE", "CHW", "COU", "MXV",
                                "USN", "CUP", "SVC"}) {
    SCOPED_TRACE(std::string(code));
    EXPECT_EQ(exponent(code), 2);
  }
}

TEST(CurrencyExponent, UnknownWithdrawnAndNonMonetaryCodesAreRefusedByName) {
  for (std::string_view code : {"ANG", "BGN", "CUC", "HRK", "SLL", "ZWL", "VEF", "DEM",  // withdrawn
                                "XAU", "XAG", "XDR", "XTS", "XXX", "XUA", "XSU", "XBA",  // no minor unit
                                "eur", "Eur", "EU", "EURO", "", "E1R", "ABC"}) {
    SCOPED_TRACE(std::string(code));
    auto result = currency_exponent(code);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, ErrorKind::invalid_request);
    EXPECT_EQ(result.error().code, "unknown_currency");
    EXPECT_EQ(result.error().param, "currency");
    EXPECT_NE(result.error().message.find("\"" + std::string(code) + "\""), std::string::npos) << result.error().message;
    EXPECT_FALSE(is_known_currency(code));
  }
}

TEST(CurrencyExponent, QuotesLongInputClipped) {
  const std::string junk(1000, 'Q');
  auto result = currency_exponent(junk);
  ASSERT_FALSE(result.ok());
  EXPECT_LT(result.error().message.size(), 200u);
}

// --- decimal strings -------------------------------------------------------------------------------

TEST(ToMajorString, UsesTheCurrencysExponent) {
  EXPECT_EQ(to_major_string(4999, "EUR"), "49.99");
  EXPECT_EQ(to_major_string(500, "JPY"), "500");
  EXPECT_EQ(to_major_string(1234, "BHD"), "1.234");
  EXPECT_EQ(to_major_string(12345, "CLF"), "1.2345");
  EXPECT_EQ(to_major_string(100, "USD"), "1.00");
  EXPECT_EQ(to_major_string(1'000'000, "KRW"), "1000000");
}

TEST(ToMajorString, PadsSmallAmounts) {
  EXPECT_EQ(to_major_string(0, "EUR"), "0.00");
  EXPECT_EQ(to_major_string(5, "EUR"), "0.05");
  EXPECT_EQ(to_major_string(7, "KWD"), "0.007");
  EXPECT_EQ(to_major_string(1, "UYW"), "0.0001");
  EXPECT_EQ(to_major_string(0, "JPY"), "0");
}

TEST(ToMajorString, NegativeAmounts) {
  EXPECT_EQ(to_major_string(-4999, "EUR"), "-49.99");
  EXPECT_EQ(to_major_string(-5, "EUR"), "-0.05");
  EXPECT_EQ(to_major_string(-500, "JPY"), "-500");
  EXPECT_EQ(to_major_string(-1, "OMR"), "-0.001");
}

TEST(ToMajorString, ExtremesAreExact) {
  EXPECT_EQ(to_major_string(kMax, "EUR"), "92233720368547758.07");
  EXPECT_EQ(to_major_string(kMin, "EUR"), "-92233720368547758.08");
  EXPECT_EQ(to_major_string(kMin, "JPY"), "-9223372036854775808");
  EXPECT_EQ(to_major_string(kMax, "CLF"), "922337203685477.5807");
}

TEST(FormatMinor, AnyExponent) {
  EXPECT_EQ(format_minor(1500, 3), "1.500");
  EXPECT_EQ(format_minor(-1500, 3), "-1.500");
  EXPECT_EQ(format_minor(42, 0), "42");
  EXPECT_EQ(format_minor(42, 4), "0.0042");
}

// --- line amounts ----------------------------------------------------------------------------------

TEST(LineAmount, WholeQuantities) {
  EXPECT_EQ(value(line_amount(1000, 4999)), 4999);
  EXPECT_EQ(value(line_amount(3000, 4999)), 14997);
  EXPECT_EQ(value(line_amount(0, 4999)), 0);
  EXPECT_EQ(value(line_amount(2000, -1500)), -3000);
}

TEST(LineAmount, FractionalQuantitiesRoundOnceHalfUp) {
  EXPECT_EQ(value(line_amount(1500, 333)), 500);    // 499.5 → 500
  EXPECT_EQ(value(line_amount(1500, 331)), 497);    // 496.5 → 497
  EXPECT_EQ(value(line_amount(1250, 100)), 125);    // exact
  EXPECT_EQ(value(line_amount(333, 100)), 33);      // 33.3 → 33
  EXPECT_EQ(value(line_amount(335, 100)), 34);      // 33.5 → 34
  EXPECT_EQ(value(line_amount(2500, 1)), 3);        // 2.5 → 3
}

TEST(LineAmount, HalfBoundaryPositiveAndNegative) {
  EXPECT_EQ(value(line_amount(1, 499)), 0);    // 0.499
  EXPECT_EQ(value(line_amount(1, 500)), 1);    // 0.5 → 1
  EXPECT_EQ(value(line_amount(1, 501)), 1);    // 0.501
  EXPECT_EQ(value(line_amount(1, -499)), 0);   // -0.499
  EXPECT_EQ(value(line_amount(1, -500)), -1);  // -0.5 → -1, away from zero
  EXPECT_EQ(value(line_amount(1, -501)), -1);
  EXPECT_EQ(value(line_amount(1500, -333)), -500);  // -499.5 → -500
  EXPECT_EQ(value(line_amount(-1, 500)), -1);
}

TEST(LineAmount, OverflowIsAnErrorNotAWrap) {
  EXPECT_EQ(value(line_amount(1000, kMax)), kMax);
  EXPECT_EQ(value(line_amount(1000, kMin)), kMin);
  EXPECT_EQ(value(line_amount(kMax, 1000)), kMax);
  expect_out_of_range(line_amount(1001, kMax));
  expect_out_of_range(line_amount(2000, kMax));
  expect_out_of_range(line_amount(kMax, kMax));
  expect_out_of_range(line_amount(kMax, kMin));
  expect_out_of_range(line_amount(1001, kMin));
}

// --- percentages -----------------------------------------------------------------------------------

TEST(PercentOf, ExactAndRounded) {
  EXPECT_EQ(value(percent_of(1000, 1900)), 190);
  EXPECT_EQ(value(percent_of(1005, 1900)), 191);  // 190.95
  EXPECT_EQ(value(percent_of(1000, 0)), 0);
  EXPECT_EQ(value(percent_of(1000, 10'000)), 1000);
  EXPECT_EQ(value(percent_of(999, 1)), 0);         // 0.0999
  EXPECT_EQ(value(percent_of(12345, 775)), 957);   // 956.7375
}

TEST(PercentOf, HalfBoundaryPositiveAndNegative) {
  EXPECT_EQ(value(percent_of(1, 5000)), 1);     // 0.5
  EXPECT_EQ(value(percent_of(3, 5000)), 2);     // 1.5
  EXPECT_EQ(value(percent_of(1, 4999)), 0);     // 0.4999
  EXPECT_EQ(value(percent_of(-1, 5000)), -1);   // -0.5
  EXPECT_EQ(value(percent_of(-3, 5000)), -2);   // -1.5
  EXPECT_EQ(value(percent_of(-1, 4999)), 0);
  EXPECT_EQ(value(percent_of(50, 100)), 1);     // 0.5
  EXPECT_EQ(value(percent_of(-50, 100)), -1);
}

TEST(PercentPlusFixed, OneRoundingInTheCurrencysMinorUnit) {
  // 2.9 % + 0.30: EUR 100.00 → 2.90 + 0.30; JPY 1,000 → 29 + 0.3 = 29.3 → 29; BHD 10.000 → 0.290 + 0.300.
  EXPECT_EQ(percent_plus_fixed(10000, 290, 30, 2).value(), 320);
  EXPECT_EQ(percent_plus_fixed(1000, 290, 30, 0).value(), 29);
  EXPECT_EQ(percent_plus_fixed(10000, 290, 30, 3).value(), 590);
  // Rounded once: JPY 1,007 is 29.203 + 0.3 = 29.503 → 30, where rounding each part first gives 29 + 0.
  EXPECT_EQ(percent_plus_fixed(1007, 290, 30, 0).value(), 30);
  // EUR 0.50: 1.45 + 30 = 31.45 → 31 cents; exact halves go up.
  EXPECT_EQ(percent_plus_fixed(50, 290, 30, 2).value(), 31);
  EXPECT_EQ(percent_plus_fixed(1000, 50, 0, 2).value(), 5);   // 5.0 exactly
  EXPECT_EQ(percent_plus_fixed(100, 50, 0, 2).value(), 1);    // 0.5 → 1, half-up
  EXPECT_EQ(percent_plus_fixed(0, 290, 30, 4).value(), 3000);  // CLF: 0.3000
  EXPECT_FALSE(percent_plus_fixed(100, -1, 30, 2).ok());
  EXPECT_FALSE(percent_plus_fixed(100, 290, 30, 5).ok());
  EXPECT_FALSE(percent_plus_fixed(std::numeric_limits<int64_t>::max(), 20000, 0, 2).ok());
}

TEST(PercentOf, RefusesNegativeRatesAndOverflow) {
  auto negative = percent_of(100, -1);
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().code, "invalid_percentage");
  EXPECT_EQ(value(percent_of(kMax, 10'000)), kMax);
  expect_out_of_range(percent_of(kMax, 10'001));
  expect_out_of_range(percent_of(kMin, 20'000));
}

TEST(TaxIncludedIn, ExtractsTheContainedTax) {
  EXPECT_EQ(value(tax_included_in(11900, 1900)), 1900);  // 119.00 gross at 19 %
  EXPECT_EQ(value(tax_included_in(100, 2000)), 17);      // 16.67
  EXPECT_EQ(value(tax_included_in(1000, 0)), 0);
  EXPECT_EQ(value(tax_included_in(10800, 800)), 800);    // JPY 10,800 at 8 %
  EXPECT_EQ(value(tax_included_in(110, 1000)), 10);
}

TEST(TaxIncludedIn, HalfBoundaryPositiveAndNegative) {
  EXPECT_EQ(value(tax_included_in(1, 10'000)), 1);    // 0.5
  EXPECT_EQ(value(tax_included_in(3, 10'000)), 2);    // 1.5
  EXPECT_EQ(value(tax_included_in(-1, 10'000)), -1);
  EXPECT_EQ(value(tax_included_in(-3, 10'000)), -2);
  EXPECT_EQ(value(tax_included_in(21, 500)), 1);      // 1.0
  EXPECT_EQ(value(tax_included_in(-11900, 1900)), -1900);
}

TEST(TaxIncludedIn, NeverOverflowsAndRefusesNegativeRates) {
  EXPECT_EQ(value(tax_included_in(kMax, 10'000)), kMax / 2 + 1);  // x.5 rounds up
  EXPECT_EQ(value(tax_included_in(kMin, 10'000)), kMin / 2);
  auto negative = tax_included_in(100, -5);
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().code, "invalid_percentage");
}

TEST(CheckedArithmetic, AddsAndSubtractsWithinRange) {
  EXPECT_EQ(value(checked_add(2, 3)), 5);
  EXPECT_EQ(value(checked_sub(2, 3)), -1);
  EXPECT_EQ(value(checked_add(kMax, 0)), kMax);
  expect_out_of_range(checked_add(kMax, 1));
  expect_out_of_range(checked_add(kMin, -1));
  expect_out_of_range(checked_sub(kMin, 1));
  expect_out_of_range(checked_sub(0, kMin));
}

TEST(BasisPoints, AsPercentNumbers) {
  EXPECT_DOUBLE_EQ(basis_points_to_percent(1900), 19.0);
  EXPECT_DOUBLE_EQ(basis_points_to_percent(770), 7.7);
  EXPECT_DOUBLE_EQ(basis_points_to_percent(0), 0.0);
  EXPECT_DOUBLE_EQ(basis_points_to_percent(10'000), 100.0);
}

}  // namespace
}  // namespace billhook::core
