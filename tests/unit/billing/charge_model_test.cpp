// Charge models against hand-computed cases (DOMAINS.md §2's worked numbers among them): exact amounts,
// one half-even rounding per fee, and checks that name the field.

#include "billing/charge_model.hpp"

#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "core/described.hpp"

namespace billhook::billing {
namespace {

namespace json = boost::json;
using core::Decimal;

Decimal d(std::string_view text) {
  auto parsed = Decimal::parse(text);
  EXPECT_TRUE(parsed.ok()) << text;
  return parsed.ok() ? *parsed : Decimal{};
}

Charge charge(std::string_view properties_json, ChargeModel model) {
  auto properties = core::described::from_json<ChargeProperties>(json::parse(properties_json).as_object());
  EXPECT_TRUE(properties.ok()) << (properties.ok() ? "" : properties.error().message);
  return Charge{.billable_metric = "api_calls", .charge_model = model, .properties = properties.ok() ? *properties : ChargeProperties{}};
}

ChargePricing pricing(std::string_view properties_json, ChargeModel model) {
  auto p = pricing_of(charge(properties_json, model), "charges.0");
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
  return p.ok() ? *p : ChargePricing{};
}

std::string amount(const ChargePricing& p, std::string_view units) {
  auto a = amount_for_units(p, d(units));
  EXPECT_TRUE(a.ok()) << (a.ok() ? "" : a.error().message);
  return a.ok() ? a->to_string() : "error";
}

int64_t minor(const ChargePricing& p, std::string_view units, std::string_view currency) {
  auto a = amount_for_units(p, d(units));
  EXPECT_TRUE(a.ok());
  auto m = fee_minor_units(a.ok() ? *a : Decimal{}, currency);
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
  return m.ok() ? *m : -1;
}

// DOMAINS.md §2: tiers 0–100 at 1.00 + flat 10.00, 101–∞ at 0.50.
constexpr std::string_view kTiers = R"({"~": [
    {"from_value": 0, "to_value": 100, "per_unit_amount": "1.00", "flat_amount": "10.00"},
    {"from_value": 101, "to_value": null, "per_unit_amount": "0.50", "flat_amount": "0"}]})";

std::string tiers(std::string_view key) {
  std::string out(kTiers);
  out.replace(out.find('~'), 1, key);
  return out;
}

TEST(ChargeModel, StandardIsUnitsTimesAmountRoundedOnceHalfEven) {
  const auto p = pricing(R"({"amount": "0.0025"})", ChargeModel::standard);
  EXPECT_EQ(amount(p, "0"), "0");
  EXPECT_EQ(amount(p, "1"), "0.0025");
  EXPECT_EQ(amount(p, "12.5"), "0.03125");
  EXPECT_EQ(minor(p, "1000", "USD"), 250);
  EXPECT_EQ(minor(p, "2", "USD"), 0);    // 0.005 → 0 (half to even)
  EXPECT_EQ(minor(p, "6", "USD"), 2);    // 0.015 → 2 (half to even)
  EXPECT_EQ(minor(p, "6", "BHD"), 15);   // three decimals: 0.015 exactly
  EXPECT_EQ(minor(p, "600", "JPY"), 2);  // 1.5 yen → 2
  EXPECT_EQ(minor(p, "1000", "JPY"), 2);  // 2.5 yen → 2
  EXPECT_EQ(amount(p, "-5"), "0");        // no negative usage fee
}

TEST(ChargeModel, GraduatedPricesEachUnitInItsTierPlusEveryReachedFlat) {
  const auto p = pricing(tiers("graduated_ranges"), ChargeModel::graduated);
  EXPECT_EQ(amount(p, "150"), "135");  // the worked number: 100×1.00 + 10.00 + 50×0.50
  EXPECT_EQ(minor(p, "150", "USD"), 13500);
  EXPECT_EQ(amount(p, "0"), "0");      // no tier reached, no flat amount
  EXPECT_EQ(amount(p, "1"), "11");
  EXPECT_EQ(amount(p, "100"), "110");  // the boundary is in the first tier
  EXPECT_EQ(amount(p, "101"), "110.5");
  EXPECT_EQ(amount(p, "100.5"), "110.25");  // fractional units above 100 are the second tier's
  EXPECT_EQ(minor(p, "150", "BHD"), 135000);
  EXPECT_EQ(minor(p, "150", "JPY"), 135);
}

