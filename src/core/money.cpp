#include "core/money.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <limits>

#include <fmt/format.h>

#include "core/text.hpp"

namespace billhook::core {
namespace {

__extension__ using Int128 = __int128;

// ISO 4217 list one (published 2026-01-01), every code with a numeric minor unit, sorted by code so
// that lookups can bisect. Exponents other than 2 are the ones that bite: 0 (BIF CLP DJF GNF ISK JPY
// KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF), 3 (BHD IQD JOD KWD LYD OMR TND), 4 (CLF UYW).
constexpr std::array kCurrencies = std::to_array<CurrencyInfo>({
    {"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"AOA", 2}, {"ARS", 2}, {"AUD", 2}, {"AWG", 2},
    {"AZN", 2}, {"BAM", 2}, {"BBD", 2}, {"BDT", 2}, {"BHD", 3}, {"BIF", 0}, {"BMD", 2}, {"BND", 2},
    {"BOB", 2}, {"BOV", 2}, {"BRL", 2}, {"BSD", 2}, {"BTN", 2}, {"BWP", 2}, {"BYN", 2}, {"BZD", 2},
    {"CAD", 2}, {"CDF", 2}, {"CHE", 2}, {"CHF", 2}, {"CHW", 2}, {"CLF", 4}, {"CLP", 0}, {"CNY", 2},
    {"COP", 2}, {"COU", 2}, {"CRC", 2}, {"CUP", 2}, {"CVE", 2}, {"CZK", 2}, {"DJF", 0}, {"DKK", 2},
    {"DOP", 2}, {"DZD", 2}, {"EGP", 2}, {"ERN", 2}, {"ETB", 2}, {"EUR", 2}, {"FJD", 2}, {"FKP", 2},
    {"GBP", 2}, {"GEL", 2}, {"GHS", 2}, {"GIP", 2}, {"GMD", 2}, {"GNF", 0}, {"GTQ", 2}, {"GYD", 2},
    {"HKD", 2}, {"HNL", 2}, {"HTG", 2}, {"HUF", 2}, {"IDR", 2}, {"ILS", 2}, {"INR", 2}, {"IQD", 3},
    {"IRR", 2}, {"ISK", 0}, {"JMD", 2}, {"JOD", 3}, {"JPY", 0}, {"KES", 2}, {"KGS", 2}, {"KHR", 2},
    {"KMF", 0}, {"KPW", 2}, {"KRW", 0}, {"KWD", 3}, {"KYD", 2}, {"KZT", 2}, {"LAK", 2}, {"LBP", 2},
    {"LKR", 2}, {"LRD", 2}, {"LSL", 2}, {"LYD", 3}, {"MAD", 2}, {"MDL", 2}, {"MGA", 2}, {"MKD", 2},
    {"MMK", 2}, {"MNT", 2}, {"MOP", 2}, {"MRU", 2}, {"MUR", 2}, {"MVR", 2}, {"MWK", 2}, {"MXN", 2},
    {"MXV", 2}, {"MYR", 2}, {"MZN", 2}, {"NAD", 2}, {"NGN", 2}, {"NIO", 2}, {"NOK", 2}, {"NPR", 2},
    {"NZD", 2}, {"OMR", 3}, {"PAB", 2}, {"PEN", 2}, {"PGK", 2}, {"PHP", 2}, {"PKR", 2}, {"PLN", 2},
    {"PYG", 0}, {"QAR", 2}, {"RON", 2}, {"RSD", 2}, {"RUB", 2}, {"RWF", 0}, {"SAR", 2}, {"SBD", 2},
    {"SCR", 2}, {"SDG", 2}, {"SEK", 2}, {"SGD", 2}, {"SHP", 2}, {"SLE", 2}, {"SOS", 2}, {"SRD", 2},
    {"SSP", 2}, {"STN", 2}, {"SVC", 2}, {"SYP", 2}, {"SZL", 2}, {"THB", 2}, {"TJS", 2}, {"TMT", 2},
    {"TND", 3}, {"TOP", 2}, {"TRY", 2}, {"TTD", 2}, {"TWD", 2}, {"TZS", 2}, {"UAH", 2}, {"UGX", 0},
    {"USD", 2}, {"USN", 2}, {"UYI", 0}, {"UYU", 2}, {"UYW", 4}, {"UZS", 2}, {"VED", 2}, {"VES", 2},
    {"VND", 0}, {"VUV", 0}, {"WST", 2}, {"XAD", 2}, {"XAF", 0}, {"XCD", 2}, {"XCG", 2}, {"XOF", 0},
    {"XPF", 0}, {"YER", 2}, {"ZAR", 2}, {"ZMW", 2}, {"ZWG", 2},
});

const CurrencyInfo* find_currency(std::string_view code) {
  const auto it = std::lower_bound(kCurrencies.begin(), kCurrencies.end(), code,
                                   [](const CurrencyInfo& info, std::string_view c) { return info.code < c; });
  return it != kCurrencies.end() && it->code == code ? &*it : nullptr;
}

Error out_of_range() {
  return Error::invalid("amount_out_of_range",
                              "the amount does not fit in 64 bits of minor units (about ±9.2e18)");
}

Error negative_rate(int64_t basis_points) {
  return Error::invalid("invalid_percentage",
                              fmt::format("a percentage cannot be negative, got {} basis points", basis_points));
}

// n / d rounded half-up (ties away from zero); d > 0.
Int128 divide_half_up(Int128 n, Int128 d) {
  assert(d > 0);
  Int128 quotient = n / d;
  const Int128 remainder = n % d;  // takes the sign of n
  const Int128 twice = remainder < 0 ? -2 * remainder : 2 * remainder;
  if (twice >= d) quotient += n < 0 ? -1 : 1;
  return quotient;
}

Result<int64_t> narrow(Int128 value) {
  if (value > std::numeric_limits<int64_t>::max() || value < std::numeric_limits<int64_t>::min()) {
    return out_of_range();
  }
  return static_cast<int64_t>(value);
}

}  // namespace

std::span<const CurrencyInfo> currencies() { return kCurrencies; }

Result<int> currency_exponent(std::string_view code) {
  if (const CurrencyInfo* info = find_currency(code)) return info->exponent;
  return Error::invalid(
      "unknown_currency",
      fmt::format("\"{}\" is not an active ISO 4217 currency code; use an upper-case code such as EUR, JPY or BHD",
                  core::clip(code, 16)),
      "currency");
}

bool is_known_currency(std::string_view code) { return find_currency(code) != nullptr; }

std::string format_minor(int64_t minor, int exponent) {
  assert(exponent >= 0 && exponent <= 18);
  // The magnitude as unsigned, so that INT64_MIN has one too.
  const uint64_t magnitude = minor < 0 ? uint64_t{0} - static_cast<uint64_t>(minor) : static_cast<uint64_t>(minor);
  std::string digits = std::to_string(magnitude);
  const size_t scale = static_cast<size_t>(exponent);
  if (scale > 0) {
    if (digits.size() <= scale) digits.insert(0, scale + 1 - digits.size(), '0');
    digits.insert(digits.size() - scale, 1, '.');
  }
  if (minor < 0) digits.insert(0, 1, '-');
  return digits;
}

std::string to_major_string(int64_t minor, std::string_view currency) {
  const CurrencyInfo* info = find_currency(currency);
  assert(info != nullptr && "to_major_string needs a validated currency");
  return format_minor(minor, info != nullptr ? info->exponent : 0);
}

Result<int64_t> line_amount(int64_t quantity_milli, int64_t unit_amount_minor) {
  return narrow(divide_half_up(static_cast<Int128>(quantity_milli) * unit_amount_minor, 1000));
}

Result<int64_t> percent_of(int64_t amount, int64_t basis_points) {
  if (basis_points < 0) return negative_rate(basis_points);
  return narrow(divide_half_up(static_cast<Int128>(amount) * basis_points, 10'000));
}

Result<int64_t> percent_plus_fixed(int64_t amount, int64_t basis_points, int64_t fixed_hundredths, int exponent) {
  if (basis_points < 0) return negative_rate(basis_points);
  if (exponent < 0 || exponent > 4)
    return Error::invalid("invalid_exponent", fmt::format("a minor-unit exponent is 0 to 4, got {}", exponent));
  Int128 scale = 1;
  for (int i = 0; i < exponent; ++i) scale *= 10;
  // Over the common denominator 10^6: amount × bp × 100 + fixed × 10^exponent × 10^4.
  const Int128 numerator =
      static_cast<Int128>(amount) * basis_points * 100 + static_cast<Int128>(fixed_hundredths) * scale * 10'000;
  return narrow(divide_half_up(numerator, 1'000'000));
}

Result<int64_t> tax_included_in(int64_t amount, int64_t basis_points) {
  if (basis_points < 0) return negative_rate(basis_points);
  // The divisor exceeds the multiplier, so the result is within ±|amount| and always fits.
  return narrow(divide_half_up(static_cast<Int128>(amount) * basis_points, Int128{10'000} + basis_points));
}

Result<int64_t> checked_add(int64_t a, int64_t b) { return narrow(static_cast<Int128>(a) + b); }

Result<int64_t> checked_sub(int64_t a, int64_t b) { return narrow(static_cast<Int128>(a) - b); }

double basis_points_to_percent(int64_t basis_points) { return static_cast<double>(basis_points) / 100.0; }

}  // namespace billhook::core
