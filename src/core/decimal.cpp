#include "core/decimal.hpp"

#include <algorithm>
#include <cassert>
#include <limits>

#include <fmt/format.h>

#include "core/money.hpp"

namespace billhook::core {
namespace {

__extension__ using Int128 = __int128;

Error out_of_range() {
  return Error::invalid("decimal_out_of_range", "a decimal computation does not fit in 128 bits without rounding");
}

Int128 pow10(int n) {
  assert(n >= 0 && n <= 38);
  Int128 p = 1;
  for (int i = 0; i < n; ++i) p *= 10;
  return p;
}

// n / d rounded half-even; d > 0.
Int128 divide_half_even(Int128 n, Int128 d) {
  assert(d > 0);
  Int128 quotient = n / d;
  const Int128 remainder = n % d;  // takes the sign of n
  const Int128 twice = remainder < 0 ? -2 * remainder : 2 * remainder;
  if (twice > d || (twice == d && quotient % 2 != 0)) quotient += n < 0 ? -1 : 1;
  return quotient;
}

// out = coefficient × 10^places; false when that overflows.
bool scale_up(Int128 coefficient, int places, Int128& out) {
  out = coefficient;
  for (int i = 0; i < places; ++i)
    if (__builtin_mul_overflow(out, Int128{10}, &out)) return false;
  return true;
}

Error invalid_decimal(std::string_view text, std::string_view param, std::string_view why) {
  const std::string shown(text.substr(0, 40));
  const std::string where = param.empty() ? std::string("a decimal") : fmt::format("'{}'", param);
  return Error::invalid("invalid_decimal", fmt::format("{} must be a decimal string such as \"12.5\" ({}), got \"{}\"",
                                                       where, why, shown),
                        std::string(param));
}

}  // namespace

Decimal::Decimal(Int128 coefficient, int scale) : coefficient_(coefficient), scale_(scale) {}

Decimal Decimal::normalized(Int128 coefficient, int scale) {
  while (scale > 0 && coefficient % 10 == 0) {
    coefficient /= 10;
    --scale;
  }
  if (coefficient == 0) scale = 0;
  return Decimal(coefficient, scale);
}

Decimal Decimal::of(int64_t integer) { return Decimal(integer, 0); }

Decimal Decimal::from_minor(int64_t minor, int exponent) {
  assert(exponent >= 0 && exponent <= 4);
  return normalized(minor, exponent);
}

Result<Decimal> Decimal::parse(std::string_view text, std::string_view param) {
  return parse_within(text, param, kMaxInputScale, kMaxInputIntegerDigits);
}

Result<Decimal> Decimal::parse_stored(std::string_view text, std::string_view param) {
  // 38 digits always fit the 128-bit coefficient (10^38 − 1 < 1.7 × 10^38).
  constexpr int kMaxSignificantDigits = 38;
  const size_t point = text.find('.');
  const int fraction_digits = point == std::string_view::npos ? 0 : static_cast<int>(text.size() - point - 1);
  return parse_within(text, param, kMaxScale, std::max(0, kMaxSignificantDigits - fraction_digits));
}

Result<Decimal> Decimal::parse_within(std::string_view text, std::string_view param, int max_scale,
                                      int max_integer_digits) {
  std::string_view rest = text;
  const bool negative = !rest.empty() && rest.front() == '-';
  if (negative) rest.remove_prefix(1);
  const size_t point = rest.find('.');
  const std::string_view whole = rest.substr(0, point);
  const std::string_view fraction = point == std::string_view::npos ? std::string_view{} : rest.substr(point + 1);
  const auto all_digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (whole.empty() || !all_digits(whole)) return invalid_decimal(text, param, "digits before the point");
  if (point != std::string_view::npos && (fraction.empty() || !all_digits(fraction)))
    return invalid_decimal(text, param, "digits after the point");
  if (fraction.size() > static_cast<size_t>(max_scale))
    return invalid_decimal(text, param, fmt::format("at most {} digits after the point", max_scale));
  const size_t significant = whole.find_first_not_of('0') == std::string_view::npos
                                 ? 0
                                 : whole.size() - whole.find_first_not_of('0');
  if (significant > static_cast<size_t>(max_integer_digits))
    return invalid_decimal(text, param, fmt::format("at most {} digits before the point", max_integer_digits));
  Int128 coefficient = 0;
  for (char c : whole) coefficient = coefficient * 10 + (c - '0');
  for (char c : fraction) coefficient = coefficient * 10 + (c - '0');
  return normalized(negative ? -coefficient : coefficient, static_cast<int>(fraction.size()));
}

std::string Decimal::to_string() const {
  Int128 magnitude = coefficient_ < 0 ? -coefficient_ : coefficient_;
  std::string digits;
  do {
    digits.push_back(static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  } while (magnitude > 0);
  while (digits.size() <= static_cast<size_t>(scale_)) digits.push_back('0');
  std::reverse(digits.begin(), digits.end());
  if (scale_ > 0) digits.insert(digits.end() - scale_, '.');
  return coefficient_ < 0 ? "-" + digits : digits;
}

std::strong_ordering Decimal::operator<=>(const Decimal& other) const {
  // Integer parts first, then the fractions at one scale: neither step can overflow.
  const Int128 a_whole = coefficient_ / pow10(scale_);
  const Int128 b_whole = other.coefficient_ / pow10(other.scale_);
  if (a_whole != b_whole) return a_whole < b_whole ? std::strong_ordering::less : std::strong_ordering::greater;
  const int scale = std::max(scale_, other.scale_);
  const Int128 a_fraction = (coefficient_ % pow10(scale_)) * pow10(scale - scale_);
  const Int128 b_fraction = (other.coefficient_ % pow10(other.scale_)) * pow10(scale - other.scale_);
  if (a_fraction == b_fraction) return std::strong_ordering::equal;
  return a_fraction < b_fraction ? std::strong_ordering::less : std::strong_ordering::greater;
}

Result<Decimal> Decimal::plus(const Decimal& other) const {
  const int scale = std::max(scale_, other.scale_);
  Int128 a = 0;
  Int128 b = 0;
  Int128 sum = 0;
  if (!scale_up(coefficient_, scale - scale_, a) || !scale_up(other.coefficient_, scale - other.scale_, b) ||
      __builtin_add_overflow(a, b, &sum))
    return out_of_range();
  return normalized(sum, scale);
}

Result<Decimal> Decimal::minus(const Decimal& other) const { return plus(other.negated()); }

Result<Decimal> Decimal::times(const Decimal& other) const {
  Int128 product = 0;
  if (__builtin_mul_overflow(coefficient_, other.coefficient_, &product)) return out_of_range();
  Decimal out = normalized(product, scale_ + other.scale_);
  if (out.scale_ > kMaxScale) return out_of_range();
  return out;
}

Result<Decimal> Decimal::shifted_down(int places) const {
  assert(places >= 0);
  Decimal out = normalized(coefficient_, scale_ + places);
  if (out.scale_ > kMaxScale) return out_of_range();
  return out;
}

Decimal Decimal::negated() const { return Decimal(-coefficient_, scale_); }

Decimal Decimal::rounded_half_even(int scale) const {
  assert(scale >= 0);
  if (scale >= scale_) return *this;
  return normalized(divide_half_even(coefficient_, pow10(scale_ - scale)), scale);
}

Result<Decimal> Decimal::divided_half_even(int64_t divisor, int scale) const {
  assert(divisor > 0 && scale >= 0 && scale <= kMaxScale);
  // round(coefficient × 10^scale / (10^scale_ × divisor)), with the powers of ten on one side only.
  Int128 numerator = 0;
  Int128 denominator = 0;
  if (!scale_up(coefficient_, std::max(0, scale - scale_), numerator) ||
      !scale_up(divisor, std::max(0, scale_ - scale), denominator))
    return out_of_range();
  return normalized(divide_half_even(numerator, denominator), scale);
}

Result<int64_t> Decimal::ceil_divided_by(int64_t divisor) const {
  assert(divisor > 0);
  Int128 d = 0;
  if (!scale_up(divisor, scale_, d)) return out_of_range();
  Int128 quotient = coefficient_ / d;
  if (coefficient_ % d != 0 && coefficient_ > 0) ++quotient;
  if (quotient > std::numeric_limits<int64_t>::max() || quotient < std::numeric_limits<int64_t>::min())
    return out_of_range();
  return static_cast<int64_t>(quotient);
}

Result<int64_t> Decimal::to_minor_half_even(int exponent) const {
  assert(exponent >= 0 && exponent <= 4);
  Int128 minor = 0;
  if (scale_ > exponent) {
    minor = divide_half_even(coefficient_, pow10(scale_ - exponent));
  } else if (!scale_up(coefficient_, exponent - scale_, minor)) {
    return Error::invalid("amount_out_of_range", "the amount does not fit in 64 bits of minor units");
  }
  if (minor > std::numeric_limits<int64_t>::max() || minor < std::numeric_limits<int64_t>::min())
    return Error::invalid("amount_out_of_range", "the amount does not fit in 64 bits of minor units");
  return static_cast<int64_t>(minor);
}

Result<int64_t> to_minor_half_even(const Decimal& amount, std::string_view currency) {
  auto exponent = currency_exponent(currency);
  if (!exponent) return std::move(exponent).error();
  return amount.to_minor_half_even(*exponent);
}

}  // namespace billhook::core
