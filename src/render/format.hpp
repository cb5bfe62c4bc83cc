#pragma once

// The text of the numbers and dates on a document, computed exactly from integers (never through a
// double). One style everywhere, whatever the locale: digits grouped by three with ",", "." before the
// decimals, ISO dates — unambiguous to every reader, and what pdftotext-based tests can match.

#include <cstdint>
#include <string>
#include <string_view>

namespace billhook::render {

// `minor` units at `exponent` decimals (0–4), grouped: (123456, 2) → "1,234.56", (1234567, 0) →
// "1,234,567", (1234567, 3) → "1,234.567", (-5, 2) → "-0.05".
std::string format_amount(int64_t minor, int exponent);

// format_amount after the currency code, the sign first: "EUR 1,234.56", "-EUR 10.00", "JPY 1,500".
std::string format_money(int64_t minor, std::string_view currency, int exponent);

// A quantity in thousandths without trailing zeros: 1000 → "1", 1500 → "1.5", 2125 → "2.125",
// 1234000 → "1,234".
std::string format_quantity(int64_t quantity_milli);

// A rate in basis points as a percentage without trailing zeros: 1900 → "19%", 770 → "7.7%",
// 825 → "8.25%".
std::string format_rate(int64_t basis_points);

// The UTC calendar date of a unix time: 1767225600 → "2026-01-01".
std::string format_date(int64_t unix_seconds);

}  // namespace billhook::render