TEST(ChargeModel, GraduatedWithThreeTiersAndFlatsOnEach) {
  const auto p = pricing(R"({"graduated_ranges": [
      {"from_value": 0, "to_value": 10, "per_unit_amount": "0", "flat_amount": "5"},
      {"from_value": 11, "to_value": 20, "per_unit_amount": "0.333333333333", "flat_amount": "1"},
      {"from_value": 21, "to_value": null, "per_unit_amount": "0.1", "flat_amount": "2"}]})",
                         ChargeModel::graduated);
  EXPECT_EQ(amount(p, "10"), "5");
  EXPECT_EQ(amount(p, "11"), "6.333333333333");
  EXPECT_EQ(amount(p, "20"), "9.33333333333");
  EXPECT_EQ(amount(p, "25"), "11.83333333333");
  EXPECT_EQ(minor(p, "25", "USD"), 1183);
}

TEST(ChargeModel, VolumePricesEveryUnitAtTheTierOfTheTotal) {
  const auto p = pricing(tiers("volume_ranges"), ChargeModel::volume);
  EXPECT_EQ(amount(p, "150"), "75");  // the worked number: 150×0.50
  EXPECT_EQ(amount(p, "0"), "0");
  EXPECT_EQ(amount(p, "100"), "110");  // 100×1.00 + 10.00
  EXPECT_EQ(amount(p, "101"), "50.5");
  EXPECT_EQ(amount(p, "100.5"), "50.25");
  EXPECT_EQ(minor(p, "3", "JPY"), 13);
}

TEST(ChargeModel, PackageCountsStartedPackagesAfterFreeUnits) {
  const auto p = pricing(R"({"amount": "5", "package_size": 100})", ChargeModel::package);
  EXPECT_EQ(amount(p, "1001"), "55");  // the worked number: 11 packages
  EXPECT_EQ(amount(p, "1000"), "50");
  EXPECT_EQ(amount(p, "0"), "0");
  EXPECT_EQ(amount(p, "0.5"), "5");
  const auto free = pricing(R"({"amount": "0.125", "package_size": 10, "free_units": 100})", ChargeModel::package);
  EXPECT_EQ(amount(free, "100"), "0");
  EXPECT_EQ(amount(free, "101"), "0.125");
  EXPECT_EQ(amount(free, "130"), "0.375");
  EXPECT_EQ(minor(free, "101", "USD"), 12);   // 12.5 cents → 12
  EXPECT_EQ(minor(free, "111", "USD"), 25);
  EXPECT_EQ(minor(free, "131", "USD"), 50);
  EXPECT_EQ(minor(free, "101", "BHD"), 125);
}

std::string percentage_fee(const ChargePricing& p, const std::vector<std::string_view>& events) {
  PercentageFee fee(p.percentage);
  for (auto e : events) {
    auto s = fee.add_event(d(e));
    EXPECT_TRUE(s.ok());
  }
  return fee.amount().to_string();
}

TEST(ChargeModel, PercentageIsRatePlusFixedPerEvent) {
  const auto p = pricing(R"({"rate": "2.5", "fixed_amount": "0.30"})", ChargeModel::percentage);
  EXPECT_EQ(percentage_fee(p, {}), "0");
  EXPECT_EQ(percentage_fee(p, {"100"}), "2.8");
  EXPECT_EQ(percentage_fee(p, {"100", "10.10"}), "3.3525");
  const auto q = pricing(R"({"rate": "1"})", ChargeModel::percentage);
  EXPECT_EQ(percentage_fee(q, {"0.5", "0.5", "0.5"}), "0.015");
  PercentageFee fee(q.percentage);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(fee.add_event(d("0.5")).ok());
  EXPECT_EQ(*fee_minor_units(fee.amount(), "USD"), 2);  // 1.5 cents, rounded once for the fee: 2
  EXPECT_EQ(*fee_minor_units(fee.amount(), "BHD"), 15);
}

TEST(ChargeModel, PercentageFreeEventsAndFreeAmountWhicheverEndsFirst) {
  const auto by_events = pricing(R"({"rate": "10", "fixed_amount": "1", "free_units_per_events": 2})",
                                 ChargeModel::percentage);
  EXPECT_EQ(percentage_fee(by_events, {"100", "100"}), "0");
  EXPECT_EQ(percentage_fee(by_events, {"100", "100", "100"}), "11");
  const auto by_amount = pricing(R"({"rate": "10", "free_units_per_total_aggregation": "150"})",
                                 ChargeModel::percentage);
  EXPECT_EQ(percentage_fee(by_amount, {"100", "100", "100"}), "15");  // 50 of the second pays, then all 100
  const auto both = pricing(R"({"rate": "10", "free_units_per_events": 1, "free_units_per_total_aggregation": "500"})",
                            ChargeModel::percentage);
  EXPECT_EQ(percentage_fee(both, {"100", "100"}), "10");  // the event allowance ended first
  const auto both_amount_first =
      pricing(R"({"rate": "10", "free_units_per_events": 5, "free_units_per_total_aggregation": "50"})",
              ChargeModel::percentage);
  EXPECT_EQ(percentage_fee(both_amount_first, {"30", "30", "30"}), "4");  // 10 of the second, all the third
}

