#include "billing/charge_model.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "billing/document_json.hpp"
#include "core/crypto.hpp"
#include "core/described.hpp"

namespace billhook::billing {
namespace {

using core::Decimal;
using core::Error;
using core::Result;
using core::Status;

Error invalid(std::string message, std::string param) {
  return Error::invalid("parameter_invalid", std::move(message), std::move(param));
}

std::string property_path(std::string_view path, std::string_view name) {
  return fmt::format("{}.properties.{}", path, name);
}

// A decimal string that must not be negative.
Result<Decimal> amount_at(const std::string& text, const std::string& param) {
  auto value = Decimal::parse(text, param);
  if (!value) return std::move(value).error();
  if (value->sign() < 0) return invalid(fmt::format("'{}' must not be negative, got {}", param, text), param);
  return value;
}

// The property `name` of the charge's model: required when `required`.
template <class T>
Result<std::optional<T>> own(const std::optional<T>& value, std::string_view path, std::string_view name,
                             ChargeModel model, bool required) {
  if (required && !value) {
    const std::string param = property_path(path, name);
    return Error::invalid("parameter_missing",
                          fmt::format("'{}' is required for a {} charge", param,
                                      core::described::name_of(model)),
                          param);
  }
  return value;
}

// Every property the model does not use must be absent: a stray one is likely a mistake that would be
// silently unbilled.
Status only_own_properties(const ChargeProperties& p, std::string_view path, ChargeModel model) {
  const auto stray = [&](bool present, std::string_view name, std::initializer_list<ChargeModel> users) -> Status {
    if (!present || std::find(users.begin(), users.end(), model) != users.end()) return {};
    const std::string param = property_path(path, name);
    return invalid(fmt::format("'{}' is not a property of a {} charge", param, core::described::name_of(model)),
                   param);
  };
  using M = ChargeModel;
  for (auto s : {stray(p.amount.has_value(), "amount", {M::standard, M::package}),
                 stray(p.graduated_ranges.has_value(), "graduated_ranges", {M::graduated}),
                 stray(p.volume_ranges.has_value(), "volume_ranges", {M::volume}),
                 stray(p.package_size.has_value(), "package_size", {M::package}),
                 stray(p.free_units.has_value(), "free_units", {M::package}),
                 stray(p.rate.has_value(), "rate", {M::percentage}),
                 stray(p.fixed_amount.has_value(), "fixed_amount", {M::percentage}),
                 stray(p.free_units_per_events.has_value(), "free_units_per_events", {M::percentage}),
                 stray(p.free_units_per_total_aggregation.has_value(), "free_units_per_total_aggregation",
                       {M::percentage}),
                 stray(p.per_transaction_min_amount.has_value(), "per_transaction_min_amount", {M::percentage}),
                 stray(p.per_transaction_max_amount.has_value(), "per_transaction_max_amount", {M::percentage})})
    if (!s) return s;
  return {};
}

Result<std::vector<PricedTier>> tiers_of(const std::vector<ChargeRange>& ranges, const std::string& path) {
  if (ranges.empty()) return invalid(fmt::format("'{}' must list at least one tier", path), path);
  if (ranges.size() > kMaxRangesPerCharge)
    return invalid(fmt::format("'{}' has at most {} tiers", path, kMaxRangesPerCharge), path);
  std::vector<PricedTier> tiers;
  int64_t lower = 0;  // the previous tier's to_value: this tier holds the units above it
  for (size_t i = 0; i < ranges.size(); ++i) {
    const ChargeRange& r = ranges[i];
    const std::string at = fmt::format("{}.{}", path, i);
    const int64_t expected_from = i == 0 ? 0 : lower + 1;
    if (r.from_value != expected_from)
      return invalid(fmt::format("'{}.from_value' must be {} ({}), got {}", at, expected_from,
                                 i == 0 ? "the first tier starts at 0" : "the previous tier's to_value + 1",
                                 r.from_value),
                     at + ".from_value");
    const bool last = i + 1 == ranges.size();
    if (!r.to_value && !last)
      return invalid(fmt::format("'{}.to_value' may be null on the last tier only", at), at + ".to_value");
    if (r.to_value && last)
      return invalid(fmt::format("'{}.to_value' must be null: the last tier has no upper bound", at),
                     at + ".to_value");
    if (r.to_value && *r.to_value <= lower)
      return invalid(fmt::format("'{}.to_value' must be above {}, got {}", at, lower, *r.to_value), at + ".to_value");
    auto per_unit = amount_at(r.per_unit_amount, at + ".per_unit_amount");
    if (!per_unit) return std::move(per_unit).error();
    auto flat = amount_at(r.flat_amount, at + ".flat_amount");
    if (!flat) return std::move(flat).error();
    tiers.push_back({.from = r.from_value, .to = r.to_value, .per_unit = *per_unit, .flat = *flat});
    if (r.to_value) lower = *r.to_value;
  }
  return tiers;
}

Result<std::optional<Decimal>> optional_amount(const std::optional<std::string>& text, const std::string& param) {
  if (!text) return std::optional<Decimal>{};
  auto value = amount_at(*text, param);
  if (!value) return std::move(value).error();
  return std::optional<Decimal>{*value};
}

Result<PercentageTerms> percentage_of(const ChargeProperties& p, std::string_view path) {
  PercentageTerms terms;
  auto rate = own(p.rate, path, "rate", ChargeModel::percentage, true);
  if (!rate) return std::move(rate).error();
  const std::string rate_path = property_path(path, "rate");
  auto parsed_rate = amount_at(**rate, rate_path);
  if (!parsed_rate) return std::move(parsed_rate).error();
  if (*parsed_rate > Decimal::of(100))
    return invalid(fmt::format("'{}' is a percentage: at most 100, got {}", rate_path, **rate), rate_path);
  terms.rate = *parsed_rate;
  auto fixed = optional_amount(p.fixed_amount, property_path(path, "fixed_amount"));
  if (!fixed) return std::move(fixed).error();
  terms.fixed_amount = fixed->value_or(Decimal{});
  if (p.free_units_per_events && *p.free_units_per_events < 0) {
    const std::string param = property_path(path, "free_units_per_events");
    return invalid(fmt::format("'{}' must not be negative", param), param);
  }
  terms.free_events = p.free_units_per_events;
  auto free_amount = optional_amount(p.free_units_per_total_aggregation,
                                     property_path(path, "free_units_per_total_aggregation"));
  if (!free_amount) return std::move(free_amount).error();
  terms.free_amount = *free_amount;
  auto min = optional_amount(p.per_transaction_min_amount, property_path(path, "per_transaction_min_amount"));
  if (!min) return std::move(min).error();
  auto max = optional_amount(p.per_transaction_max_amount, property_path(path, "per_transaction_max_amount"));
  if (!max) return std::move(max).error();
  if (*min && *max && **min > **max) {
    const std::string param = property_path(path, "per_transaction_max_amount");
    return invalid(fmt::format("'{}' must not be below per_transaction_min_amount", param), param);
  }
  terms.min_amount = *min;
  terms.max_amount = *max;
  return terms;
}

Result<Decimal> graduated(const std::vector<PricedTier>& tiers, const Decimal& units) {
  Decimal total;
  Decimal lower;
  for (const PricedTier& tier : tiers) {
    if (units <= lower) break;  // this tier is not reached
    const Decimal top = tier.to ? std::min(units, Decimal::of(*tier.to)) : units;
    auto in_tier = top.minus(lower);
    if (!in_tier) return in_tier;
    auto priced = in_tier->times(tier.per_unit);
    if (!priced) return priced;
    auto with_flat = priced->plus(tier.flat);
    if (!with_flat) return with_flat;
    auto sum = total.plus(*with_flat);
    if (!sum) return sum;
    total = *sum;
    if (!tier.to) break;
    lower = Decimal::of(*tier.to);
  }
  return total;
}

Result<Decimal> volume(const std::vector<PricedTier>& tiers, const Decimal& units) {
  if (units.sign() <= 0) return Decimal{};
  for (const PricedTier& tier : tiers) {
    if (tier.to && units > Decimal::of(*tier.to)) continue;
    auto priced = units.times(tier.per_unit);
    if (!priced) return priced;
    return priced->plus(tier.flat);
  }
  return Error::internal("volume tiers without an open-ended last tier");  // pricing_of refuses these
}

Result<Decimal> package(const ChargePricing& p, const Decimal& units) {
  auto billed = units.minus(Decimal::of(p.free_units));
  if (!billed) return billed;
  if (billed->sign() <= 0) return Decimal{};
  auto packages = billed->ceil_divided_by(p.package_size);
  if (!packages) return std::move(packages).error();
  return Decimal::of(*packages).times(p.amount);
}

}  // namespace

Charge charge_from(ChargeInput input) {
  return Charge{.billable_metric = std::move(input.billable_metric),
                .charge_model = input.charge_model,
                .pay_in_advance = input.pay_in_advance.value_or(false),
                .invoiceable = input.invoiceable.value_or(true),
                .min_amount = input.min_amount.value_or(0),
                .properties = std::move(input.properties)};
}

UsageThreshold usage_threshold_from(UsageThresholdInput input) {
  return UsageThreshold{.name = std::move(input.name),
                        .amount = input.amount,
                        .recurring = input.recurring.value_or(false)};
}

Result<ChargePricing> pricing_of(const Charge& charge, std::string_view path) {
  const std::string metric_path = fmt::format("{}.billable_metric", path);
  if (charge.billable_metric.empty())
    return Error::invalid("parameter_missing", fmt::format("'{}' must name a billable metric's code", metric_path),
                          metric_path);
  if (charge.min_amount < 0) {
    const std::string param = fmt::format("{}.min_amount", path);
    return invalid(fmt::format("'{}' must not be negative, got {}", param, charge.min_amount), param);
  }
  const ChargeProperties& p = charge.properties;
  if (auto s = only_own_properties(p, path, charge.charge_model); !s) return std::move(s).error();
  ChargePricing out{.model = charge.charge_model};
  switch (charge.charge_model) {
    case ChargeModel::standard:
    case ChargeModel::package: {
      auto amount = own(p.amount, path, "amount", charge.charge_model, true);
      if (!amount) return std::move(amount).error();
      auto parsed = amount_at(**amount, property_path(path, "amount"));
      if (!parsed) return std::move(parsed).error();
      out.amount = *parsed;
      if (charge.charge_model == ChargeModel::standard) break;
      auto size = own(p.package_size, path, "package_size", charge.charge_model, true);
      if (!size) return std::move(size).error();
      if (**size < 1) {
        const std::string param = property_path(path, "package_size");
        return invalid(fmt::format("'{}' must be at least 1, got {}", param, **size), param);
      }
      out.package_size = **size;
      out.free_units = p.free_units.value_or(0);
      if (out.free_units < 0) {
        const std::string param = property_path(path, "free_units");
        return invalid(fmt::format("'{}' must not be negative, got {}", param, out.free_units), param);
      }
      break;
    }
    case ChargeModel::graduated:
    case ChargeModel::volume: {
      const bool is_graduated = charge.charge_model == ChargeModel::graduated;
      const char* name = is_graduated ? "graduated_ranges" : "volume_ranges";
      auto ranges = own(is_graduated ? p.graduated_ranges : p.volume_ranges, path, name, charge.charge_model, true);
      if (!ranges) return std::move(ranges).error();
      auto tiers = tiers_of(**ranges, property_path(path, name));
      if (!tiers) return std::move(tiers).error();
      out.tiers = std::move(*tiers);
      break;
    }
    case ChargeModel::percentage: {
      auto terms = percentage_of(p, path);
      if (!terms) return std::move(terms).error();
      out.percentage = std::move(*terms);
      break;
    }
  }
  return out;
}

Status check_charges(const std::vector<Charge>& charges) {
  if (charges.size() > kMaxChargesPerPlan)
    return invalid(fmt::format("'charges' has at most {} charges", kMaxChargesPerPlan), "charges");
  for (size_t i = 0; i < charges.size(); ++i) {
    auto pricing = pricing_of(charges[i], fmt::format("charges.{}", i));
    if (!pricing) return std::move(pricing).error();
  }
  return {};
}

Status check_usage_thresholds(const std::vector<UsageThreshold>& thresholds) {
  if (thresholds.size() > kMaxUsageThresholds)
    return invalid(fmt::format("'usage_thresholds' has at most {} thresholds", kMaxUsageThresholds),
                   "usage_thresholds");
  std::set<int64_t> amounts;
  bool recurring_seen = false;
  for (size_t i = 0; i < thresholds.size(); ++i) {
    const UsageThreshold& t = thresholds[i];
    const std::string at = fmt::format("usage_thresholds.{}", i);
    if (t.amount < 1)
      return invalid(fmt::format("'{}.amount' must be at least 1 (minor units), got {}", at, t.amount),
                     at + ".amount");
    if (t.recurring) {
      if (recurring_seen)
        return invalid(fmt::format("'{}.recurring': a plan has at most one recurring threshold", at),
                       at + ".recurring");
      recurring_seen = true;
    } else if (!amounts.insert(t.amount).second) {
      return invalid(fmt::format("'{}.amount': another threshold already has the amount {}", at, t.amount),
                     at + ".amount");
    }
  }
  return {};
}

Result<Decimal> amount_for_units(const ChargePricing& pricing, const Decimal& units) {
  if (units.sign() <= 0) return Decimal{};
  switch (pricing.model) {
    case ChargeModel::standard: return units.times(pricing.amount);
    case ChargeModel::graduated: return graduated(pricing.tiers, units);
    case ChargeModel::volume: return volume(pricing.tiers, units);
    case ChargeModel::package: return package(pricing, units);
    case ChargeModel::percentage: break;
  }
  return Error::internal("a percentage charge is priced per event (PercentageFee)");
}

Result<PercentageFee> PercentageFee::restore(PercentageTerms terms, const PercentageFeeState& state) {
  PercentageFee fee(std::move(terms));
  auto units = Decimal::parse_stored(state.units);
  auto used = Decimal::parse_stored(state.free_amount_used);
  auto amount = Decimal::parse_stored(state.amount);
  if (!units || !used || !amount || state.events < 0 || state.paying_events < 0 || state.paying_events > state.events)
    return Error::invalid("invalid_state", "a stored percentage fee is not one this version can read", "state");
  fee.events_ = state.events;
  fee.units_ = *units;
  fee.paying_events_ = state.paying_events;
  fee.free_amount_used_ = *used;
  fee.allowance_over_ = state.allowance_over;
  fee.amount_ = *amount;
  return fee;
}

PercentageFeeState PercentageFee::state(std::string terms_key) const {
  return {.terms = std::move(terms_key),
          .events = events_,
          .units = units_.to_string(),
          .paying_events = paying_events_,
          .free_amount_used = free_amount_used_.to_string(),
          .allowance_over = allowance_over_,
          .amount = amount_.to_string()};
}

std::string percentage_terms_key(const Charge& charge) {
  const std::string terms = fmt::format("{}:{}", core::described::name_of(charge.charge_model),
                                        doc_json::write_described(charge.properties));
  return core::sha256_hex(terms).substr(0, 16);
}

Status PercentageFee::add_event(const Decimal& event_amount) {
  auto units = units_.plus(event_amount);
  if (!units) return std::move(units).error();
  units_ = *units;
  ++events_;
  Decimal paying = event_amount;
  const bool has_allowance = terms_.free_events.has_value() || terms_.free_amount.has_value();
  if (has_allowance && !allowance_over_) {
    if (terms_.free_events && events_ > *terms_.free_events) {
      allowance_over_ = true;
    } else if (terms_.free_amount) {
      auto room = terms_.free_amount->minus(free_amount_used_);
      if (!room) return std::move(room).error();
      if (event_amount <= *room) {
        auto used = free_amount_used_.plus(event_amount);
        if (!used) return std::move(used).error();
        free_amount_used_ = *used;
        return {};  // wholly free
      }
      auto above = event_amount.minus(*room);
      if (!above) return std::move(above).error();
      paying = *above;
      free_amount_used_ = *terms_.free_amount;
      allowance_over_ = true;
    } else {
      return {};  // within the free events
    }
  }
  auto share = paying.times(terms_.rate);
  if (!share) return std::move(share).error();
  auto percent = share->shifted_down(2);
  if (!percent) return std::move(percent).error();
  auto fee = percent->plus(terms_.fixed_amount);
  if (!fee) return std::move(fee).error();
  Decimal clamped = *fee;
  if (terms_.min_amount) clamped = std::max(clamped, *terms_.min_amount);
  if (terms_.max_amount) clamped = std::min(clamped, *terms_.max_amount);
  auto total = amount_.plus(clamped);
  if (!total) return std::move(total).error();
  amount_ = *total;
  ++paying_events_;
  return {};
}

Result<int64_t> fee_minor_units(const Decimal& amount, std::string_view currency) {
  return core::to_minor_half_even(amount, currency);
}

}  // namespace billhook::billing
