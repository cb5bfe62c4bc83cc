#pragma once

// Money without floating point. An amount is an int64 count of a currency's minor unit (cents, fils,
// yen); how many minor units make a major one comes from the ISO 4217 table, never from a guess of 2.
// Every function that multiplies or divides rounds exactly once, half-up (away from zero), with
// 128-bit intermediates, and reports an overflow of the int64 result as an error instead of wrapping.
// In core because billing computes with it and profiles writes amounts in major units with it.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace billhook::core {

// One row of the ISO 4217 table (list one, as published 2026-01-01): an active alphabetic code with a
// defined minor unit. Codes whose minor unit is "N.A." (XAU, XDR, XTS, XXX, …) are not money one can
// invoice in and are left out; withdrawn codes (ANG, BGN, CUC, HRK, SLL, ZWL, …) are left out too.
struct CurrencyInfo {
  std::string_view code;  // "EUR"
  int exponent;           // minor units per major unit = 10^exponent: JPY 0, EUR 2, BHD 3, CLF 4
};

// The whole table, sorted by code.
std::span<const CurrencyInfo> currencies();

// The minor-unit exponent of an active ISO 4217 code (exact, upper case). An unknown code is
// invalid_request with code "unknown_currency" and a message that quotes it.
Result<int> currency_exponent(std::string_view code);

// True when `code` is in the table.
bool is_known_currency(std::string_view code);

// The exact decimal form of `minor` units at `exponent` (0–4): (4999, 2) → "49.99", (500, 0) → "500",
// (1234, 3) → "1.234", (-5, 2) → "-0.05". No grouping, no symbol; every int64 is representable.
std::string format_minor(int64_t minor, int exponent);

// format_minor with the exponent of `currency`. The currency must be known (callers validate it where
// it enters the system); an unknown one is a programmer error that asserts, and in a release build
// prints the minor units unscaled rather than invent a decimal point.
std::string to_major_string(int64_t minor, std::string_view currency);

// round(quantity_milli × unit_amount_minor / 1000): a quantity in thousandths (1.5 hours = 1500) times a
// unit price in minor units, rounded once, half-up. Errors: invalid_request "amount_out_of_range" when
// the result does not fit an int64.
Result<int64_t> line_amount(int64_t quantity_milli, int64_t unit_amount_minor);

// round(amount × basis_points / 10000), half-up: 19 % VAT on 1005 cents at 1900 bp is 191 (190.95).
// Errors: invalid_request "invalid_percentage" for negative basis points, "amount_out_of_range" when the
// result does not fit an int64.
Result<int64_t> percent_of(int64_t amount, int64_t basis_points);

// A percentage of `amount` plus a fixed part given in hundredths of a major unit of a currency with
// `exponent`, rounded once, half-up: round(amount × bp / 10000 + fixed_hundredths × 10^exponent / 100).
// A card fee of 2.9 % + 0.30 on 100.00 EUR is (10000, 290, 30, 2) → 320; on 1,000 JPY (1000, 290, 30, 0)
// → 29 (29.3); on 10.000 BHD (10000, 290, 30, 3) → 590. Errors as percent_of; an exponent outside 0–4
// is invalid_request "invalid_exponent".
Result<int64_t> percent_plus_fixed(int64_t amount, int64_t basis_points, int64_t fixed_hundredths, int exponent);

// The tax contained in a tax-inclusive `amount` at `basis_points`: round(amount × bp / (10000 + bp)),
// half-up. 119.00 gross at 19 % contains 19.00; the net is amount − result. Negative basis points are
// invalid_request "invalid_percentage".
Result<int64_t> tax_included_in(int64_t amount, int64_t basis_points);

// Exact checked int64 arithmetic for summing amounts: invalid_request "amount_out_of_range" on overflow.
Result<int64_t> checked_add(int64_t a, int64_t b);
Result<int64_t> checked_sub(int64_t a, int64_t b);

// A rate in basis points as a percentage number for display and JSON: 1900 → 19, 770 → 7.7.
double basis_points_to_percent(int64_t basis_points);

}  // namespace billhook::core