TEST(ChargeModel, PercentageClampsEachPayingEventToMinAndMax) {
  const auto p = pricing(R"({"rate": "1", "per_transaction_min_amount": "0.50", "per_transaction_max_amount": "2"})",
                         ChargeModel::percentage);
  EXPECT_EQ(percentage_fee(p, {"10"}), "0.5");    // 0.10 raised to the min
  EXPECT_EQ(percentage_fee(p, {"1000"}), "2");    // 10 lowered to the max
  EXPECT_EQ(percentage_fee(p, {"100"}), "1");     // within
  EXPECT_EQ(percentage_fee(p, {"10", "1000", "100"}), "3.5");
  const auto free_first = pricing(R"({"rate": "1", "free_units_per_events": 1, "per_transaction_min_amount": "1"})",
                                  ChargeModel::percentage);
  EXPECT_EQ(percentage_fee(free_first, {"10", "10"}), "1");  // a free event is not raised to the min
}

// The intake stores a percentage fee between requests: stopping after any event and restoring from the
// stored state prices the rest exactly as one uninterrupted fold (allowance, clamps and all).
TEST(ChargeModel, APercentageFeeRestoredFromItsStateGoesOnAsIfNeverStored) {
  const auto p = pricing(R"({"rate": "2.5", "fixed_amount": "0.30", "free_units_per_events": 1,
                             "free_units_per_total_aggregation": "150", "per_transaction_max_amount": "5"})",
                         ChargeModel::percentage);
  const std::vector<std::string_view> events{"100", "10.10", "75.123456789012", "400", "0.000000000001", "20"};
  PercentageFee straight(p.percentage);
  for (auto e : events) ASSERT_TRUE(straight.add_event(d(e)).ok());
  for (size_t stop = 0; stop <= events.size(); ++stop) {
    PercentageFee first(p.percentage);
    for (size_t i = 0; i < stop; ++i) ASSERT_TRUE(first.add_event(d(events[i])).ok());
    const PercentageFeeState state = first.state("k");
    EXPECT_EQ(state.terms, "k");
    auto restored = PercentageFee::restore(p.percentage, state);
    ASSERT_TRUE(restored) << restored.error().message;
    for (size_t i = stop; i < events.size(); ++i) ASSERT_TRUE(restored->add_event(d(events[i])).ok());
    EXPECT_EQ(restored->amount(), straight.amount()) << "stored after " << stop << " events";
    EXPECT_EQ(restored->units(), straight.units());
    EXPECT_EQ(restored->events(), straight.events());
    EXPECT_EQ(restored->paying_events(), straight.paying_events());
  }
  EXPECT_EQ(straight.units().to_string(), "605.223456789013");
  PercentageFeeState broken = straight.state("k");
  broken.amount = "1e3";
  EXPECT_FALSE(PercentageFee::restore(p.percentage, broken));
}

TEST(ChargeModel, PercentageTermsKeyFollowsTheTermsNotTheFlags) {
  Charge a{.billable_metric = "payments", .charge_model = ChargeModel::percentage};
  a.properties.rate = "2.5";
  Charge b = a;
  b.pay_in_advance = true;
  EXPECT_EQ(percentage_terms_key(a), percentage_terms_key(b));
  b.properties.rate = "2.6";
  EXPECT_NE(percentage_terms_key(a), percentage_terms_key(b));
  EXPECT_EQ(percentage_terms_key(a).size(), 16u);
}

void expect_refused(std::string_view properties_json, ChargeModel model, const std::string& param) {
  auto p = pricing_of(charge(properties_json, model), "charges.0");
  ASSERT_FALSE(p.ok()) << properties_json;
  EXPECT_EQ(p.error().kind, core::ErrorKind::invalid_request);
  EXPECT_EQ(p.error().param, param) << p.error().message;
}

