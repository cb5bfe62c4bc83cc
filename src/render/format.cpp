#include "render/format.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "core/money.hpp"

namespace billhook::render {
namespace {

// Groups the integer digits of an unsigned decimal text ("1234.56" → "1,234.56").
std::string group_thousands(std::string_view plain) {
  const size_t integer_digits = std::min(plain.find('.'), plain.size());
  std::string out;
  out.reserve(plain.size() + integer_digits / 3);
  for (size_t i = 0; i < plain.size(); ++i) {
    if (i > 0 && i < integer_digits && (integer_digits - i) % 3 == 0) out += ',';
    out += plain[i];
  }
  return out;
}

// core::format_minor's text split into its sign and its digits.
struct Signed {
  bool negative;
  std::string digits;
};
Signed split_sign(std::string text) {
  if (!text.empty() && text.front() == '-') return {true, text.substr(1)};
  return {false, std::move(text)};
}

// "2.500" → "2.5", "19.00" → "19".
std::string trim_decimals(std::string text) {
  if (text.find('.') == std::string::npos) return text;
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

}  // namespace

std::string format_amount(int64_t minor, int exponent) {
  auto [negative, digits] = split_sign(core::format_minor(minor, exponent));
  return (negative ? "-" : "") + group_thousands(digits);
}

std::string format_money(int64_t minor, std::string_view currency, int exponent) {
  auto [negative, digits] = split_sign(core::format_minor(minor, exponent));
  return fmt::format("{}{} {}", negative ? "-" : "", currency, group_thousands(digits));
}

std::string format_quantity(int64_t quantity_milli) {
  auto [negative, digits] = split_sign(trim_decimals(core::format_minor(quantity_milli, 3)));
  return (negative ? "-" : "") + group_thousands(digits);
}

std::string format_rate(int64_t basis_points) {
  return trim_decimals(core::format_minor(basis_points, 2)) + "%";
}

std::string format_date(int64_t unix_seconds) {
  using namespace std::chrono;
  const sys_days day = floor<days>(sys_seconds{seconds{unix_seconds}});
  const year_month_day date{day};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                     static_cast<unsigned>(date.day()));
}

}  // namespace billhook::render
