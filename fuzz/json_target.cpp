// core::parse_json, the parser of every request body: any bytes give a value or an error, never a
// crash or a hang; and what it accepts serializes to text that parses back to the same value (a double to
// within a few units in the last place: Boost.JSON 1.81 parses decimals fast rather than correctly rounded,
// and offers no precise mode before 1.83; money is integers of minor units, never a double).

#include <cstddef>
#include <cstdint>
#include <cmath>
#include <cstdlib>
#include <string_view>

#include <boost/json.hpp>

#include "core/json.hpp"

namespace {

namespace json = boost::json;

bool same(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double()) {
    const double x = a.get_double(), y = b.get_double();
    return x == y || std::fabs(x - y) <= 1e-14 * std::fmax(std::fabs(x), std::fabs(y));
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto &p = a.get_array(), &q = b.get_array();
    if (p.size() != q.size()) return false;
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (!same(p[i], q[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    const auto &p = a.get_object(), &q = b.get_object();
    if (p.size() != q.size()) return false;
    for (auto i = p.begin(), j = q.begin(); i != p.end(); ++i, ++j) {
      if (i->key() != j->key() || !same(i->value(), j->value())) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = billhook::core::parse_json(text, {.max_depth = 32});
  if (!parsed) {
    if (parsed.error().message.empty()) std::abort();  // every refusal must say why
    return 0;
  }
  auto again = billhook::core::parse_json(boost::json::serialize(*parsed), {.max_depth = 32});
  if (!again || !same(*again, *parsed)) std::abort();
  return 0;
}