TEST(ChargeModel, BadChargesNameTheField) {
  using M = ChargeModel;
  expect_refused("{}", M::standard, "charges.0.properties.amount");
  expect_refused(R"({"amount": "1.5.0"})", M::standard, "charges.0.properties.amount");
  expect_refused(R"({"amount": "-1"})", M::standard, "charges.0.properties.amount");
  expect_refused(R"({"amount": "1", "rate": "2"})", M::standard, "charges.0.properties.rate");
  expect_refused(R"({"amount": "1"})", M::package, "charges.0.properties.package_size");
  expect_refused(R"({"amount": "1", "package_size": 0})", M::package, "charges.0.properties.package_size");
  expect_refused(R"({"amount": "1", "package_size": 1, "free_units": -1})", M::package,
                 "charges.0.properties.free_units");
  expect_refused(R"({"graduated_ranges": []})", M::graduated, "charges.0.properties.graduated_ranges");
  expect_refused(tiers("graduated_ranges"), M::volume, "charges.0.properties.graduated_ranges");
  expect_refused(R"({"graduated_ranges": [
      {"from_value": 1, "to_value": null, "per_unit_amount": "1", "flat_amount": "0"}]})",
                 M::graduated, "charges.0.properties.graduated_ranges.0.from_value");
  expect_refused(R"({"graduated_ranges": [
      {"from_value": 0, "to_value": 100, "per_unit_amount": "1", "flat_amount": "0"}]})",
                 M::graduated, "charges.0.properties.graduated_ranges.0.to_value");
  expect_refused(R"({"volume_ranges": [
      {"from_value": 0, "to_value": null, "per_unit_amount": "1", "flat_amount": "0"},
      {"from_value": 1, "to_value": null, "per_unit_amount": "1", "flat_amount": "0"}]})",
                 M::volume, "charges.0.properties.volume_ranges.0.to_value");
  expect_refused(R"({"graduated_ranges": [
      {"from_value": 0, "to_value": 100, "per_unit_amount": "1", "flat_amount": "0"},
      {"from_value": 101, "to_value": 100, "per_unit_amount": "1", "flat_amount": "0"},
      {"from_value": 101, "to_value": null, "per_unit_amount": "1", "flat_amount": "0"}]})",
                 M::graduated, "charges.0.properties.graduated_ranges.1.to_value");
  expect_refused(R"({"graduated_ranges": [
      {"from_value": 0, "to_value": 100, "per_unit_amount": "1", "flat_amount": "-2"},
      {"from_value": 101, "to_value": null, "per_unit_amount": "1", "flat_amount": "0"}]})",
                 M::graduated, "charges.0.properties.graduated_ranges.0.flat_amount");
  expect_refused(R"({"volume_ranges": [
      {"from_value": 0, "to_value": 100, "per_unit_amount": "1", "flat_amount": "0"},
      {"from_value": 101, "to_value": null, "per_unit_amount": "x", "flat_amount": "0"}]})",
                 M::volume, "charges.0.properties.volume_ranges.1.per_unit_amount");
  expect_refused("{}", M::percentage, "charges.0.properties.rate");
  expect_refused(R"({"rate": "100.01"})", M::percentage, "charges.0.properties.rate");
  expect_refused(R"({"rate": "1", "free_units_per_events": -1})", M::percentage,
                 "charges.0.properties.free_units_per_events");
  expect_refused(R"({"rate": "1", "per_transaction_min_amount": "2", "per_transaction_max_amount": "1"})",
                 M::percentage, "charges.0.properties.per_transaction_max_amount");
  expect_refused(R"({"rate": "1", "amount": "1"})", M::percentage, "charges.0.properties.amount");

  Charge no_metric = charge(R"({"amount": "1"})", M::standard);
  no_metric.billable_metric.clear();
  EXPECT_EQ(pricing_of(no_metric, "charges.3").error().param, "charges.3.billable_metric");
  Charge negative_min = charge(R"({"amount": "1"})", M::standard);
  negative_min.min_amount = -1;
  EXPECT_EQ(pricing_of(negative_min, "charges.0").error().param, "charges.0.min_amount");
}

TEST(ChargeModel, AnExactAmountTooLargeIsAnErrorNotARoundedOne) {
  const auto p = pricing(R"({"amount": "999999999999999999.999999999999"})", ChargeModel::standard);
  auto a = amount_for_units(p, d("999999999999999999.999999999999"));
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, "decimal_out_of_range");
  auto fits = amount_for_units(p, d("1000"));
  ASSERT_TRUE(fits.ok());
  EXPECT_FALSE(fee_minor_units(*fits, "USD").ok());  // beyond an int64 of cents
}

}  // namespace
}  // namespace billhook::billing
