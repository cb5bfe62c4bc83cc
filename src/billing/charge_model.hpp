#pragma once

// Charges (DOMAINS.md §2): how a plan prices the units of one billable metric in a period. Pure: a
// charge as the caller writes it (described, so a plan's `charges` list is read with errors naming the
// field), its checks, and the amount it gives for a number of units — exact decimals all the way
// (core/decimal.hpp), rounded once, half-even, to the currency's minor unit per fee (fee_minor_units).
//
// A charge names its metric by `billable_metric`, the metric's code: usage events name the metric by
// code too, and a code is unique among metrics once and for all (an archived metric keeps it), so a
// plan reads the same in every environment.
//
// Tiers (graduated, volume) are written as Lago writes them: the first starts at 0, each next one at
// the previous `to_value` + 1, only the last is open-ended (`to_value` null). A tier holds the units
// above the previous tier's `to_value` (0 for the first) up to its own, so fractional units between
// 100 and 101 belong to the tier that starts at 101. Units of zero or below price as nothing in every
// model; no tier is reached and no flat amount is due.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/describe.hpp>

#include "core/decimal.hpp"
#include "core/result.hpp"

namespace billhook::billing {

enum class ChargeModel { standard, graduated, volume, package, percentage };
BOOST_DESCRIBE_ENUM(ChargeModel, standard, graduated, volume, package, percentage)

// Limits check_charges enforces (a plan is read on every request that names it).
inline constexpr size_t kMaxChargesPerPlan = 100;
inline constexpr size_t kMaxRangesPerCharge = 100;
inline constexpr size_t kMaxUsageThresholds = 20;

// One tier. Amounts are decimal strings in the plan's currency's major unit ("0.0025").
struct ChargeRange {
  int64_t from_value = 0;
  std::optional<int64_t> to_value;  // null: no upper bound (the last tier only)
  std::string per_unit_amount;
  std::string flat_amount;
  bool operator==(const ChargeRange&) const = default;
};
BOOST_DESCRIBE_STRUCT(ChargeRange, (), (from_value, to_value, per_unit_amount, flat_amount))

// The properties of every model in one struct; a charge carries those of its model only (check_charges
// names any other). Decimal amounts are strings in major units; counts are integers.
struct ChargeProperties {
  static constexpr bool described_omit_null = true;
  std::optional<std::string> amount;                        // standard: per unit; package: per package
  std::optional<std::vector<ChargeRange>> graduated_ranges;  // graduated
  std::optional<std::vector<ChargeRange>> volume_ranges;     // volume
  std::optional<int64_t> package_size;                      // package: units per package, at least 1
  std::optional<int64_t> free_units;                        // package: units not billed, 0 when absent
  std::optional<std::string> rate;                          // percentage: of each event's amount, 0–100
  std::optional<std::string> fixed_amount;                  // percentage: per paying event
  std::optional<int64_t> free_units_per_events;             // percentage: the first n events are free
  std::optional<std::string> free_units_per_total_aggregation;  // percentage: the first x of amount is free
  std::optional<std::string> per_transaction_min_amount;    // percentage: each paying event's fee at least
  std::optional<std::string> per_transaction_max_amount;    // percentage: … and at most
  bool operator==(const ChargeProperties&) const = default;
};
BOOST_DESCRIBE_STRUCT(ChargeProperties, (),
                      (amount, graduated_ranges, volume_ranges, package_size, free_units, rate, fixed_amount,
                       free_units_per_events, free_units_per_total_aggregation, per_transaction_min_amount,
                       per_transaction_max_amount))

// A charge as a plan stores and shows it.
struct Charge {
  std::string billable_metric;  // the metric's code
  ChargeModel charge_model = ChargeModel::standard;
  bool pay_in_advance = false;  // a fee per event as it arrives, instead of at the period's end
  bool invoiceable = true;      // a pay-in-advance fee is invoiced at once; false: at the period's end
  int64_t min_amount = 0;       // minor units: the least the charge bills for a period
  ChargeProperties properties;
  bool operator==(const Charge&) const = default;
};
BOOST_DESCRIBE_STRUCT(Charge, (), (billable_metric, charge_model, pay_in_advance, invoiceable, min_amount, properties))

// A charge in a request: what the caller may leave out takes Charge's defaults.
struct ChargeInput {
  std::string billable_metric;
  ChargeModel charge_model = ChargeModel::standard;
  std::optional<bool> pay_in_advance;
  std::optional<bool> invoiceable;
  std::optional<int64_t> min_amount;
  ChargeProperties properties;
};
BOOST_DESCRIBE_STRUCT(ChargeInput, (),
                      (billable_metric, charge_model, pay_in_advance, invoiceable, min_amount, properties))

Charge charge_from(ChargeInput input);

// A progressive-billing threshold: when a period's accrued usage passes `amount` (minor units), usage
// to date is invoiced; a recurring one fires again at every further multiple.
struct UsageThreshold {
  static constexpr bool described_omit_null = true;
  std::optional<std::string> name;
  int64_t amount = 0;
  bool recurring = false;
  bool operator==(const UsageThreshold&) const = default;
};
BOOST_DESCRIBE_STRUCT(UsageThreshold, (), (name, amount, recurring))

struct UsageThresholdInput {
  std::optional<std::string> name;
  int64_t amount = 0;
  std::optional<bool> recurring;
};
BOOST_DESCRIBE_STRUCT(UsageThresholdInput, (), (name, amount, recurring))

UsageThreshold usage_threshold_from(UsageThresholdInput input);

// --- checked and parsed -------------------------------------------------------------------------

struct PricedTier {
  int64_t from = 0;
  std::optional<int64_t> to;
  core::Decimal per_unit;
  core::Decimal flat;
};

struct PercentageTerms {
  core::Decimal rate;  // percent: 2.5 is 2.5 %
  core::Decimal fixed_amount;
  std::optional<int64_t> free_events;
  std::optional<core::Decimal> free_amount;
  std::optional<core::Decimal> min_amount;
  std::optional<core::Decimal> max_amount;
};

// A charge's prices, parsed once.
struct ChargePricing {
  ChargeModel model = ChargeModel::standard;
  core::Decimal amount;            // standard, package
  std::vector<PricedTier> tiers;   // graduated, volume
  int64_t package_size = 1;        // package
  int64_t free_units = 0;          // package
  PercentageTerms percentage;      // percentage
};

// The charge checked and parsed; invalid_request naming the field under `path` ("charges.0"):
// a missing or empty metric code, a property of another model, a missing one of its own, a decimal
// that is not one or is negative, tiers that do not start at 0, are not contiguous
// ("charges.0.properties.graduated_ranges.1.from_value") or ordered (".to_value"), a bounded last tier
// or an open-ended one before it, a package_size below 1, a rate above 100, a min above the max.
core::Result<ChargePricing> pricing_of(const Charge& charge, std::string_view path);

// Every charge of a plan checked (at most kMaxChargesPerPlan, paths "charges.<i>"), and its thresholds
// ("usage_thresholds.<i>": amount at least 1, at most one recurring, no amount twice).
core::Status check_charges(const std::vector<Charge>& charges);
core::Status check_usage_thresholds(const std::vector<UsageThreshold>& thresholds);

// The exact amount, in major units, a standard, graduated, volume or package charge gives for `units`
// (a percentage charge is priced per event: PercentageFee). DOMAINS.md §2:
//   standard   units × amount
//   graduated  each unit at the tier it falls in, plus the flat amount of every tier reached
//   volume     every unit at the tier the total falls in, plus that tier's flat amount
//   package    ceil(max(units − free_units, 0) / package_size) × amount (a part package is a package)
// "decimal_out_of_range" when an exact result does not fit.
core::Result<core::Decimal> amount_for_units(const ChargePricing& pricing, const core::Decimal& units);

// A percentage charge's fee over a period, one event at a time in O(1) (the intake feeds it as events
// arrive; recomputing it is folding the period's events in order). Each event's amount is the
// aggregated property's value. Free allowance: while it lasts, events are free; it ends after
// `free_units_per_events` events, or once `free_units_per_total_aggregation` of amount has been free —
// whichever comes first when both are set (an event that crosses the amount limit pays on the part
// above it). A paying event's fee is rate % of its paying part plus `fixed_amount`, clamped to
// [per_transaction_min_amount, per_transaction_max_amount]. Nothing is rounded: the period's fee is
// rounded once (fee_minor_units).
//
// Its running state is stored between requests beside the metric's aggregate (usage_fees.hpp), under
// the key of the charge's terms (percentage_terms_key), since a plan's charges have no ids of their own.
struct PercentageFeeState {
  std::string terms;  // percentage_terms_key of the charge it belongs to
  int64_t events = 0;
  std::string units = "0";  // the events' amounts, summed
  int64_t paying_events = 0;
  std::string free_amount_used = "0";
  bool allowance_over = false;
  std::string amount = "0";
};
BOOST_DESCRIBE_STRUCT(PercentageFeeState, (), (terms, events, units, paying_events, free_amount_used, allowance_over, amount))

class PercentageFee {
 public:
  explicit PercentageFee(PercentageTerms terms) : terms_(std::move(terms)) {}
  // The fee as stored (state()); invalid_request "invalid_state" when it is not one.
  static core::Result<PercentageFee> restore(PercentageTerms terms, const PercentageFeeState& state);
  PercentageFeeState state(std::string terms_key) const;

  core::Status add_event(const core::Decimal& event_amount);
  const core::Decimal& amount() const { return amount_; }
  // The events' amounts, summed: the units its invoice line shows.
  const core::Decimal& units() const { return units_; }
  int64_t events() const { return events_; }
  int64_t paying_events() const { return paying_events_; }

 private:
  PercentageTerms terms_;
  int64_t events_ = 0;
  core::Decimal units_;
  int64_t paying_events_ = 0;
  core::Decimal free_amount_used_;
  bool allowance_over_ = false;
  core::Decimal amount_;
};

// What identifies a percentage charge's terms (its model and properties) for as long as they stay the
// same: a hash of their stored JSON. Two charges with the same terms on one metric price alike and may
// share their running fee; changed terms start a fee of their own.
std::string percentage_terms_key(const Charge& charge);

// A fee's exact amount as minor units of `currency`, rounded once, half-even.
core::Result<int64_t> fee_minor_units(const core::Decimal& amount, std::string_view currency);

}  // namespace billhook::billing
