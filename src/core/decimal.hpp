#pragma once

// Exact decimals for usage pricing (DOMAINS.md §2): unit prices such as "0.0025" and quantities such as
// "12.5" arrive as decimal strings, are multiplied and added without any rounding, and become money
// once, rounded half-even to the currency's minor unit. A value is a signed 128-bit coefficient and a
// power-of-ten scale (value = coefficient / 10^scale), so every decimal string is held exactly; an
// operation whose exact result does not fit is an error ("decimal_out_of_range"), never a wrap or a
// silent rounding. No floating point.

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace billhook::core {

class Decimal {
 public:
  // The fractional digits a parsed decimal may carry (DOMAINS.md §2: "up to 12 fractional digits").
  static constexpr int kMaxInputScale = 12;
  // Integer digits a parsed decimal may carry: with 12 fractional ones, 30 significant digits, leaving
  // room in 128 bits (about 1.7e38) for a price times a quantity before they are normalized.
  static constexpr int kMaxInputIntegerDigits = 18;
  // The largest scale a result may reach (products add scales; 10^36 still fits the coefficient).
  static constexpr int kMaxScale = 36;

  Decimal() = default;  // zero
  static Decimal of(int64_t integer);
  // `minor` units at `exponent` (cents at 2): (4999, 2) is 49.99.
  static Decimal from_minor(int64_t minor, int exponent);

  // "12", "-0.0025", "12.50": an optional '-', digits, optionally '.' and 1–12 digits. No '+',
  // exponent, spaces or grouping. Errors: invalid_request "invalid_decimal" naming `param`.
  static Result<Decimal> parse(std::string_view text, std::string_view param = {});
  // What to_string() wrote, read back exactly: the same form, with up to kMaxScale digits after the
  // point and 38 significant digits in all (a running total kept between requests, not caller input).
  static Result<Decimal> parse_stored(std::string_view text, std::string_view param = {});

  // The shortest exact form: "0", "12.5", "-0.0025" (trailing zeros dropped).
  std::string to_string() const;
  int sign() const { return coefficient_ > 0 ? 1 : (coefficient_ < 0 ? -1 : 0); }
  bool is_zero() const { return coefficient_ == 0; }
  // The number of digits after the point in to_string().
  int scale() const { return scale_; }

  std::strong_ordering operator<=>(const Decimal& other) const;
  bool operator==(const Decimal& other) const { return (*this <=> other) == std::strong_ordering::equal; }

  // Exact; "decimal_out_of_range" when the result does not fit.
  Result<Decimal> plus(const Decimal& other) const;
  Result<Decimal> minus(const Decimal& other) const;
  Result<Decimal> times(const Decimal& other) const;
  // Exactly this / 10^places (a percentage is / 100): only the scale moves.
  Result<Decimal> shifted_down(int places) const;
  Decimal negated() const;

  // Rounded half-even to `scale` digits after the point (for a quantity that is a ratio, such as a
  // time-weighted sum; money uses to_minor_half_even).
  Decimal rounded_half_even(int scale) const;
  // this / divisor (> 0) rounded half-even to `scale` digits after the point: for a ratio such as a
  // time-weighted sum, whose exact value may have no finite decimal form.
  Result<Decimal> divided_half_even(int64_t divisor, int scale) const;
  // The smallest integer not below this value divided by `divisor` (> 0): how many packages hold it.
  Result<int64_t> ceil_divided_by(int64_t divisor) const;

  // In minor units at `exponent` (0–4), rounded once, half-even (ties to the even neighbour:
  // 0.125 at 2 is 12, 0.135 is 14). "amount_out_of_range" when it does not fit an int64.
  Result<int64_t> to_minor_half_even(int exponent) const;

 private:
  __extension__ using Int128 = __int128;
  Decimal(Int128 coefficient, int scale);
  // The same value with no trailing zeros in its coefficient.
  static Decimal normalized(Int128 coefficient, int scale);
  static Result<Decimal> parse_within(std::string_view text, std::string_view param, int max_scale,
                                      int max_integer_digits);

  Int128 coefficient_ = 0;
  int scale_ = 0;
};

// to_minor_half_even at the exponent of `currency` (an ISO 4217 code; unknown: "unknown_currency").
Result<int64_t> to_minor_half_even(const Decimal& amount, std::string_view currency);

}  // namespace billhook::core
