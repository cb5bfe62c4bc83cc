#include "delivery/retry_policy.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "core/json.hpp"
#include "core/text.hpp"

namespace billhook::delivery {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr double kJitter = 0.2;

core::Error schedule_error(std::string message, std::string param) {
  return core::Error::invalid("invalid_retry_schedule", std::move(message), std::move(param));
}

// A cursor over an HTTP-date; every step either consumes exactly what the grammar names or fails.
class DateCursor {
 public:
  explicit DateCursor(std::string_view text) : text_(text) {}

  bool literal(std::string_view expected) {
    if (text_.substr(pos_, expected.size()) != expected) return false;
    pos_ += expected.size();
    return true;
  }

  // Exactly `count` ASCII digits.
  std::optional<int> digits(size_t count) {
    if (pos_ + count > text_.size()) return std::nullopt;
    int value = 0;
    for (size_t i = 0; i < count; ++i) {
      const char c = text_[pos_ + i];
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + (c - '0');
    }
    pos_ += count;
    return value;
  }

  // The index of the name found at the cursor (names are case-sensitive in RFC 9110's grammar).
  template <size_t N>
  std::optional<int> one_of(const std::array<std::string_view, N>& names) {
    for (size_t i = 0; i < N; ++i) {
      if (literal(names[i])) return static_cast<int>(i);
    }
    return std::nullopt;
  }

  bool at_end() const { return pos_ == text_.size(); }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

constexpr std::array<std::string_view, 7> kDayNames = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> kLongDayNames = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                           "Friday", "Saturday", "Sunday"};
constexpr std::array<std::string_view, 12> kMonthNames = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

struct DateFields {
  int year = 0;
  int month = 0;  // 1–12
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
};

bool parse_time_of_day(DateCursor& c, DateFields& f) {
  const auto h = c.digits(2);
  if (!h || !c.literal(":")) return false;
  const auto m = c.digits(2);
  if (!m || !c.literal(":")) return false;
  const auto s = c.digits(2);
  if (!s) return false;
  f.hour = *h;
  f.minute = *m;
  f.second = *s;
  return true;
}

bool parse_month(DateCursor& c, DateFields& f) {
  const auto index = c.one_of(kMonthNames);
  if (!index) return false;
  f.month = *index + 1;
  return true;
}

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
std::optional<DateFields> parse_imf_fixdate(std::string_view text) {
  DateCursor c(text);
  DateFields f;
  if (!c.one_of(kDayNames) || !c.literal(", ")) return std::nullopt;
  const auto day = c.digits(2);
  if (!day || !c.literal(" ") || !parse_month(c, f) || !c.literal(" ")) return std::nullopt;
  const auto year = c.digits(4);
  if (!year || !c.literal(" ") || !parse_time_of_day(c, f) || !c.literal(" GMT") || !c.at_end()) return std::nullopt;
  f.day = *day;
  f.year = *year;
  return f;
}

// RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT". The year has two digits; RFC 9110 says to take the one
// that is not more than 50 years in the future.
std::optional<DateFields> parse_rfc850_date(std::string_view text, int current_year) {
  DateCursor c(text);
  DateFields f;
  if (!c.one_of(kLongDayNames) || !c.literal(", ")) return std::nullopt;
  const auto day = c.digits(2);
  if (!day || !c.literal("-") || !parse_month(c, f) || !c.literal("-")) return std::nullopt;
  const auto yy = c.digits(2);
  if (!yy || !c.literal(" ") || !parse_time_of_day(c, f) || !c.literal(" GMT") || !c.at_end()) return std::nullopt;
  f.day = *day;
  int year = current_year / 100 * 100 + *yy;
  if (year > current_year + 50) {
    year -= 100;
  } else if (year <= current_year - 50) {
    year += 100;
  }
  f.year = year;
  return f;
}

// asctime: "Sun Nov  6 08:49:37 1994" (a one-digit day is padded with a space).
std::optional<DateFields> parse_asctime_date(std::string_view text) {
  DateCursor c(text);
  DateFields f;
  if (!c.one_of(kDayNames) || !c.literal(" ") || !parse_month(c, f) || !c.literal(" ")) return std::nullopt;
  std::optional<int> day;
  if (c.literal(" ")) {
    day = c.digits(1);
  } else {
    day = c.digits(2);
  }
  if (!day || !c.literal(" ") || !parse_time_of_day(c, f) || !c.literal(" ")) return std::nullopt;
  const auto year = c.digits(4);
  if (!year || !c.at_end()) return std::nullopt;
  f.day = *day;
  f.year = *year;
  return f;
}

std::optional<std::chrono::sys_seconds> to_sys_seconds(const DateFields& f) {
  const std::chrono::year_month_day date{std::chrono::year{f.year}, std::chrono::month{static_cast<unsigned>(f.month)},
                                         std::chrono::day{static_cast<unsigned>(f.day)}};
  // 60 is a leap second, which the grammar allows.
  if (!date.ok() || f.hour > 23 || f.minute > 59 || f.second > 60) return std::nullopt;
  return std::chrono::sys_days{date} + hours{f.hour} + minutes{f.minute} + seconds{f.second};
}

// "2.5", not boost::json's "2.5E0": the message is for a person. A whole number keeps its ".0", or
// "must be an integer, got 5" would make no sense.
std::string shortest_text(double d) {
  std::array<char, 32> buffer{};
  const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), d);
  if (ec != std::errc()) return "a number";
  std::string text(buffer.data(), end);
  if (text.find_first_not_of("-0123456789") == std::string::npos) text += ".0";
  return text;
}

std::string with_article(std::string_view kind) {
  const bool vowel = !kind.empty() && std::string_view("aeiou").find(kind.front()) != std::string_view::npos;
  return (vowel ? "an " : "a ") + std::string(kind);
}

seconds clamp_retry_after(seconds s) { return std::clamp(s, kMinRetryAfter, kMaxRetryAfter); }

}  // namespace

const Schedule& default_schedule() {
  static const Schedule schedule = {seconds{5}, minutes{5}, minutes{30}, hours{2},
                                    hours{5},   hours{10},  hours{10},   hours{24}};
  return schedule;
}

core::Result<Schedule> parse_schedule(const boost::json::value& v) {
  if (!v.is_array()) {
    return schedule_error("retry_schedule must be an array of delays in seconds, such as [5, 300, 1800], got " +
                              std::string(core::json_kind_name(v)),
                          "retry_schedule");
  }
  const boost::json::array& items = v.get_array();
  if (items.empty() || items.size() > kMaxScheduleLength) {
    return schedule_error("retry_schedule must have from 1 to " + std::to_string(kMaxScheduleLength) +
                              " delays, got " + std::to_string(items.size()),
                          "retry_schedule");
  }
  Schedule schedule;
  schedule.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const boost::json::value& item = items[i];
    const std::string name = "retry_schedule[" + std::to_string(i) + "]";
    const std::string must = name + " must be an integer number of seconds from 1 to " +
                             std::to_string(kMaxScheduleDelay.count()) + ", got ";
    if (item.is_uint64()) {
      // Only values above INT64_MAX are stored as uint64, so this one is out of range.
      return schedule_error(must + std::to_string(item.get_uint64()), name);
    }
    if (item.is_double()) return schedule_error(must + shortest_text(item.get_double()), name);
    if (!item.is_int64()) return schedule_error(must + with_article(core::json_kind_name(item)), name);
    const int64_t delay = item.get_int64();
    if (delay < 1 || delay > kMaxScheduleDelay.count()) return schedule_error(must + std::to_string(delay), name);
    schedule.emplace_back(delay);
  }
  return schedule;
}

std::optional<std::chrono::milliseconds> next_delay(const Schedule& schedule, int attempts_made, core::Random& random) {
  assert(attempts_made >= 0);
  if (attempts_made <= 0) return std::chrono::milliseconds{0};
  if (static_cast<size_t>(attempts_made) > schedule.size()) return std::nullopt;
  const auto base = std::chrono::duration<double, std::milli>(schedule[static_cast<size_t>(attempts_made) - 1]);
  const double factor = 1.0 - kJitter + 2.0 * kJitter * random.next_unit();  // [0.8, 1.2)
  return std::chrono::milliseconds{std::llround(base.count() * factor)};
}

std::optional<seconds> parse_retry_after(std::string_view value, core::TimePoint now) {
  const std::string_view text = core::trim_blanks(value);
  if (text.empty()) return std::nullopt;

  if (text.find_first_not_of("0123456789") == std::string_view::npos) {
    uint64_t delay = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), delay);
    // Too many digits to hold is still a valid delay-seconds, just a very long one.
    if (ec == std::errc::result_out_of_range) return kMaxRetryAfter;
    if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
    if (delay > static_cast<uint64_t>(kMaxRetryAfter.count())) return kMaxRetryAfter;
    return clamp_retry_after(seconds{static_cast<int64_t>(delay)});
  }

  const int current_year = static_cast<int>(std::chrono::year_month_day{std::chrono::floor<days>(now)}.year());
  std::optional<DateFields> fields = parse_imf_fixdate(text);
  if (!fields) fields = parse_rfc850_date(text, current_year);
  if (!fields) fields = parse_asctime_date(text);
  if (!fields) return std::nullopt;
  const std::optional<std::chrono::sys_seconds> at = to_sys_seconds(*fields);
  if (!at) return std::nullopt;
  // In whole seconds, not nanoseconds, which would overflow for a date centuries away. The date has no
  // fraction, so subtracting the floor of `now` rounds the wait up.
  return clamp_retry_after(*at - std::chrono::floor<seconds>(now));
}

}  // namespace billhook::delivery
